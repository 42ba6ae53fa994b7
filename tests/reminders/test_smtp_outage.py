"""Issue 12, points 3 and 12: a long SMTP outage, and what "exactly once" honestly means.

The mail server is a real one (aiosmtpd) on loopback; while it is stopped nothing listens on
its port, so every connection is really refused. Time is driven through the functions' `now`
arguments: a minute tick (the periodic jobs) and a broker that holds each send message until
it is due (the edge of our world, replaced by a list), so twelve hours pass in seconds.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse

from doses.models import DoseSlot, LabTest
from doses.services import records as record_services
from reminders import dispatch, sending
from reminders.models import Delivery, Kind
from reminders.transports import EmailTransport
from tests.conftest import start_adult_regimen

from .conftest import DAY, SLOT_AT

OLD_RETRY_SPAN = timedelta(seconds=30 + 60 + 120 + 300)  # then the old code failed the row for good


class Broker:
    """Holds send_delivery messages until due, like Redis with Celery's countdowns.

    `loses_retries`: every retry message vanishes (a broker restart), so only the rows'
    own next-attempt times, read by the minute tick, bring the deliveries back.
    """

    def __init__(self, loses_retries: bool):
        self.loses_retries = loses_retries
        self.clock: datetime | None = None  # the test's moment
        self.waiting: list[tuple[datetime, int, int | None]] = []

    def publish(self, ids, now=None):
        self.waiting.extend((self.clock, pk, None) for pk in ids)
        return len(ids)

    def run_due(self, now: datetime) -> None:
        due = [message for message in self.waiting if message[0] <= now]
        self.waiting = [message for message in self.waiting if message[0] > now]
        for _at, pk, retry_of in due:
            try:
                if retry_of is None:
                    sending.deliver(pk, now=now)
                else:
                    sending.deliver(pk, now=now, retry_of=retry_of)
            except sending.RetryLater as retry:
                if not self.loses_retries:
                    self.waiting.append((retry.retry_at, pk, retry.attempts))


def tick(now: datetime) -> None:
    """What beat runs every minute (reminders/tasks.py), with this moment."""
    dispatch.queue_injection_reminders(now)
    dispatch.queue_escalations(now)
    dispatch.mark_missed_doses(now)
    dispatch.queue_lab_reminders(now)
    dispatch.queue_fridge_reminders(now)
    dispatch.enqueue_ready_deliveries(now)


@pytest.mark.parametrize("loses_retries", [False, True], ids=["retries-kept", "retries-lost"])
def test_after_a_twelve_hour_smtp_outage_every_reminder_that_still_matters_arrives_once_and_the_rest_end_visibly(
    world, daily, loopback_smtp, monkeypatch, loses_retries
):
    broker = Broker(loses_retries)
    monkeypatch.setattr(dispatch, "publish_send_tasks", broker.publish)
    # zoe injects at 19:00 (window open until 07:00 tomorrow); alice has a blood test in two days
    # and a syringe out of the fridge since yesterday 10:00 (its 24 hours end at 10:00 today).
    start_adult_regimen(world.zoe, world.dave, starts_on=date(2026, 3, 7), times=("19:00",), now=SLOT_AT)
    lab = LabTest.objects.create(patient=world.alice, label="Neutrophils (outage test)", due_on=DAY + timedelta(days=2))
    record_services.take_syringe_out_of_fridge(
        patient=world.alice, by=world.alice_user, taken_out_at=SLOT_AT - timedelta(hours=22), now=SLOT_AT
    )

    down_at, up_at = SLOT_AT - timedelta(minutes=1), SLOT_AT + timedelta(hours=12, minutes=10)
    assert up_at - down_at > OLD_RETRY_SPAN
    loopback_smtp.stop()
    moment = SLOT_AT
    while moment <= SLOT_AT + timedelta(hours=12, minutes=40):
        if moment == up_at:
            loopback_smtp.start()
        broker.clock = moment
        if moment.minute % 5 == 0:  # the jobs run every few minutes; the broker delivers every minute
            tick(moment)
        broker.run_due(moment)
        moment += timedelta(minutes=1)

    alice_slot = DoseSlot.objects.get(patient=world.alice, scheduled_at=SLOT_AT)

    def outcome(kind, recipient, subject_key_prefix=""):
        return Delivery.objects.get(kind=kind, recipient=recipient, subject_key__startswith=subject_key_prefix)

    zoe_user = world.zoe.account
    # Still mattered when the server came back: each arrives exactly once.
    arrived = {
        "zoe's 19:00 injection reminder": outcome(Kind.INJECTION_REMINDER, zoe_user),
        "alice's blood-test reminder": outcome(Kind.LAB, world.alice_user, f"lab:{lab.pk}"),
        "bob's note that alice's dose was missed": outcome(Kind.MISSED_NOTE, world.bob, f"slot:{alice_slot.pk}"),
    }
    for what, delivery in arrived.items():
        assert delivery.status == Delivery.Status.SENT, f"{what}: {delivery.status} {delivery.last_error}"
        assert delivery.sent_at >= up_at
    # Their moment passed during the outage: ended visibly, with the reason and the last error.
    ended = {
        "alice's 08:00 reminder": (
            outcome(Kind.INJECTION_REMINDER, world.alice_user, f"slot:{alice_slot.pk}"),
            Delivery.Status.CANCELLED,
        ),
        "bob's escalation of it": (
            outcome(Kind.ESCALATION, world.bob, f"slot:{alice_slot.pk}"),
            Delivery.Status.CANCELLED,
        ),
        "alice's fridge reminder": (outcome(Kind.FRIDGE, world.alice_user), Delivery.Status.FAILED),
    }
    for what, (delivery, status) in ended.items():
        assert delivery.status == status, f"{what}: {delivery.status} {delivery.last_error}"
        # The connection really was refused while the server was down, and the row says so.
        assert "Connection refused" in delivery.last_error, what
    # Nothing else is left waiting or was dropped without a word.
    assert not Delivery.objects.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]).exists()
    assert all(d.last_error for d in Delivery.objects.exclude(status=Delivery.Status.SENT))
    # What the server received: one message per sent delivery, none twice.
    received = Counter(message["X-Companion-Delivery"] for _rcpts, message in loopback_smtp.messages)
    sent = Delivery.objects.filter(status=Delivery.Status.SENT)
    assert received == Counter(str(pk) for pk in sent.values_list("pk", flat=True))
    assert len(loopback_smtp.to("zoe@example.org")) == 1


def test_a_delivery_sent_twice_after_a_crash_carries_the_same_message_id_and_another_delivery_a_different_one(
    world, slot, loopback_smtp, settings
):
    """Point 12: the worker is killed after the server accepted the message, before the row says sent."""
    settings.SITE_URL = "https://companion.example:8443"
    settings.DELIVERY_LEASE_SECONDS = 60
    now = SLOT_AT + timedelta(seconds=30)
    dispatch.queue_injection_reminders(now)
    reminder = Delivery.objects.get()
    claimed = sending.claim(reminder.pk, now)
    EmailTransport().send(claimed)  # accepted by the server ... and the worker dies here
    assert Delivery.objects.get(pk=reminder.pk).status == Delivery.Status.SENDING
    dispatch.enqueue_ready_deliveries(now + timedelta(seconds=61))  # the lease ran out: sent again (eager)
    assert Delivery.objects.get(pk=reminder.pk).status == Delivery.Status.SENT
    dispatch.queue_escalations(SLOT_AT + timedelta(hours=1))
    dispatch.enqueue_ready_deliveries(SLOT_AT + timedelta(hours=1))

    first, second = loopback_smtp.to("alice@example.org")
    (escalation,) = loopback_smtp.to("bob@example.org")
    assert first["Message-ID"] == second["Message-ID"]  # a mail client can drop the repeat
    assert escalation["Message-ID"] != first["Message-ID"]
    # RFC 5322 msg-id at the host of SITE_URL (no port), the same every time it is asked.
    assert re.fullmatch(r"<delivery\.\d+\.\d+@companion\.example>", first["Message-ID"])
    from reminders.transports import message_id_for  # here: the behaviour above is checked first

    assert message_id_for(Delivery.objects.get(pk=reminder.pk)) == first["Message-ID"]


def test_the_today_page_says_since_when_email_has_not_reached_you_until_one_goes_again(
    world, slot, loopback_smtp, client_for
):
    world.alice.time_zone = "Asia/Tokyo"  # the notice's time is in the patient's zone
    world.alice.save()
    now = SLOT_AT + timedelta(seconds=30)
    dispatch.queue_injection_reminders(now)
    reminder = Delivery.objects.get(recipient=world.alice_user)
    loopback_smtp.stop()
    for attempt_at in (now, now + timedelta(seconds=60)):  # refused twice (retries are due at +30 s, then +60 s)
        with pytest.raises(sending.RetryLater):
            sending.deliver(reminder.pk, now=attempt_at)

    today = reverse("doses:today", args=[world.alice.pk])
    page = client_for(world.alice_user).get(today).content.decode()
    # 08:00:30 UTC is 17:00 in Tokyo; "since" is the first failure, not the latest.
    assert "We could not e-mail you since 10 March, 17:00." in page
    assert "We could not e-mail you" not in client_for(world.bob).get(today).content.decode()  # bob's mail is fine

    loopback_smtp.start()
    assert sending.deliver(reminder.pk, now=now + timedelta(minutes=3)) == "sent"
    assert "We could not e-mail you" not in client_for(world.alice_user).get(today).content.decode()
    assert len(loopback_smtp.to("alice@example.org")) == 1
