"""Celery tasks: thin wrappers that call plain functions in reminders/.

Each periodic task does one tick for "now", records that it ran (the status page's last
beat tick), and hands ready deliveries to the broker. send_deliveries takes a batch of ids
(REMINDER_SEND_BATCH_SIZE), claims them in one statement before sending over one mail-server
connection (sending.deliver_batch); a message of the batch that fails temporarily waits on its
row (not_before) for the minute tick. send_delivery takes one id (a batch size of 1, and the
retries it schedules itself) and retries at the moment sending.deliver wrote on the row; if
that retry message is lost, the minute tick re-sends the row from the database.
All tasks are acks_late (settings), so a worker killed mid-task has its message redelivered;
the claim makes the redelivery harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from companion.celery import app
from doses.models import DoseSlot
from doses.services.holds import apply_open_holds
from doses.services.records import flag_persistent_site_reactions
from doses.services.summaries import refresh_adherence_summaries

from . import dispatch, sending
from .relevance import retry_delay

# In eager mode (tests, development without a broker) a retry runs at once, inside the
# caller: a few, then the row waits for the tick instead of spinning through an outage.
EAGER_RETRIES = 3

logger = logging.getLogger(__name__)


def backoff(retries: int) -> int:
    """Seconds before retry number `retries` + 1 (capped exponential: 30, 60, 120, ...)."""
    return int(retry_delay(retries + 1).total_seconds())


def _tick(name: str, *steps) -> str:
    now = timezone.now()
    counts = [f"{step.__name__}={step(now)}" for step in steps]
    queued = dispatch.enqueue_ready_deliveries(now)
    summary = ", ".join([*counts, f"enqueued={queued}"])
    dispatch.record_run(name, now, summary)
    return summary


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def extend_dose_schedules() -> str:
    now = timezone.now()
    created = dispatch.extend_dose_schedules(now)
    held = apply_open_holds(now)  # new slots on held days are held; holds past their `until` end
    dispatch.record_run("extend_dose_schedules", now, f"slots considered={created}, holds={held}")
    return str(created)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def dispatch_due_reminders() -> str:
    """The minute tick: injection reminders, escalations, and anything else ready to go.

    With REMINDER_TICK_SHARDS > 1 it fans out one dispatch_due_reminders_shard task per part of
    the patients (by patient id), so that at the 08:00 peak every worker finds, creates and
    hands over its share. Each shard is idempotent and a fixed number of queries.
    """
    count = settings.REMINDER_TICK_SHARDS
    if count <= 1:
        return _tick("dispatch_due_reminders", dispatch.queue_injection_reminders, dispatch.queue_escalations)
    now = timezone.now()
    inline = 0
    for index in range(count):
        arguments = (index, count, now.isoformat())
        if app.conf.task_always_eager:
            dispatch_due_reminders_shard(*arguments)
            continue
        try:
            dispatch_due_reminders_shard.apply_async(arguments, retry=False)
        except Exception as exc:  # the broker is away: this worker does the shard itself
            logger.warning("Could not publish tick shard %d of %d, running it here: %s", index, count, exc)
            dispatch_due_reminders_shard(*arguments)
            inline += 1
    summary = f"shards={count}" + (f", run here={inline}" if inline else "")
    dispatch.record_run("dispatch_due_reminders", now, summary)
    return summary


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def dispatch_due_reminders_shard(index: int, count: int, at: str) -> str:
    """One shard of the minute tick, at the tick's moment `at`: its patients' reminders and
    escalations, and its ready deliveries handed to the broker in send batches."""
    now = datetime.fromisoformat(at)
    shard = dispatch.Shard(index, count)
    reminders = dispatch.queue_injection_reminders(now, shard)
    escalations = dispatch.queue_escalations(now, shard)
    queued = dispatch.enqueue_ready_deliveries(now, only=shard.deliveries())
    return f"shard={index}/{count}, reminders={reminders}, escalations={escalations}, enqueued={queued}"


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def mark_missed_doses() -> str:
    def mark_missed(now):
        marked = dispatch.mark_missed_doses(now)
        if marked:  # a missed dose changes the panel's missed run and adherence
            patient_ids = DoseSlot.objects.filter(pk__in=marked).values_list("patient_id", flat=True).distinct()
            refresh_adherence_summaries(patient_ids=list(patient_ids), now=now)
        return len(marked)

    return _tick("mark_missed_doses", mark_missed)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def dispatch_care_alerts() -> str:
    """Catch-up for care alerts whose immediate queueing failed (queue_care_alert is the fast path)."""
    return _tick("dispatch_care_alerts", dispatch.queue_care_alerts)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def dispatch_fridge_reminders() -> str:
    return _tick("dispatch_fridge_reminders", dispatch.queue_fridge_reminders)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def dispatch_refill_reminders() -> str:
    return _tick("dispatch_refill_reminders", dispatch.queue_refill_reminders)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def dispatch_lab_reminders() -> str:
    return _tick("dispatch_lab_reminders", dispatch.queue_lab_reminders)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def flag_persistent_site_reactions_task() -> str:
    """AE-ISR-DURATION: site reactions still open after 2 weeks become care-team alerts
    (each raised once; the alert's own delivery follows through dispatch_care_alerts)."""

    def flag_site_reactions(now):
        return len(flag_persistent_site_reactions(now=now))

    return _tick("flag_persistent_site_reactions", flag_site_reactions)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def refresh_adherence_summaries_task() -> str:
    """The panel's summary rows, every patient: the 30/90-day windows move with time and
    each patient's local day changes (dashboard; writes refresh their patient at once)."""
    now = timezone.now()
    count = refresh_adherence_summaries(now=now)
    dispatch.record_run("refresh_adherence_summaries", now, f"patients={count}")
    return str(count)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def send_deliveries(self, delivery_ids: list[int], now: datetime | None = None) -> str:
    """Send a batch (sending.deliver_batch). A message that fails is released with its next
    attempt on the row, for the minute tick; the database away retries the whole task (the
    rows already sent are not claimable again)."""
    try:
        outcomes = sending.deliver_batch(delivery_ids, now=now)
    except DatabaseError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return ", ".join(f"{outcome}={n}" for outcome, n in sorted(outcomes.items()) if n)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def send_delivery(self, delivery_id: int, retry_of: int | None = None, now: datetime | None = None) -> str:
    """Send one delivery. `now` only in eager mode (tests, no broker): the moment of the tick that ran it."""
    try:
        return sending.deliver(delivery_id, retry_of=retry_of, now=now)
    except sending.RetryLater as exc:
        # No attempt limit here: sending.deliver ends the row once the message no longer matters.
        if self.request.is_eager and self.request.retries >= EAGER_RETRIES:
            return "retry left to the tick"
        countdown = max(0.0, (exc.retry_at - (now or timezone.now())).total_seconds())
        raise self.retry(exc=exc, countdown=countdown, kwargs={**self.request.kwargs, "retry_of": exc.attempts})
    except DatabaseError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries))
