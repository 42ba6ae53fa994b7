"""Syringe supply and the fridge (SUPPLY-BOX, STORE, PREP-24H, PREP-ONCE): services, rules, selectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from doses.models import FridgeSyringe, SupplyEvent
from doses.rules import syringe_supply
from doses.selectors import records as record_selectors
from doses.services import injections as injection_services
from doses.services import records as record_services
from doses.services import refusals
from tests.conftest import start_adult_regimen

pytestmark = pytest.mark.django_db


def on_hand(world) -> int:
    return record_services.syringes_on_hand(world.alice)


def test_SUPPLY_BOX_a_pickup_adds_seven_syringes_a_box(world):
    event = record_services.record_pickup(patient=world.alice, boxes=3, on=world.alice.local_today(), by=world.bob)
    assert event.kind == SupplyEvent.Kind.PICKUP and event.syringes == 21 and event.boxes == 3
    assert event.recorded_by == world.bob
    assert on_hand(world) == 21


def test_SUPPLY_BOX_an_earlier_pickup_is_dated_on_its_own_local_day(world):
    world.alice.time_zone = "Asia/Tokyo"
    world.alice.save()
    day = world.alice.local_today() - timedelta(days=5)
    event = record_services.record_pickup(patient=world.alice, boxes=1, on=day, by=world.bob)
    assert timezone.localtime(event.occurred_at, world.alice.zone).date() == day


@pytest.mark.parametrize("boxes", [0, -1, 21])
def test_SUPPLY_BOX_implausible_box_counts_are_refused(world, boxes):
    with pytest.raises(refusals.RecordRefused) as refused:
        record_services.record_pickup(patient=world.alice, boxes=boxes, on=world.alice.local_today(), by=world.bob)
    assert refused.value.field == "boxes"
    assert not SupplyEvent.objects.exists()


def test_SUPPLY_BOX_a_future_pickup_is_refused(world):
    with pytest.raises(refusals.RecordRefused):
        record_services.record_pickup(
            patient=world.alice, boxes=1, on=world.alice.local_today() + timedelta(days=1), by=world.bob
        )
    assert not SupplyEvent.objects.exists()


def test_PREP_ONCE_each_dose_uses_a_syringe_from_the_supply(world, alice_on_regimen):
    record_services.record_pickup(patient=world.alice, boxes=1, on=world.alice.local_today(), by=world.bob)
    slot = world.alice.slots.order_by("scheduled_at").first()
    injection_services.record_injection(slot=slot, taken_at=slot.scheduled_at, site_spot="abdomen-left-1", by=world.bob)
    assert on_hand(world) == 6


def test_a_count_correction_records_the_difference_and_keeps_the_history(world):
    record_services.record_pickup(patient=world.alice, boxes=2, on=world.alice.local_today(), by=world.bob)
    correction = record_services.correct_supply_count(patient=world.alice, actual_count=11, by=world.alice_user)
    assert correction.kind == SupplyEvent.Kind.CORRECTION and correction.syringes == -3
    assert on_hand(world) == 11
    assert SupplyEvent.objects.filter(patient=world.alice).count() == 2  # the pick-up is still there
    again = record_services.correct_supply_count(patient=world.alice, actual_count=11, by=world.alice_user)
    assert again.syringes == 0 and on_hand(world) == 11


@pytest.mark.parametrize("count", [-1, -50, 1001])
def test_a_negative_or_absurd_count_is_refused(world, count):
    record_services.record_pickup(patient=world.alice, boxes=1, on=world.alice.local_today(), by=world.bob)
    with pytest.raises(refusals.RecordRefused) as refused:
        record_services.correct_supply_count(patient=world.alice, actual_count=count, by=world.bob)
    assert refused.value.field == "actual_count"
    assert on_hand(world) == 7 and SupplyEvent.objects.count() == 1


@pytest.mark.parametrize(
    "syringes,dose,per_day,interval,days",
    [
        (7, "100", 1, 1, 7),  # one box: one week (SUPPLY-BOX)
        (7, "100", 1, 2, 14),  # every other day (SCHED-RENAL)
        (7, "50", 2, 1, 3),  # split dose: a syringe per injection, leftovers discarded (PREP-ONCE)
        (7, "150", 1, 1, 3),  # above 100 mg: two syringes per dose
        (0, "100", 1, 1, 0),
        (-2, "100", 1, 1, 0),
    ],
)
def test_SUPPLY_BOX_days_of_supply_at_the_current_regimen(syringes, dose, per_day, interval, days):
    assert (
        syringe_supply.days_of_supply(syringes, dose_mg=Decimal(dose), administrations_per_day=per_day, interval_days=interval)
        == days
    )


def test_SUPPLY_BOX_summary_shows_days_left_and_the_run_out_date(world):
    start_adult_regimen(world.alice, world.carol, interval_days=2)
    record_services.record_pickup(patient=world.alice, boxes=1, on=world.alice.local_today(), by=world.bob)
    summary = record_selectors.supply_summary(world.alice)
    assert summary.on_hand == 7 and summary.days_left == 14
    assert summary.runs_out_on == world.alice.local_today() + timedelta(days=14)
    assert summary.last_pickup.boxes == 1


def test_supply_summary_without_a_regimen_says_nothing_about_days(world):
    record_services.record_pickup(patient=world.alice, boxes=1, on=world.alice.local_today(), by=world.bob)
    summary = record_selectors.supply_summary(world.alice)
    assert summary.on_hand == 7 and summary.days_left is None


def test_STORE_supply_page_gives_the_storage_rules(world, client_for):
    html = client_for(world.alice_user).get(reverse("doses:supply", args=[world.alice.pk])).content.decode()
    assert "do not freeze" in html and "protect from light" in html and "out of reach of children" in html


# --- fridge (PREP-24H) -----------------------------------------------------------------------


def test_PREP_24H_a_syringe_out_of_the_fridge_must_be_used_within_24_hours(world):
    now = timezone.now()
    syringe = record_services.take_syringe_out_of_fridge(patient=world.alice, by=world.bob, now=now)
    assert syringe.use_by == now + timedelta(hours=24)
    assert list(record_selectors.open_fridge_syringes(world.alice)) == [syringe]


def test_PREP_24H_use_by_is_24_real_hours_across_a_clock_change(world):
    # New York leaves summer time at 02:00 on 1 November 2026: the day has 25 hours.
    world.alice.time_zone = "America/New_York"
    world.alice.save()
    zone = world.alice.zone
    taken = datetime(2026, 11, 1, 0, 30, tzinfo=zone)
    syringe = record_services.take_syringe_out_of_fridge(
        patient=world.alice, by=world.bob, taken_out_at=taken, now=taken + timedelta(minutes=5)
    )
    assert syringe.use_by - taken.astimezone(UTC) == timedelta(hours=24)
    assert timezone.localtime(syringe.use_by, zone).hour == 23  # 23:30 local, not 00:30 the next day


def test_PREP_24H_past_use_by_it_can_only_be_discarded(world):
    now = timezone.now()
    syringe = record_services.take_syringe_out_of_fridge(
        patient=world.alice, by=world.bob, taken_out_at=now - timedelta(hours=24, minutes=1), now=now
    )
    for outcome in (record_services.FRIDGE_USED, record_services.FRIDGE_PUT_BACK):
        with pytest.raises(refusals.RecordRefused) as refused:
            record_services.close_fridge_syringe(fridge_syringe=syringe, outcome=outcome, by=world.bob, now=now)
        assert refused.value.rule_id == "PREP-24H"
    record_services.record_pickup(patient=world.alice, boxes=1, on=world.alice.local_today(), by=world.bob, now=now)
    record_services.close_fridge_syringe(fridge_syringe=syringe, outcome=record_services.FRIDGE_DISCARDED, by=world.bob, now=now)
    discard = SupplyEvent.objects.get(patient=world.alice, kind=SupplyEvent.Kind.DISCARD)
    assert discard.kind == SupplyEvent.Kind.DISCARD and discard.syringes == -1 and "PREP-24H" in discard.note


def test_used_and_put_back_do_not_change_the_supply(world):
    for outcome in (record_services.FRIDGE_USED, record_services.FRIDGE_PUT_BACK):
        syringe = record_services.take_syringe_out_of_fridge(patient=world.alice, by=world.bob)
        record_services.close_fridge_syringe(fridge_syringe=syringe, outcome=outcome, by=world.bob)
    assert not SupplyEvent.objects.exists()
    assert not record_selectors.open_fridge_syringes(world.alice).exists()


def test_a_syringe_is_closed_only_once(world):
    syringe = record_services.take_syringe_out_of_fridge(patient=world.alice, by=world.bob)
    record_services.close_fridge_syringe(fridge_syringe=syringe, outcome=record_services.FRIDGE_DISCARDED, by=world.bob)
    with pytest.raises(refusals.RecordRefused):
        record_services.close_fridge_syringe(fridge_syringe=syringe, outcome=record_services.FRIDGE_DISCARDED, by=world.bob)
    assert SupplyEvent.objects.count() == 1


@pytest.mark.parametrize("offset", [timedelta(hours=1), -timedelta(days=8)])
def test_fridge_times_in_the_future_or_long_ago_are_refused(world, offset):
    with pytest.raises(refusals.RecordRefused):
        record_services.take_syringe_out_of_fridge(patient=world.alice, by=world.bob, taken_out_at=timezone.now() + offset)
    assert not FridgeSyringe.objects.exists()


@pytest.mark.concurrency
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_corrections_at_once_end_at_the_counted_number(world, on_postgres):
    import threading

    from django.db import connection

    record_services.record_pickup(patient=world.alice, boxes=2, on=world.alice.local_today(), by=world.bob)
    barrier = threading.Barrier(2)

    def worker(user):
        try:
            barrier.wait()
            record_services.correct_supply_count(patient=world.alice, actual_count=9, by=user)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(user,)) for user in (world.bob, world.alice_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Without the lock both would subtract 5 and leave 4.
    assert on_hand(world) == 9
    assert sorted(SupplyEvent.objects.filter(kind=SupplyEvent.Kind.CORRECTION).values_list("syringes", flat=True)) == [
        -5,
        0,
    ]
