"""Sending: exactly once per slot and recipient, retries, cancellation, and what the e-mail says."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail

from doses.models import DoseSlot, SlotStatus
from reminders import dispatch, sending, tasks
from reminders.models import ACCOUNT_KINDS, Delivery, Kind
from reminders.transports import EmailTransport, TransportError

from .conftest import SLOT_AT, at_once

NOW = SLOT_AT + timedelta(seconds=30)


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_one_tick_sends_the_reminder_by_email(world, slot):
    dispatch.queue_injection_reminders(NOW)
    dispatch.enqueue_ready_deliveries(NOW)  # eager Celery: send_delivery runs here
    assert sent_to() == ["alice@example.org"]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)


def test_dispatch_twice_in_the_same_minute_sends_one_message_per_slot_and_recipient(world, slot):
    for _ in range(2):
        dispatch.queue_injection_reminders(NOW)
        dispatch.enqueue_ready_deliveries(NOW)
    tasks.dispatch_due_reminders()  # and once more through the task itself, at the real clock
    assert sent_to() == ["alice@example.org"]
    assert Delivery.objects.count() == 1


def test_a_message_delivered_twice_by_the_broker_sends_once(world, slot):
    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    assert sending.deliver(delivery.pk, now=NOW) == "sent"
    assert sending.deliver(delivery.pk, now=NOW + timedelta(seconds=1)) == "not claimed"
    assert len(mail.outbox) == 1


class FlakyTransport:
    """The mail server is away for the first `failures` attempts."""

    def __init__(self, failures: int):
        self.failures = failures
        self.sent = []

    def send(self, delivery):
        if self.failures:
            self.failures -= 1
            raise TransportError("Mail server unreachable", retryable=True)
        self.sent.append(delivery.pk)


def test_a_task_retried_after_a_temporary_failure_sends_once(world, slot):
    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    transport = FlakyTransport(failures=1)
    with pytest.raises(sending.RetryLater):
        sending.deliver(delivery.pk, now=NOW, transport=transport)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (Delivery.Status.QUEUED, "Mail server unreachable")
    assert sending.deliver(delivery.pk, now=NOW + timedelta(seconds=30), transport=transport) == "sent"
    assert sending.deliver(delivery.pk, now=NOW + timedelta(seconds=31), transport=transport) == "not claimed"
    delivery.refresh_from_db()
    assert transport.sent == [delivery.pk]
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)


def test_a_delivery_that_keeps_failing_is_retried_until_its_dose_window_closes_then_cancelled(world, slot):
    """Issue 12: no attempt limit while the message matters (it was 5 attempts, 8.5 minutes)."""
    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    transport = FlakyTransport(failures=10_000)
    moment, outcome = NOW, None
    while outcome is None:
        try:
            outcome = sending.deliver(delivery.pk, now=moment, transport=transport)
        except sending.RetryLater as retry:
            delivery.refresh_from_db()
            # The next attempt is on the row, for the tick, not only in the retry message.
            assert delivery.not_before == retry.retry_at > moment
            moment = retry.retry_at
    delivery.refresh_from_db()
    assert outcome == "cancelled" and delivery.status == Delivery.Status.CANCELLED
    # 08:00 daily: MISS-SKIP closes the window at 20:00; the last attempt is the last one before it.
    assert SLOT_AT + timedelta(hours=11, minutes=50) <= moment < SLOT_AT + timedelta(hours=12)
    assert delivery.attempts > 60
    assert "dose window closed" in delivery.last_error and "Mail server unreachable" in delivery.last_error


def test_a_refused_recipient_is_not_retried(world, slot, settings, monkeypatch):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"alice@example.org": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    assert sending.deliver(delivery.pk, now=NOW) == "failed"
    delivery.refresh_from_db()
    assert "refused" in delivery.last_error


def test_a_worker_that_died_holding_a_claim_is_taken_over_after_the_lease(world, slot, settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    assert sending.claim(delivery.pk, NOW) is not None  # ... and the worker is killed here
    assert sending.deliver(delivery.pk, now=NOW + timedelta(seconds=59)) == "not claimed"
    assert dispatch.enqueue_ready_deliveries(NOW + timedelta(seconds=59)) == 0
    assert dispatch.enqueue_ready_deliveries(NOW + timedelta(seconds=61)) == 1  # the tick re-sends it
    assert sent_to() == ["alice@example.org"]


def test_a_reminder_is_cancelled_if_the_dose_was_logged_before_it_went(world, slot):
    dispatch.queue_injection_reminders(NOW)
    DoseSlot.objects.filter(pk=slot.pk).update(status=SlotStatus.TAKEN)
    dispatch.enqueue_ready_deliveries(NOW)
    assert mail.outbox == []
    assert Delivery.objects.get().status == Delivery.Status.CANCELLED


def test_a_deferred_message_waits_for_the_end_of_quiet_hours_and_then_goes(world, slot):
    from datetime import time

    from .test_dispatch import prefs

    prefs(world, world.alice_user, quiet_start=time(7, 0), quiet_end=time(9, 0))
    dispatch.queue_injection_reminders(NOW)
    dispatch.enqueue_ready_deliveries(NOW)
    assert mail.outbox == []
    dispatch.enqueue_ready_deliveries(SLOT_AT + timedelta(hours=1))
    assert sent_to() == ["alice@example.org"]


def test_revoked_access_between_queueing_and_sending_stops_the_message(world, slot):
    from django.utils import timezone

    from companion.models import CareMembership

    from .test_dispatch import prefs

    prefs(world, world.bob, caregiver_copy=True)
    dispatch.queue_injection_reminders(NOW)
    CareMembership.objects.filter(user=world.bob).update(revoked_at=timezone.now())
    dispatch.enqueue_ready_deliveries(NOW)
    assert sent_to() == ["alice@example.org"]


# --- what the e-mail says ---------------------------------------------------------------


@pytest.mark.parametrize("kind", [k.value for k in Kind if k not in ACCOUNT_KINDS])  # account: test_account_mail
def test_every_kind_renders_subject_text_and_html_with_least_health_information(world, slot, kind):
    delivery = Delivery.objects.create(
        kind=kind, patient=world.alice, recipient=world.bob, subject_key=f"slot:{slot.pk}"
    )
    message = EmailTransport().render(delivery)
    html = message.alternatives[0][0]
    assert message.subject and "\n" not in message.subject
    for text in (message.subject, message.body, html):
        text = re.sub(r"https?://\S+", "", text)  # random tokens in links may spell anything
        assert "Example" not in text  # first names only
        assert "arthritis" not in text.lower() and "anakinra" not in text.lower()  # no diagnosis, no drug
        assert " mg" not in text and "mL" not in text  # no dose amounts
    assert "Alice" in message.body
    assert message.body.startswith("Hello Bob,")
    assert f"http://testserver/patients/{world.alice.pk}/" in message.body or "/patients/" in message.body
    assert "/unsubscribe/" in message.body and "/unsubscribe/" in html
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")


def test_the_reminder_links_to_the_app_and_to_an_unsubscribe_page(world, slot, settings):
    settings.SITE_URL = "https://companion.example.org"
    dispatch.queue_injection_reminders(NOW)
    dispatch.enqueue_ready_deliveries(NOW)
    (message,) = mail.outbox
    assert message.subject == "Time for your injection"
    assert f"https://companion.example.org/patients/{world.alice.pk}/" in message.body
    assert "https://companion.example.org/unsubscribe/" in message.body


# --- two workers at once (PostgreSQL, real row locks) ----------------------------------------


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_message_per_slot_and_recipient(on_postgres, world, slot, monkeypatch):
    from .test_dispatch import prefs

    # One clock for both workers and the eager send task: a claim made "at NOW" must not
    # look like an expired lease to a send running at the real time (found by `make stress`).
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)

    prefs(world, world.bob, caregiver_copy=True)

    def worker():
        now = NOW
        dispatch.queue_injection_reminders(now)
        dispatch.enqueue_ready_deliveries(now)
        for pk in Delivery.objects.values_list("pk", flat=True):
            sending.deliver(pk, now=now)

    assert at_once(worker) == []
    assert sent_to() == ["alice@example.org", "bob@example.org"]
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2


def test_SCHED_TZ_the_reminder_shows_the_patients_own_clock_time(world, slot):
    from companion.models import Patient

    Patient.objects.filter(pk=world.alice.pk).update(time_zone="America/New_York")
    dispatch.queue_injection_reminders(NOW)
    dispatch.enqueue_ready_deliveries(NOW)
    (message,) = mail.outbox
    # 08:00 UTC is 04:00 in New York (EDT since 8 March), and the e-mail names the zone.
    assert "(04:00, America/New_York)" in message.body


def test_the_send_task_retries_a_temporary_failure_and_then_sends_once(world, slot, monkeypatch):
    """The Celery task itself: a retryable transport error makes it retry (eager here: at once)."""
    calls = []
    real_send = EmailTransport.send

    def flaky_send(self, delivery):
        calls.append(delivery.pk)
        if len(calls) == 1:
            raise TransportError("Mail server unreachable: connection refused", retryable=True)
        return real_send(self, delivery)

    monkeypatch.setattr(EmailTransport, "send", flaky_send)
    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    # eager: the retry runs inside this call, at the moment of the (eager) tick
    tasks.send_delivery.apply(args=(delivery.pk,), kwargs={"now": NOW}, throw=False)
    delivery.refresh_from_db()
    assert len(calls) == 2
    assert sent_to() == ["alice@example.org"]
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    assert tasks.backoff(0) == 30 and tasks.backoff(10) == 600


def test_an_unexpected_error_fails_the_delivery_visibly_instead_of_looping(world, slot):
    class Broken:
        def send(self, delivery):
            raise KeyError("template context")

    dispatch.queue_injection_reminders(NOW)
    delivery = Delivery.objects.get()
    with pytest.raises(KeyError):
        sending.deliver(delivery.pk, now=NOW, transport=Broken())
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "KeyError" in delivery.last_error
    assert dispatch.enqueue_ready_deliveries(NOW + timedelta(hours=1)) == 0
