"""Sending in batches (issue 18): the 08:00 peak at a few milliseconds a message, with the same
promises as one message at a time: each reminder once, a refused one alone, nothing lost.

Real SMTP on loopback (aiosmtpd), the test database, the eager worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doses.models import DoseSlot, SlotStatus
from reminders import dispatch, sending, tasks
from reminders.management.commands.benchmark_dispatch import create_due_patients
from reminders.models import Delivery, Kind

from .conftest import LoopbackSMTP, at_once, serve_mail_with


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback that counts connections and can refuse or defer addresses."""

    class Server(LoopbackSMTP):
        def __init__(self):
            super().__init__()
            self.connections = 0
            self.refuse: dict[str, str] = {}  # address -> SMTP reply to RCPT

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            self.connections += 1
            session.host_name = hostname
            return responses

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in self.refuse:
                return self.refuse[address]
            envelope.rcpt_tos.append(address)
            return "250 OK"

        def delivery_ids(self) -> list[int]:
            return sorted(int(message["X-Companion-Delivery"]) for _, message in self.messages)

    yield from serve_mail_with(Server(), settings)


@pytest.fixture
def now():
    from django.utils import timezone

    return timezone.now().replace(second=30, microsecond=0)


def due(count: int, now, prefix: str = "batch") -> list[int]:
    """`count` patients, each with a reminder due this minute; returns their delivery ids."""
    patient_ids = create_due_patients(count, now.replace(second=0), prefix=prefix)
    dispatch.queue_injection_reminders(now)
    return list(Delivery.objects.filter(patient_id__in=patient_ids).order_by("pk").values_list("pk", flat=True))


def statuses(ids) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in Delivery.objects.filter(pk__in=ids).values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    return found


