"""Which slots are due at a moment, and who gets which message (every kind)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from companion.models import CareMembership
from doses import schedule
from doses.models import CareAlert, DoseSlot, FridgeSyringe, LabTest, Regimen, SlotStatus, SupplyEvent
from doses.services import regimens as regimen_services
from reminders import dispatch, sending
from reminders.models import Delivery, Kind, NotificationPreference

from .conftest import SLOT_AT

MINUTE = timedelta(minutes=1)


def recipients(kind: str) -> set[str]:
    return set(Delivery.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def prefs(world, user, **fields) -> NotificationPreference:
    membership = CareMembership.objects.active().get(patient=world.alice, user=user)
    preference, _ = NotificationPreference.objects.get_or_create(membership=membership)
    for name, value in fields.items():
        setattr(preference, name, value)
    preference.save()
    return preference


# --- injection reminders -------------------------------------------------------------


def test_a_slot_is_due_for_its_reminder_from_its_time_not_a_second_before(slot):
    assert slot not in dispatch.slots_due_for_reminder(SLOT_AT - timedelta(seconds=1))
    assert list(dispatch.slots_due_for_reminder(SLOT_AT)) == [slot]
    assert list(dispatch.slots_due_for_reminder(SLOT_AT + 30 * MINUTE)) == [slot]


def test_a_reminder_missed_longer_ago_than_the_catch_up_span_is_not_sent(slot, settings):
    settings.REMINDER_CATCH_UP_MINUTES = 60
    assert slot not in dispatch.slots_due_for_reminder(SLOT_AT + 61 * MINUTE)


def test_a_logged_slot_is_not_due(slot):
    DoseSlot.objects.filter(pk=slot.pk).update(status=SlotStatus.TAKEN)
    assert not dispatch.slots_due_for_reminder(SLOT_AT + MINUTE).exists()


def test_injection_reminder_goes_to_the_patient_and_not_to_caregivers_by_default(world, slot):
    dispatch.queue_injection_reminders(SLOT_AT + MINUTE)
    # bob (caregiver) has not asked for a copy, carol is a clinician, rita's access was revoked.
    assert recipients(Kind.INJECTION_REMINDER) == {"alice@example.org"}
    assert Delivery.objects.get().subject_key == f"slot:{slot.pk}"


def test_a_caregiver_who_asks_for_a_copy_gets_the_injection_reminder(world, slot):
    prefs(world, world.bob, caregiver_copy=True)
    dispatch.queue_injection_reminders(SLOT_AT + MINUTE)
    assert recipients(Kind.INJECTION_REMINDER) == {"alice@example.org", "bob@example.org"}


def test_a_patient_who_switched_injection_reminders_off_gets_none(world, slot):
    prefs(world, world.alice_user, injection_reminder=False)
    dispatch.queue_injection_reminders(SLOT_AT + MINUTE)
    assert not Delivery.objects.exists()


def test_a_member_with_reminders_off_in_the_circle_gets_nothing(world, slot):
    CareMembership.objects.filter(patient=world.alice, user=world.alice_user).update(receives_reminders=False)
    dispatch.queue_injection_reminders(SLOT_AT + MINUTE)
    assert not Delivery.objects.exists()


def test_a_stranger_and_another_patients_clinician_never_get_alices_messages(world, slot):
    alert = CareAlert.objects.create(patient=world.alice, kind=CareAlert.Kind.SERIOUS_SYMPTOM, rule_id="AE-SERIOUS")
    dispatch.queue_injection_reminders(SLOT_AT + MINUTE)
    dispatch.queue_care_alerts(alert.created_at, CareAlert.objects.filter(pk=alert.pk))
    sent_to = set(Delivery.objects.values_list("recipient__email", flat=True))
    assert not sent_to & {"mallory@example.org", "dave@example.org", "zoe@example.org", "rita@example.org"}


# --- escalation and missed doses --------------------------------------------------------


def test_escalation_goes_to_caregivers_the_configured_time_after_the_slot(world, slot, settings):
    settings.ESCALATE_AFTER_MINUTES = 60
    dispatch.queue_escalations(SLOT_AT + 59 * MINUTE)
    assert not Delivery.objects.exists()
    dispatch.queue_escalations(SLOT_AT + 60 * MINUTE)
    assert recipients(Kind.ESCALATION) == {"bob@example.org"}


def test_no_escalation_once_the_dose_is_logged(world, slot):
    DoseSlot.objects.filter(pk=slot.pk).update(status=SlotStatus.TAKEN)
    dispatch.queue_escalations(SLOT_AT + 90 * MINUTE)
    assert not Delivery.objects.exists()


def test_MISS_SKIP_a_slot_is_marked_missed_exactly_at_its_cut_off(world, slot):
    cut_off = schedule.window_for_slot(slot).closes_at  # 20:00: 12 hours before the next dose
    assert cut_off == datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    assert slot.pk not in dispatch.mark_missed_doses(cut_off - MINUTE)
    assert slot.pk in dispatch.mark_missed_doses(cut_off)
    slot.refresh_from_db()
    assert slot.status == SlotStatus.MISSED
    assert slot.status_changed_by is None


def test_MISS_SKIP_the_batch_cut_off_is_the_one_window_for_slot_gives(world, daily):
    regimen_services.create_regimen_version(
        patient=world.alice,
        entered_by=world.carol,
        entry=regimen_services.RegimenEntry(
            # 100 mg a day split in two is weight-based: the fixed adult dose is never split (DOSE-ADULT).
            dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
            daily_dose_mg=daily.daily_dose_mg,
            mg_per_kg=Decimal("2"),
            weight_kg_basis=Decimal("50"),
            interval_days=2,
            administrations_per_day=2,
            times_of_day=["07:00", "19:00"],
            starts_on=date(2026, 3, 12),
        ),
        confirmed=True,
        now=datetime(2026, 3, 10, 7, 0, tzinfo=UTC),
    )
    for slot in DoseSlot.objects.filter(patient=world.alice).order_by("scheduled_at")[:12]:
        closes_at = schedule.window_for_slot(slot).closes_at
        assert slot.pk not in dispatch.slots_past_cutoff(closes_at - timedelta(seconds=1)), slot
        assert slot.pk in dispatch.slots_past_cutoff(closes_at), slot


def test_MISS_SKIP_a_logged_dose_is_never_marked_missed(world, slot):
    DoseSlot.objects.filter(pk=slot.pk).update(status=SlotStatus.TAKEN)
    dispatch.mark_missed_doses(SLOT_AT + timedelta(days=1))
    slot.refresh_from_db()
    assert slot.status == SlotStatus.TAKEN


def test_MISS_SKIP_caregivers_get_a_final_note_when_a_dose_becomes_missed(world, slot):
    dispatch.mark_missed_doses(datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    assert set(
        Delivery.objects.filter(kind=Kind.MISSED_NOTE, subject_key=f"slot:{slot.pk}").values_list(
            "recipient__email", flat=True
        )
    ) == {"bob@example.org"}


# --- care alerts -----------------------------------------------------------------------


def test_AE_SERIOUS_alert_reaches_the_whole_care_team_even_in_quiet_hours(world):
    prefs(world, world.carol, quiet_start=time(0, 0), quiet_end=time(23, 59))
    alert = CareAlert.objects.create(
        patient=world.alice, kind=CareAlert.Kind.SERIOUS_SYMPTOM, rule_id="AE-SERIOUS", summary="Fever"
    )
    dispatch.queue_care_alerts(alert.created_at, CareAlert.objects.filter(pk=alert.pk))
    assert recipients(Kind.CARE_ALERT) == {"alice@example.org", "bob@example.org", "carol@example.org"}
    assert not Delivery.objects.filter(not_before__isnull=False).exists()


def test_IX_TNF_interaction_alert_waits_for_the_end_of_quiet_hours(world):
    now = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    prefs(world, world.carol, quiet_start=time(22, 0), quiet_end=time(7, 0))
    alert = CareAlert.objects.create(
        patient=world.alice, kind=CareAlert.Kind.INTERACTION, rule_id="IX-TNF", summary="TNF", created_at=now
    )
    dispatch.queue_care_alerts(now, CareAlert.objects.filter(pk=alert.pk))
    deferred = Delivery.objects.get(recipient=world.carol)
    assert deferred.not_before == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)


# --- refill, labs, fridge ------------------------------------------------------------------


def _supply(world, *counts):
    for count in counts:
        SupplyEvent.objects.create(
            patient=world.alice,
            kind=SupplyEvent.Kind.PICKUP if count > 0 else SupplyEvent.Kind.DOSE,
            syringes=count,
        )


def test_refill_reminder_when_supply_falls_to_the_configured_days(world, daily, settings):
    settings.REFILL_REMINDER_DAYS = 3
    _supply(world, 7, -3)  # 4 days left at one syringe a day
    dispatch.queue_refill_reminders(SLOT_AT)
    assert not Delivery.objects.exists()
    _supply(world, -1)  # 3 days left
    dispatch.queue_refill_reminders(SLOT_AT)
    assert recipients(Kind.REFILL) == {"alice@example.org"}
    dispatch.queue_refill_reminders(SLOT_AT + timedelta(hours=1))
    assert Delivery.objects.count() == 1  # once per pick-up cycle


def test_a_new_pick_up_starts_a_new_refill_cycle(world, daily):
    _supply(world, 7, -5)
    dispatch.queue_refill_reminders(SLOT_AT)
    _supply(world, 7, -8)
    dispatch.queue_refill_reminders(SLOT_AT + timedelta(days=8))
    assert Delivery.objects.filter(kind=Kind.REFILL).count() == 2


def test_AE_LABS_lab_reminder_from_three_days_before_it_is_due(world, daily, settings):
    settings.LAB_REMINDER_DAYS_BEFORE = 3
    LabTest.objects.filter(patient=world.alice).delete()
    lab = LabTest.objects.create(patient=world.alice, label="Month 1", due_on=date(2026, 3, 14))
    dispatch.queue_lab_reminders(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    assert not Delivery.objects.exists()
    dispatch.queue_lab_reminders(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    # AE-LABS: the clinician (carol) orders the test, so the reminder reaches her too; not the caregiver.
    assert recipients(Kind.LAB) == {"alice@example.org", "carol@example.org"}
    assert set(Delivery.objects.values_list("subject_key", flat=True)) == {f"lab:{lab.pk}"}


def test_AE_LABS_a_lab_already_done_gets_no_reminder(world, daily):
    LabTest.objects.filter(patient=world.alice).delete()
    LabTest.objects.create(patient=world.alice, label="Month 1", due_on=date(2026, 3, 11), done_on=date(2026, 3, 9))
    dispatch.queue_lab_reminders(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    assert not Delivery.objects.exists()


def test_PREP_24H_fridge_reminder_two_hours_before_the_syringe_expires(world, settings):
    settings.FRIDGE_REMINDER_BEFORE_MINUTES = 120
    out = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    syringe = FridgeSyringe.objects.create(patient=world.alice, taken_out_at=out)
    assert syringe.use_by == out + timedelta(hours=24)
    dispatch.queue_fridge_reminders(out + timedelta(hours=21, minutes=59))
    assert not Delivery.objects.exists()
    dispatch.queue_fridge_reminders(out + timedelta(hours=22))
    assert recipients(Kind.FRIDGE) == {"alice@example.org", "bob@example.org"}


def test_PREP_24H_no_fridge_reminder_for_a_syringe_already_used(world):
    out = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    FridgeSyringe.objects.create(patient=world.alice, taken_out_at=out, closed_at=out + timedelta(hours=1))
    dispatch.queue_fridge_reminders(out + timedelta(hours=23))
    assert not Delivery.objects.exists()


# --- quiet hours and schedules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (time(21, 59), None),
        (time(22, 0), datetime(2026, 3, 11, 7, 0, tzinfo=UTC)),
        (time(3, 0), datetime(2026, 3, 10, 7, 0, tzinfo=UTC)),
        (time(7, 0), None),
    ],
)
def test_quiet_hours_over_midnight_defer_to_their_end(clock, expected):
    from reminders.models import quiet_until

    day = date(2026, 3, 10)
    now = datetime.combine(day, clock, tzinfo=UTC)
    assert quiet_until(time(22, 0), time(7, 0), "Europe/London", now) == expected


def test_quiet_hours_are_read_in_the_recipients_own_time_zone(world, slot):
    # 08:00 in London is 03:00 in New York: inside alice's quiet hours there.
    prefs(world, world.alice_user, quiet_start=time(22, 0), quiet_end=time(7, 0), time_zone="America/New_York")
    dispatch.queue_injection_reminders(SLOT_AT + MINUTE)
    assert Delivery.objects.get().not_before == datetime(2026, 3, 10, 11, 0, tzinfo=UTC)


def test_extend_dose_schedules_keeps_the_horizon_materialised_and_is_idempotent(world, daily, settings):
    settings.SCHEDULE_HORIZON_DAYS = 14
    later = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    dispatch.extend_dose_schedules(later)
    assert DoseSlot.objects.filter(patient=world.alice, local_date=date(2026, 4, 3)).exists()
    count = DoseSlot.objects.count()
    dispatch.extend_dose_schedules(later)
    assert DoseSlot.objects.count() == count


def test_a_tick_for_a_thousand_patients_issues_as_many_queries_as_for_one(world, django_assert_max_num_queries):
    """Batching: the tick's query count does not grow with the number of patients."""
    from reminders.management.commands.benchmark_dispatch import create_due_patients

    now = datetime(2026, 3, 10, 8, 0, 30, tzinfo=UTC)
    create_due_patients(1, SLOT_AT, prefix="one")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        dispatch.queue_injection_reminders(now)
    Delivery.objects.all().delete()
    create_due_patients(300, SLOT_AT, prefix="many")
    with CaptureQueriesContext(connection) as many:
        dispatch.queue_injection_reminders(now)
    assert Delivery.objects.count() == 301
    if connection.vendor == "postgresql":
        assert len(many) == len(one)
    else:  # SQLite caps parameters per statement, so the bulk insert comes in batches
        fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
        batches = math.ceil(301 / connection.ops.bulk_batch_size(fields, [None] * 301))
        assert len(many) <= len(one) - 1 + batches


