"""Celery tasks: thin wrappers that call plain functions in reminders/.

Each periodic task does one tick for "now", records that it ran (the status page's last
beat tick), and hands ready deliveries to the broker. send_delivery takes an id, claims
the row before sending (reminders/sending.py) and retries temporary failures with backoff.
All tasks are acks_late (settings), so a worker killed mid-task has its message redelivered;
the claim makes the redelivery harmless.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from doses.models import DoseSlot
from doses.services import flag_persistent_site_reactions, refresh_adherence_summaries

from . import dispatch, sending

RETRY_BACKOFF_SECONDS = (30, 60, 120, 300, 600)


def backoff(retries: int) -> int:
    return RETRY_BACKOFF_SECONDS[min(retries, len(RETRY_BACKOFF_SECONDS) - 1)]


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
    dispatch.record_run("extend_dose_schedules", now, f"slots considered={created}")
    return str(created)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def dispatch_due_reminders() -> str:
    """The minute tick: injection reminders, escalations, and anything else ready to go."""
    return _tick("dispatch_due_reminders", dispatch.queue_injection_reminders, dispatch.queue_escalations)


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
def send_delivery(self, delivery_id: int) -> str:
    try:
        return sending.deliver(delivery_id)
    except sending.RetryLater as exc:
        # sending.deliver counts attempts and fails the row for good after DELIVERY_MAX_ATTEMPTS.
        raise self.retry(exc=exc, countdown=backoff(self.request.retries))
    except DatabaseError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries))
