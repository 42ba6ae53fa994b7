"""The clinician panel's stored adherence summaries, refreshed in batches."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from companion.models import Patient

from .. import record_version
from ..models import PatientAdherenceSummary
from ..selectors.panel import compute_adherence_summaries

SUMMARY_BATCH = 500  # patients per batch: a fixed number of queries each


def refresh_adherence_summaries(*, patient_ids=None, now: datetime | None = None) -> int:
    """Recompute the panel's summary rows (PatientAdherenceSummary) of some patients, or all.

    The measures come from selectors.compute_adherence_summaries (doses/adherence.py);
    each batch is read in a fixed number of queries and written with one upsert, so the
    periodic job costs the same per patient for ten patients or ten thousand. Running it
    twice for the same `now` writes the same rows (idempotent).
    """

    now = now or timezone.now()
    if patient_ids is None:
        ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(patient_ids))
    fields = [f.name for f in PatientAdherenceSummary._meta.concrete_fields if not f.primary_key]
    for start in range(0, len(ids), SUMMARY_BATCH):
        batch = list(Patient.objects.filter(pk__in=ids[start : start + SUMMARY_BATCH]))
        rows = compute_adherence_summaries(batch, now)
        PatientAdherenceSummary.objects.bulk_create(
            rows.values(), update_conflicts=True, unique_fields=["patient"], update_fields=fields
        )
    return len(ids)


def refresh_expired_summaries(*, patients: QuerySet[Patient], now: datetime | None = None) -> int:
    """Summarise the patients in `patients` who have no summary row yet, or whose row has
    expired (PatientAdherenceSummary.is_current), so that a page reading the rows next
    (selectors.panel.panel_rows) ranks everyone and never shows an expired figure.

    One query finds them; the refresh is a fixed number of queries per batch
    (refresh_adherence_summaries). Usually none: every write and the 15-minute job keep the
    rows current. Returns how many were refreshed.
    """
    now = now or timezone.now()
    stale = Q(adherence_summary__isnull=True) | Q(adherence_summary__valid_until__lte=now)
    stale |= Q(adherence_summary__refreshed_at__gt=now)  # computed for a later moment than `now`
    ids = list(patients.filter(stale).order_by().values_list("pk", flat=True))
    if ids:
        refresh_adherence_summaries(patient_ids=ids, now=now)
    return len(ids)


def refresh_adherence_summary_on_commit(patient_id: int) -> None:
    """After a write that changes a panel measure: refresh that patient's summary once
    the transaction commits (a rolled-back write leaves it as it was). robust: a failed
    refresh is logged and never undoes the write; the panel refreshes rows that expire.
    The patient page's cached fragments are keyed on a record version: bump it too."""
    record_version.record_changed([patient_id])
    transaction.on_commit(lambda: refresh_adherence_summaries(patient_ids=[patient_id]), robust=True)
