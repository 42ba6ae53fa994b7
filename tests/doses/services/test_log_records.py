"""The log records what really happened (issue 13, part 5): services.

AE-OVERDOSE: more than the prescribed dose, really injected, is recorded once confirmed,
flagged and alerted. PREP-24H: a syringe out of the fridge 24 hours is never used for a
dose. SUPPLY-BOX: the syringe count never goes below zero. alice lives in New York, 08:00.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from doses.models import CareAlert, FridgeSyringe, Injection, SlotStatus, SupplyEvent
from doses.rules import catalogue, recorded_doses
from doses.services import injections as injection_services
from doses.services import records as record_services
from doses.services import refusals
from doses.services import regimens as regimen_services
from tests.doses.log_helpers import alice_in_new_york, slot_at

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def log(world, slot, taken_at, **extra) -> Injection:
    return injection_services.record_injection(
        slot=slot, taken_at=taken_at, site_spot="abdomen-left-1", by=world.alice_user, **extra
    )


def stock(world, count: int) -> None:
    record_services.correct_supply_count(patient=world.alice, actual_count=count, by=world.alice_user)


# --- AE-OVERDOSE ------------------------------------------------------------------------------


def test_AE_OVERDOSE_a_dose_above_the_prescribed_one_is_refused_until_confirmed(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    with pytest.raises(refusals.DoseRefused) as refused:
        log(world, slot, now, dose_mg=Decimal("150"))
    assert (refused.value.rule_id, refused.value.field) == ("AE-OVERDOSE", "dose_mg")
    assert "150 mg is more than the prescribed 100.0 mg" in str(refused.value)
    assert "tick the box" in str(refused.value)
    assert not Injection.objects.exists() and not CareAlert.objects.exists()


def test_AE_OVERDOSE_a_confirmed_dose_above_the_prescribed_one_is_stored_flagged_and_counts_for_the_slot(
    world, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    stock(world, 7)
    slot = slot_at(world.alice, TODAY)
    injection = log(world, slot, now, dose_mg=Decimal("150"), confirm_above_prescribed=True)
    assert (injection.dose_mg, injection.above_prescribed, injection.prescribed_mg) == (
        Decimal("150"),
        True,
        Decimal("100.0"),
    )
    slot.refresh_from_db()
    assert slot.status == SlotStatus.TAKEN  # the slot's dose, taken (and flagged)
    # PREP-ONCE: 150 mg used two syringes.
    assert record_services.syringes_on_hand(world.alice) == 5


def test_AE_OVERDOSE_the_care_team_is_alerted_in_the_same_transaction(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    injection = log(world, slot, now, dose_mg=Decimal("200"), confirm_above_prescribed=True)
    alert = CareAlert.objects.get(patient=world.alice)
    assert (alert.kind, alert.rule_id, alert.created_at) == (CareAlert.Kind.OVERDOSE, "AE-OVERDOSE", now)
    assert "200 mg injected, above the prescribed 100 mg" in alert.summary
    assert injection.pk


def test_AE_OVERDOSE_a_rolled_back_log_leaves_no_alert(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    with pytest.raises(RuntimeError), transaction.atomic():
        log(world, slot, now, dose_mg=Decimal("200"), confirm_above_prescribed=True)
        raise RuntimeError("the request failed after the write")
    assert not CareAlert.objects.exists() and not Injection.objects.exists()


def test_AE_OVERDOSE_a_dose_at_or_below_the_prescribed_one_is_not_flagged_and_raises_no_alert(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    injection = log(world, slot_at(world.alice, TODAY), now, dose_mg=Decimal("100"), confirm_above_prescribed=True)
    assert (injection.above_prescribed, injection.prescribed_mg) == (False, Decimal("100.0"))
    assert not CareAlert.objects.exists()


@pytest.mark.parametrize("dose", ["500.1", "1000", "99999.9"])
def test_AE_OVERDOSE_a_dose_above_five_full_syringes_is_refused_even_when_confirmed(world, monkeypatch, dose):
    now = alice_in_new_york(world, monkeypatch)
    with pytest.raises(refusals.DoseRefused) as refused:
        log(world, slot_at(world.alice, TODAY), now, dose_mg=Decimal(dose), confirm_above_prescribed=True)
    assert refused.value.field == "dose_mg"
    assert "please check the number" in str(refused.value)
    assert not Injection.objects.exists() and not CareAlert.objects.exists()


def test_AE_OVERDOSE_five_full_syringes_can_still_be_recorded(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    injection = log(world, slot_at(world.alice, TODAY), now, dose_mg=Decimal("500"), confirm_above_prescribed=True)
    assert injection.above_prescribed


def test_AE_OVERDOSE_a_childs_split_dose_above_its_half_is_flagged_against_the_half(world, monkeypatch):
    """A 20 kg child on 2 mg/kg/day split in two: each dose is 20 mg; 40 mg given is above it."""
    from doses.models import Regimen

    now = alice_in_new_york(world, monkeypatch)
    regimen_services.create_regimen_version(
        patient=world.alice,
        entered_by=world.carol,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        daily_dose_mg=Decimal("40"),
        mg_per_kg=Decimal("2"),
        weight_kg_basis=Decimal("20"),
        interval_days=1,
        administrations_per_day=2,
        times_of_day=["08:00", "20:00"],
        starts_on=TODAY,
        confirmed=True,
        now=now,
    )
    slot = slot_at(world.alice, TODAY)
    with pytest.raises(refusals.DoseRefused):
        log(world, slot, now, dose_mg=Decimal("40"))
    injection = log(world, slot, now, dose_mg=Decimal("40"), confirm_above_prescribed=True)
    assert (injection.above_prescribed, injection.prescribed_mg) == (True, Decimal("20.0"))


def test_AE_OVERDOSE_rules_say_above_below_and_implausible():
    assert recorded_doses.check_recorded_dose(Decimal("100"), Decimal("100"), confirmed_above_prescribed=False) is False
    assert recorded_doses.check_recorded_dose(Decimal("67.5"), Decimal("100"), confirmed_above_prescribed=False) is False
    assert recorded_doses.check_recorded_dose(Decimal("100.1"), Decimal("100"), confirmed_above_prescribed=True) is True
    with pytest.raises(recorded_doses.AbovePrescribedNotConfirmed):
        recorded_doses.check_recorded_dose(Decimal("100.1"), Decimal("100"), confirmed_above_prescribed=False)
    for bad in ("0", "-1", "500.1"):
        with pytest.raises(catalogue.DoseRuleError):
            recorded_doses.check_recorded_dose(Decimal(bad), Decimal("100"), confirmed_above_prescribed=True)


def test_AE_OVERDOSE_the_alert_reaches_the_care_team_even_in_quiet_hours(world, monkeypatch):
    from companion.models import CareMembership
    from reminders import dispatch
    from reminders.models import Delivery, Kind, NotificationPreference

    now = alice_in_new_york(world, monkeypatch)
    membership = CareMembership.objects.active().get(patient=world.alice, user=world.carol)
    NotificationPreference.objects.update_or_create(
        membership=membership, defaults={"quiet_start": time(0, 0), "quiet_end": time(23, 59)}
    )
    log(world, slot_at(world.alice, TODAY), now, dose_mg=Decimal("150"), confirm_above_prescribed=True)
    dispatch.queue_care_alerts(now, CareAlert.objects.filter(kind=CareAlert.Kind.OVERDOSE))
    carol = Delivery.objects.get(kind=Kind.CARE_ALERT, recipient=world.carol)
    assert carol.not_before is None  # not deferred to the end of quiet hours


def test_AE_OVERDOSE_the_alert_email_says_it_needs_attention_now(world, monkeypatch):
    from reminders import dispatch
    from reminders.messages import message_context
    from reminders.models import Delivery, Kind

    now = alice_in_new_york(world, monkeypatch)
    log(world, slot_at(world.alice, TODAY), now, dose_mg=Decimal("150"), confirm_above_prescribed=True)
    dispatch.queue_care_alerts(now, CareAlert.objects.all())
    delivery = Delivery.objects.filter(kind=Kind.CARE_ALERT).first()
    assert message_context(delivery)["is_serious"] is True


# --- PREP-24H ---------------------------------------------------------------------------------


def out_of_fridge(world, at) -> FridgeSyringe:
    return FridgeSyringe.objects.create(patient=world.alice, taken_out_at=at, recorded_by=world.alice_user)


def test_PREP_24H_a_dose_cannot_be_logged_with_a_syringe_out_of_the_fridge_more_than_24_hours(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    stale = out_of_fridge(world, now - timedelta(hours=25))
    with pytest.raises(refusals.DoseRefused) as refused:
        log(world, slot_at(world.alice, TODAY), now)
    assert (refused.value.rule_id, refused.value.field) == ("PREP-24H", "fresh_syringe_used")
    assert "do not use it; discard it and take a new one from the fridge" in str(refused.value)
    stale.refresh_from_db()
    assert stale.closed_at is None  # never silently closed as "used"
    assert not Injection.objects.exists() and not SupplyEvent.objects.exists()


def test_PREP_24H_exactly_24_hours_out_is_already_too_long(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    out_of_fridge(world, now - timedelta(hours=24))
    with pytest.raises(refusals.DoseRefused):
        log(world, slot_at(world.alice, TODAY), now)


def test_PREP_24H_with_a_fresh_syringe_the_dose_is_logged_and_the_old_one_stays_open_for_the_discard(
    world, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    stale = out_of_fridge(world, now - timedelta(hours=30))
    injection = log(world, slot_at(world.alice, TODAY), now, fresh_syringe_used=True)
    assert injection.pk
    stale.refresh_from_db()
    assert stale.closed_at is None
    # Today keeps saying it, with its discard button.
    from doses.presenters import today as today_presenters
    from doses.selectors import today as today_selectors

    titles = [item.title for item in today_presenters.today_page(today_selectors.today_summary(world.alice, now)).attention]
    assert "Do not use the syringe out of the fridge" in titles


def test_PREP_24H_with_an_expired_and_a_warming_syringe_the_dose_uses_the_warming_one(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    stale = out_of_fridge(world, now - timedelta(hours=26))
    warming = out_of_fridge(world, now - timedelta(minutes=30))
    with pytest.raises(refusals.DoseRefused):
        log(world, slot_at(world.alice, TODAY), now)
    log(world, slot_at(world.alice, TODAY), now, fresh_syringe_used=True)
    stale.refresh_from_db()
    warming.refresh_from_db()
    assert (stale.closed_at, warming.closed_at) == (None, now)


def test_PREP_24H_a_back_dated_dose_taken_within_the_24_hours_used_that_syringe(world, monkeypatch):
    """Taken out at 07:30 yesterday, injected at 08:00, logged today at 10:00 (26 h later): fine."""
    now = alice_in_new_york(world, monkeypatch)
    yesterday = slot_at(world.alice, TODAY - timedelta(days=1))
    syringe = out_of_fridge(world, yesterday.scheduled_at - timedelta(minutes=30))
    log(world, yesterday, yesterday.scheduled_at)
    syringe.refresh_from_db()
    assert syringe.closed_at == now


def test_PREP_24H_a_syringe_taken_out_after_the_dose_time_is_not_the_one_used(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    later = out_of_fridge(world, now - timedelta(minutes=5))
    log(world, slot_at(world.alice, TODAY), now - timedelta(minutes=20))
    later.refresh_from_db()
    assert later.closed_at is None


def test_PREP_24H_a_syringe_within_its_24_hours_is_closed_as_used_without_asking(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    warming = out_of_fridge(world, now - timedelta(hours=23, minutes=59))
    log(world, slot_at(world.alice, TODAY), now)
    warming.refresh_from_db()
    assert warming.closed_at == now


# --- SUPPLY-BOX: the count never goes below zero ------------------------------------------------


def test_SUPPLY_BOX_a_dose_at_zero_syringes_still_logs_and_the_count_stays_at_zero(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    stock(world, 0)
    injection = log(world, slot_at(world.alice, TODAY), now)
    event = SupplyEvent.objects.get(injection=injection)
    assert (event.syringes, event.shortfall) == (0, 1)
    assert record_services.syringes_on_hand(world.alice) == 0


def test_SUPPLY_BOX_a_two_syringe_dose_with_one_left_takes_the_one(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    stock(world, 1)
    injection = log(world, slot_at(world.alice, TODAY), now, dose_mg=Decimal("150"), confirm_above_prescribed=True)
    event = SupplyEvent.objects.get(injection=injection)
    assert (event.syringes, event.shortfall) == (-1, 1)
    assert record_services.syringes_on_hand(world.alice) == 0


def test_SUPPLY_BOX_a_discard_at_zero_is_recorded_without_going_below_zero(world):
    stock(world, 0)
    event = injection_services.record_discarded_syringe(patient=world.alice, reason="Dropped", by=world.bob)
    assert (event.kind, event.syringes, event.shortfall) == (SupplyEvent.Kind.DISCARD, 0, 1)
    assert record_services.syringes_on_hand(world.alice) == 0


def test_SUPPLY_BOX_every_write_keeps_the_ledger_at_or_above_zero(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, days_before=6)
    stock(world, 2)
    for days_ago in range(5, -1, -1):
        slot = slot_at(world.alice, TODAY - timedelta(days=days_ago))
        log(world, slot, slot.scheduled_at + timedelta(minutes=5))
        injection_services.record_discarded_syringe(patient=world.alice, reason="Dropped", by=world.bob, at=now)
        assert record_services.syringes_on_hand(world.alice) >= 0
    assert record_services.syringes_on_hand(world.alice) == 0


def test_SUPPLY_BOX_rules_take_what_is_on_hand():
    assert recorded_doses.syringes_taken(1, 5) == (1, 0)
    assert recorded_doses.syringes_taken(2, 1) == (1, 1)
    assert recorded_doses.syringes_taken(1, 0) == (0, 1)
    assert recorded_doses.syringes_taken(1, -3) == (0, 1)  # a ledger from before the rule
    with pytest.raises(catalogue.DoseRuleError):
        recorded_doses.syringes_taken(-1, 5)


@pytest.mark.concurrency
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_SUPPLY_BOX_two_writes_at_once_cannot_both_take_the_last_syringe(world, on_postgres):
    import threading

    from django.db import connection

    stock(world, 1)
    barrier = threading.Barrier(2)

    def worker(user):
        try:
            barrier.wait()
            injection_services.record_discarded_syringe(patient=world.alice, reason="Dropped", by=user)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(user,)) for user in (world.bob, world.alice_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Without the lock both would read 1 and take it: -1.
    assert record_services.syringes_on_hand(world.alice) == 0
    discards = SupplyEvent.objects.filter(kind=SupplyEvent.Kind.DISCARD)
    assert sorted(discards.values_list("syringes", "shortfall")) == [(-1, 0), (0, 1)]


def test_SUPPLY_BOX_the_panel_never_shows_a_negative_count(world, monkeypatch):
    from doses.selectors.panel import compute_adherence_summaries

    now = alice_in_new_york(world, monkeypatch)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=7, occurred_at=now)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.DOSE, syringes=-9, occurred_at=now)
    assert compute_adherence_summaries([world.alice], now)[world.alice.pk].syringes_on_hand == 0


@given(
    operations=st.lists(
        st.one_of(
            st.tuples(st.just("pickup"), st.integers(min_value=1, max_value=20)),
            st.tuples(st.just("use"), st.integers(min_value=1, max_value=5)),
            st.tuples(st.just("count"), st.integers(min_value=0, max_value=30)),
        ),
        max_size=40,
    ),
    start=st.integers(min_value=-5, max_value=10),
)
def test_SUPPLY_BOX_property_no_sequence_of_doses_discards_pickups_and_counts_goes_below_zero(operations, start):
    """The ledger as record_injection / record_discarded_syringe / pickups / corrections write it."""
    balance = start
    for kind, n in operations:
        if kind == "pickup":
            balance += 7 * n
        elif kind == "count":
            balance = n  # a correction writes the difference to the counted number
        else:
            taken, shortfall = recorded_doses.syringes_taken(n, balance)
            assert taken + shortfall == n and taken >= 0 and shortfall >= 0
            was_negative = balance < 0
            balance -= taken
            assert balance >= 0 or (was_negative and taken == 0)  # an old negative ledger is never made worse