def test_a_batch_of_reminders_goes_over_one_connection_to_the_mail_server_each_message_once(db, smtp, now):
    ids = due(12, now)
    assert sending.deliver_batch(ids, now=now) == {"not claimed": 0, "sent": 12}
    assert smtp.delivery_ids() == ids
    assert smtp.connections == 1
    assert statuses(ids) == {Delivery.Status.SENT: 12}
    assert set(Delivery.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    # The same batch published again (a redelivered task) sends nothing.
    assert sending.deliver_batch(ids, now=now + timedelta(seconds=5)) == {"not claimed": 12}
    assert len(smtp.messages) == 12


def test_a_batch_costs_a_fixed_number_of_queries_and_one_update_per_message_sent(db, smtp, now):
    few = due(5, now, prefix="few")
    many = due(25, now, prefix="many")
    with CaptureQueriesContext(connection) as for_few:
        sending.deliver_batch(few, now=now)
    with CaptureQueriesContext(connection) as for_many:
        sending.deliver_batch(many, now=now)
    # Twenty more messages, twenty more UPDATEs (each marked sent as the server accepts it), nothing else.
    assert len(for_many) - len(for_few) == 20
    assert len(for_few) <= 10 + 5


def test_one_refused_address_fails_alone_and_the_rest_of_the_batch_is_sent(db, smtp, now):
    ids = due(6, now)
    refused = Delivery.objects.select_related("recipient").get(pk=ids[2])
    smtp.refuse[refused.recipient.email] = "550 No such user here"
    outcomes = sending.deliver_batch(ids, now=now)
    assert outcomes["sent"] == 5 and outcomes["failed"] == 1
    assert smtp.delivery_ids() == [pk for pk in ids if pk != refused.pk]
    refused.refresh_from_db()
    assert refused.status == Delivery.Status.FAILED
    assert "Recipient refused" in refused.last_error


def test_a_temporary_refusal_is_retried_by_the_tick_and_then_sent_once(db, smtp, now):
    ids = due(4, now)
    deferred = Delivery.objects.select_related("recipient").get(pk=ids[1])
    smtp.refuse[deferred.recipient.email] = "451 Try again later"
    assert sending.deliver_batch(ids, now=now)["retry"] == 1
    deferred.refresh_from_db()
    assert (deferred.status, deferred.attempts) == (Delivery.Status.QUEUED, 1)
    assert deferred.not_before == now + timedelta(seconds=30)
    # Not before its next attempt, then the minute tick hands it over again.
    assert dispatch.enqueue_ready_deliveries(now + timedelta(seconds=10)) == 0
    del smtp.refuse[deferred.recipient.email]
    assert dispatch.enqueue_ready_deliveries(now + timedelta(seconds=60)) == 1
    deferred.refresh_from_db()
    assert (deferred.status, deferred.attempts) == (Delivery.Status.SENT, 2)
    assert sorted(smtp.delivery_ids()) == ids


def test_with_the_mail_server_down_the_whole_batch_waits_and_is_sent_once_when_it_is_back(db, smtp, settings, now):
    ids = due(5, now)
    smtp.stop()
    outcomes = sending.deliver_batch(ids, now=now)
    assert outcomes == {"not claimed": 0, "retry": 5}
    assert statuses(ids) == {Delivery.Status.QUEUED: 5}
    recipients = Delivery.objects.filter(pk__in=ids).values_list("recipient__email_unreachable_since", flat=True)
    assert set(recipients) == {now}  # each person will see on Today that e-mail is not reaching them
    smtp.start()
    dispatch.enqueue_ready_deliveries(now + timedelta(minutes=1))
    assert statuses(ids) == {Delivery.Status.SENT: 5}
    assert smtp.delivery_ids() == ids
    assert set(Delivery.objects.filter(pk__in=ids).values_list("recipient__email_unreachable_since", flat=True)) == {
        None
    }


def test_a_reminder_whose_dose_was_logged_meanwhile_is_cancelled_and_the_others_go(db, smtp, now):
    ids = due(3, now)
    logged = Delivery.objects.get(pk=ids[0])
    DoseSlot.objects.filter(pk=logged.object_id).update(status=SlotStatus.TAKEN)
    outcomes = sending.deliver_batch(ids, now=now)
    assert (outcomes["sent"], outcomes["cancelled"]) == (2, 1)
    logged.refresh_from_db()
    assert logged.status == Delivery.Status.CANCELLED
    assert smtp.delivery_ids() == ids[1:]


def test_a_batch_that_outlives_half_its_lease_gives_the_rest_back_to_the_tick(db, smtp, settings, now):
    ids = due(4, now)
    settings.DELIVERY_LEASE_SECONDS = 0  # every message takes "more than half the lease"
    outcomes = sending.deliver_batch(ids, now=now)
    assert (outcomes["sent"], outcomes["released"]) == (1, 3)
    released = Delivery.objects.filter(pk__in=ids[1:])
    assert {(d.status, d.attempts, d.enqueued_at) for d in released} == {(Delivery.Status.QUEUED, 0, None)}
    settings.DELIVERY_LEASE_SECONDS = 300
    dispatch.enqueue_ready_deliveries(now + timedelta(seconds=1))
    assert smtp.delivery_ids() == ids
    assert statuses(ids) == {Delivery.Status.SENT: 4}


def test_the_tick_publishes_one_send_task_per_batch(db, smtp, settings, now, monkeypatch):
    settings.REMINDER_SEND_BATCH_SIZE = 10
    ids = due(25, now)
    batches = []
    real = tasks.send_deliveries.apply_async
    monkeypatch.setattr(
        tasks.send_deliveries, "apply_async", lambda args, **kw: (batches.append(args[0]), real(args, **kw))
    )
    assert dispatch.enqueue_ready_deliveries(now) == 25
    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert smtp.delivery_ids() == ids


def test_with_a_batch_size_of_one_each_message_is_its_own_task_as_before(db, smtp, settings, now):
    settings.REMINDER_SEND_BATCH_SIZE = 1
    ids = due(3, now)
    assert dispatch.enqueue_ready_deliveries(now) == 3
    assert smtp.delivery_ids() == ids
    assert smtp.connections == 3  # one connection per message: the pipeline before batches


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_batch_at_once_send_each_message_once(on_postgres, smtp, now):
    ids = due(20, now)
    assert at_once(lambda: sending.deliver_batch(ids, now=now)) == []
    assert smtp.delivery_ids() == ids
    assert statuses(ids) == {Delivery.Status.SENT: 20}


# --- the sharded tick -------------------------------------------------------------------


def test_the_shards_of_a_tick_together_create_each_reminder_once(db, smtp, settings, now):
    patient_ids = create_due_patients(10, now.replace(second=0), prefix="shards")
    created = 0
    for index in range(4):
        created += dispatch.queue_injection_reminders(now, dispatch.Shard(index, 4))
    assert created == 10
    for index in range(4):  # a shard run twice (a redelivered task) creates nothing new
        dispatch.queue_injection_reminders(now, dispatch.Shard(index, 4))
    mine = Delivery.objects.filter(patient_id__in=patient_ids, kind=Kind.INJECTION_REMINDER)
    assert mine.count() == 10
    assert mine.values("subject_key").distinct().count() == 10


def test_a_shard_hands_over_only_its_own_patients_deliveries(db, smtp, settings, now):
    settings.REMINDER_SEND_BATCH_SIZE = 100
    ids = due(8, now)
    shard = dispatch.Shard(1, 2)
    theirs = [
        pk for pk, patient in Delivery.objects.filter(pk__in=ids).values_list("pk", "patient_id") if patient % 2 == 1
    ]
    assert dispatch.enqueue_ready_deliveries(now, only=shard.deliveries()) == len(theirs)
    assert smtp.delivery_ids() == sorted(theirs)


def test_the_sharded_minute_tick_sends_every_due_reminder_once(db, smtp, settings, now, monkeypatch):
    settings.REMINDER_TICK_SHARDS = 3
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    patient_ids = create_due_patients(9, now.replace(second=0), prefix="tick")
    assert tasks.dispatch_due_reminders() == "shards=3"
    tasks.dispatch_due_reminders()  # the next beat in the same minute: nothing twice
    mine = Delivery.objects.filter(patient_id__in=patient_ids)
    assert sorted(smtp.delivery_ids()) == sorted(mine.values_list("pk", flat=True))
    assert len(smtp.messages) == 9
    assert statuses(mine.values_list("pk", flat=True)) == {Delivery.Status.SENT: 9}