def test_MISS_NODOUBLE_extending_schedules_adds_no_slot_on_a_day_that_already_has_a_logged_dose(world, daily):
    """A regimen changed to a later time today: today's dose was taken, so no second slot today."""
    DoseSlot.objects.filter(regimen=daily, scheduled_at=SLOT_AT).update(status=SlotStatus.TAKEN)
    moved = regimen_services.create_regimen_version(
        patient=world.alice,
        entered_by=world.carol,
        entry=regimen_services.RegimenEntry(
            dose_basis=daily.dose_basis,
            daily_dose_mg=daily.daily_dose_mg,
            interval_days=1,
            administrations_per_day=1,
            times_of_day=["20:00"],
            starts_on=date(2026, 3, 10),
        ),
        confirmed=True,
        now=SLOT_AT + timedelta(hours=1),
    )
    DoseSlot.objects.filter(regimen=moved).delete()
    dispatch.extend_dose_schedules(SLOT_AT + timedelta(hours=2))
    assert not DoseSlot.objects.filter(regimen=moved, local_date=date(2026, 3, 10)).exists()
    assert DoseSlot.objects.filter(regimen=moved, local_date=date(2026, 3, 11)).exists()


def test_AE_LABS_the_clinicians_lab_reminder_asks_her_to_order_the_count(world, daily):
    LabTest.objects.filter(patient=world.alice).delete()
    LabTest.objects.create(patient=world.alice, label="Month 1", due_on=date(2026, 3, 14))
    tick = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    dispatch.queue_lab_reminders(tick)
    for delivery in Delivery.objects.filter(kind=Kind.LAB):
        sending.deliver(delivery.pk, now=tick)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["carol@example.org"].subject == "A neutrophil count is due for your patient Alice"
    assert "Please make sure it is ordered" in by_address["carol@example.org"].body
    assert by_address["alice@example.org"].subject == "A blood test is coming up"
    assert "Please keep the appointment" in by_address["alice@example.org"].body
