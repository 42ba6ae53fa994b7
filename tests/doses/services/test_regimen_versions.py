"""Regimen versions and their schedule (doses/services: create_regimen_version, confirm_regimen)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from doses import schedule
from doses.models import DoseSlot, Regimen, SlotStatus
from doses.rules import catalogue
from doses.services import regimens as regimen_services
from doses.services import slots as slot_services
from tests.conftest import start_adult_regimen


def weight_based(patient, by, **changes) -> Regimen:
    arguments = {
        "patient": patient,
        "entered_by": by,
        "dose_basis": Regimen.DoseBasis.WEIGHT_BASED,
        "daily_dose_mg": Decimal("40.0"),
        "mg_per_kg": Decimal("2"),
        "weight_kg_basis": Decimal("20"),
        "interval_days": 1,
        "administrations_per_day": 1,
        "times_of_day": ["08:00"],
        "starts_on": patient.local_today(),
        "confirmed": True,
    }
    arguments.update(changes)
    return regimen_services.create_regimen_version(**arguments)


def slots_per_day(patient) -> dict:
    counts: dict = {}
    for day in DoseSlot.objects.filter(patient=patient).values_list("local_date", flat=True):
        counts[day] = counts.get(day, 0) + 1
    return counts


def test_a_version_that_starts_before_a_planned_one_ends_every_older_version(world):
    today = world.alice.local_today()
    v1 = start_adult_regimen(world.alice, world.carol, starts_on=today)
    v2 = start_adult_regimen(world.alice, world.carol, starts_on=today + timedelta(days=10), times=("09:00",))
    v3 = start_adult_regimen(world.alice, world.carol, starts_on=today + timedelta(days=5), times=("10:00",))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.ends_on, v2.ends_on, v3.ends_on) == (today + timedelta(days=5), v2.starts_on, None)
    assert not v2.slots.exists()  # replaced before it started
    assert not v1.slots.filter(local_date__gte=v3.starts_on).exists()
    assert set(slots_per_day(world.alice).values()) == {1}


def test_DOSE_PED_RANGE_service_refuses_what_the_rules_refuse_and_writes_nothing(world):
    with pytest.raises(catalogue.DoseRuleError, match="1 to 10"):
        weight_based(world.alice, world.carol, mg_per_kg=Decimal("11"), daily_dose_mg=Decimal("220"))
    with pytest.raises(catalogue.DoseRuleError, match="not 50"):
        weight_based(world.alice, world.carol, daily_dose_mg=Decimal("50"))
    with pytest.raises(catalogue.DoseRuleError, match="DOSE-ADULT"):
        regimen_services.create_regimen_version(
            patient=world.alice,
            entered_by=world.carol,
            dose_basis=Regimen.DoseBasis.FIXED_ADULT,
            daily_dose_mg=Decimal("200"),
            interval_days=1,
            administrations_per_day=1,
            times_of_day=["08:00"],
            starts_on=world.alice.local_today(),
            confirmed=True,
        )
    assert not Regimen.objects.exists() and not DoseSlot.objects.exists()


def test_DOSE_PED_MAX_unconfirmed_or_reasonless_override_is_refused_and_the_old_version_stays(world):
    current = weight_based(world.alice, world.carol)
    for confirmed, reason in ((False, "because"), (True, "  ")):
        with pytest.raises(catalogue.DoseRuleError, match="DOSE-PED-MAX"):
            weight_based(
                world.alice,
                world.alice_user,
                mg_per_kg=Decimal("9"),
                daily_dose_mg=Decimal("180.0"),
                confirmed=confirmed,
                override_reason=reason,
            )
    current.refresh_from_db()
    assert current.ends_on is None and Regimen.objects.count() == 1


def test_SCHED_DAILY_times_must_match_the_number_of_injections(world):
    with pytest.raises(catalogue.DoseRuleError, match="one time of day for each"):
        weight_based(world.alice, world.carol, administrations_per_day=2, times_of_day=["08:00"])
    with pytest.raises(catalogue.DoseRuleError, match="two different times"):
        weight_based(world.alice, world.carol, administrations_per_day=2, times_of_day=["08:00", "08:00"])


def test_MISS_NODOUBLE_windows_never_overlap_across_a_change_of_regimen(world, settings):
    """Old version daily at 20:00, new one from today at 08:00: 12 hours apart on the change day."""
    today = world.alice.local_today()
    start_adult_regimen(world.alice, world.carol, starts_on=today - timedelta(days=2), times=("20:00",))
    start_adult_regimen(world.alice, world.carol, starts_on=today, times=("08:00",))
    slots = list(DoseSlot.objects.filter(patient=world.alice).select_related("regimen", "patient"))
    windows = [schedule.window_for_slot(slot) for slot in slots]
    for earlier, later in zip(windows, windows[1:], strict=False):
        assert earlier.closes_at <= later.opens_at, (earlier, later)
    last_old = [w for s, w in zip(slots, windows, strict=True) if s.regimen.version == 1][-1]
    assert last_old.closes_at - last_old.slot_at == timedelta(hours=6)  # half of the 12-hour gap (MISS-SKIP)
    first_new = [w for s, w in zip(slots, windows, strict=True) if s.regimen.version == 2][0]
    assert first_new.slot_at - first_new.opens_at == timedelta(hours=2)  # DOSE_LOG_EARLY_HOURS


def test_materialising_again_creates_nothing_new(world):
    regimen = start_adult_regimen(world.alice, world.carol)
    before = DoseSlot.objects.count()
    slot_services.materialise_slots(regimen=regimen, from_day=regimen.starts_on, to_day=world.alice.local_today())
    assert DoseSlot.objects.count() == before


def test_a_taken_dose_of_the_old_version_keeps_its_slot_and_day(world):
    today = world.alice.local_today()
    old = start_adult_regimen(world.alice, world.carol, starts_on=today - timedelta(days=1))
    DoseSlot.objects.filter(regimen=old, local_date=today).update(status=SlotStatus.TAKEN)
    new = start_adult_regimen(world.alice, world.carol, starts_on=today, times=("06:00",))
    assert DoseSlot.objects.get(patient=world.alice, local_date=today).regimen == old
    assert DoseSlot.objects.filter(regimen=new).order_by("local_date").first().local_date == today + timedelta(days=1)


def test_confirm_regimen_refuses_a_confirmed_or_replaced_version(world):
    v1 = start_adult_regimen(world.alice, world.alice_user, confirmed=False)
    start_adult_regimen(world.alice, world.alice_user, confirmed=False, starts_on=world.alice.local_today())
    with pytest.raises(regimen_services.RegimenNotConfirmable, match="replaced"):
        regimen_services.confirm_regimen(regimen=v1, clinician=world.carol)
    current = Regimen.objects.current().get(patient=world.alice)
    regimen_services.confirm_regimen(regimen=current, clinician=world.carol)
    with pytest.raises(regimen_services.RegimenNotConfirmable, match="already confirmed"):
        regimen_services.confirm_regimen(regimen=current, clinician=world.carol)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_changes_at_once_give_two_versions_and_one_current(world, on_postgres):
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today())
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def change(hour: str) -> None:
        try:
            barrier.wait()
            start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today(), times=(hour,))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(h,)) for h in ("09:00", "10:00")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(Regimen.objects.filter(patient=world.alice).values_list("version", flat=True)) == [1, 2, 3]
    assert Regimen.objects.current().filter(patient=world.alice).count() == 1
    assert set(slots_per_day(world.alice).values()) == {1}


def test_the_first_slot_ever_has_no_previous_dose_and_opens_two_hours_early(world):
    from doses import schedule

    regimen = start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today())
    first = regimen.slots.order_by("scheduled_at").first()
    timing = schedule.timeline_of(first).timing(first)
    assert timing.previous_at is None
    assert timing.next_at - first.scheduled_at == timedelta(days=1)
    assert first.scheduled_at - timing.opens_at == timedelta(hours=2)


def test_SCHED_TZ_travel_moves_future_doses_to_the_same_clock_time_in_the_new_zone(world):
    now = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)  # 10:00 in London, 05:00 in New York
    regimen = start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 6, 1), now=now)
    taken = DoseSlot.objects.get(regimen=regimen, local_date=date(2026, 6, 10))  # 08:00 London = 07:00 UTC
    taken.status = SlotStatus.TAKEN
    taken.save()
    world.alice.time_zone = "America/New_York"
    world.alice.save()

    created = slot_services.reschedule_after_time_zone_change(patient=world.alice, now=now)

    new_york = world.alice.zone
    future = list(DoseSlot.objects.filter(patient=world.alice, scheduled_at__gt=now))
    assert created == len(future) > 0
    assert {s.scheduled_at.astimezone(new_york).strftime("%H:%M") for s in future} == {"08:00"}
    # 08:00 in New York today is only 5 hours after the London dose: left out (MISS-NODOUBLE).
    assert min(s.scheduled_at for s in future) - taken.scheduled_at > timedelta(hours=12)
    assert {s.local_date for s in future} == {s.scheduled_at.astimezone(new_york).date() for s in future}
    assert DoseSlot.objects.filter(pk=taken.pk, status=SlotStatus.TAKEN).exists()
