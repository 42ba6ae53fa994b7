"""doses' one Celery task: the panel summary of a patient, refreshed by the worker after a write.

Thin (STYLE.md): it takes an id and calls services.summaries.refresh_stale_summaries. A write
publishes it once its transaction commits (services.summaries.schedule_summary_refresh, by
name, coalesced over a few seconds); companion/celery.py's autodiscover_tasks() finds this
module for the worker, and DosesConfig.ready() imports it so the web process knows the name.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from .services.summaries import refresh_stale_summaries


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def refresh_adherence_summary(patient_id: int) -> str:
    """Refresh this patient's summary and every other one marked stale (idempotent)."""
    return f"patients={refresh_stale_summaries(patient_id=patient_id)}"
