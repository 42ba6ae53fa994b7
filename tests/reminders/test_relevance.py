"""Until when each kind of delivery still matters (reminders/relevance.py), and the retry cadence."""

from __future__ import annotations

from datetime import timedelta

import pytest

from doses.models import CareAlert
from doses.services import records as record_services
from reminders import dispatch, sending
from reminders.models import Delivery, Kind
from reminders.relevance import retry_delay, still_matters_until
from reminders.transports import TransportError

from .conftest import SLOT_AT

NOW = SLOT_AT + timedelta(seconds=30)


def test_MISS_SKIP_an_injection_reminder_and_its_escalation_matter_until_the_dose_window_closes(world, slot):
    dispatch.queue_injection_reminders(NOW)
    dispatch.queue_escalations(SLOT_AT + timedelta(hours=1))
    for kind in (Kind.INJECTION_REMINDER, Kind.ESCALATION):
        relevance = still_matters_until(Delivery.objects.get(kind=kind))
        # 08:00 daily: the window closes 12 hours before the next dose (MISS-SKIP), at 20:00.
        assert relevance.until == SLOT_AT + timedelta(hours=12)
        assert relevance.then == Delivery.Status.CANCELLED


def test_a_care_alert_matters_for_three_days_and_then_fails_visibly(world):
    alert = CareAlert.objects.create(patient=world.alice, kind=CareAlert.Kind.SERIOUS_SYMPTOM, rule_id="AE-SERIOUS")
    delivery = Delivery(
        kind=Kind.CARE_ALERT, patient=world.alice, recipient=world.carol, subject_key=f"alert:{alert.pk}"
    )
    relevance = still_matters_until(delivery)
    assert relevance.until == delivery.created_at + timedelta(days=3)
    assert relevance.then == Delivery.Status.FAILED


def test_PREP_24H_a_fridge_reminder_matters_until_the_syringes_24_hours_end(world):
    syringe = record_services.take_syringe_out_of_fridge(patient=world.alice, by=world.alice_user, now=NOW)
    delivery = Delivery(
        kind=Kind.FRIDGE, patient=world.alice, recipient=world.alice_user, subject_key=f"fridge:{syringe.pk}"
    )
    assert still_matters_until(delivery).until == NOW + timedelta(hours=24)


@pytest.mark.parametrize("kind", [Kind.LAB, Kind.REFILL, Kind.MISSED_NOTE, "password_reset"])
def test_blood_test_refill_missed_dose_and_unknown_kinds_matter_for_a_day_even_without_a_patient(world, kind):
    # A kind added later (account e-mails) may have no patient: the default needs none.
    delivery = Delivery(kind=kind, patient=None, recipient=world.alice_user, subject_key="lab:999999", created_at=NOW)
    relevance = still_matters_until(delivery)
    assert (relevance.until, relevance.then) == (NOW + timedelta(days=1), Delivery.Status.FAILED)


def test_retries_back_off_exponentially_up_to_ten_minutes_and_stay_there():
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 600, 600, 600]
    assert retry_delay(10_000) == timedelta(minutes=10)


class Down:
    def send(self, delivery):
        raise TransportError("Mail server unreachable: [Errno 111] Connection refused", retryable=True)


def test_a_failed_attempt_leaves_one_message_able_to_retry_it_early_and_no_other(world, slot):
    """Only the retry a failure scheduled may claim the row before its next attempt, so a
    tick's copy or a redelivered duplicate cannot turn one failure into two attempts."""
    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    with pytest.raises(sending.RetryLater) as failed:
        sending.deliver(delivery.pk, now=NOW, transport=Down())
    early = failed.value.retry_at - timedelta(seconds=1)
    assert sending.deliver(delivery.pk, now=early, transport=Down()) == "not claimed"  # a tick's copy
    with pytest.raises(sending.RetryLater):  # the scheduled retry, a second early (another clock)
        sending.deliver(delivery.pk, now=early, transport=Down(), retry_of=failed.value.attempts)
    assert sending.deliver(delivery.pk, now=early, retry_of=failed.value.attempts) == "not claimed"  # its duplicate
    assert Delivery.objects.get(pk=delivery.pk).attempts == 2
