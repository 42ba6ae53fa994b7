"""The clinician panel's stored adherence summaries, refreshed in batches.

A write that changes a panel measure does not refresh the summary in its request: it
marks the row stale (one UPDATE, in the write's transaction) and, once it commits,
asks the worker to refresh it a few seconds later (`doses.tasks.refresh_adherence_summary`),
once for all the writes to that patient in those seconds. Until then the panel says
"updating" beside the row; a row still stale after STALE_GRACE (no worker, no broker) is
refreshed by the panel itself, and the 15-minute job refreshes everyone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.cache import cache, caches
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from companion.celery import app
from companion.models import Patient

from .. import record_version
from ..models import PatientAdherenceSummary
from ..selectors.panel import clinician_patients, compute_adherence_summaries, first_expiry

logger = logging.getLogger(__name__)

SUMMARY_BATCH = 500  # patients per batch: a fixed number of queries each
# Writes to one patient within this many seconds are refreshed once: the worker's task
# runs this long after the first of them (a dose logged, then its side effect, then a count).
COALESCE_SECONDS = 5
# A stale row older than this has been missed by the worker (down, or the broker away):
# the panel refreshes it itself before showing it. Younger, the panel shows "updating".
STALE_GRACE_SECONDS = 30
STALE_GRACE = timedelta(seconds=STALE_GRACE_SECONDS)
REFRESH_TASK = "doses.tasks.refresh_adherence_summary"  # by name: doses.tasks imports this module
_SCHEDULED_KEY = "doses:summary-refresh-scheduled:{}"
_EXPIRY_KEY = "doses:panel-first-expiry:{}:{}:{}"  # panel version, clinician, who is in the panel


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
    # stale_since is not written by the upsert: a write that commits while this batch is read
    # keeps its mark (cleared below only up to the moment the reads began).
    fields = [
        f.name for f in PatientAdherenceSummary._meta.concrete_fields if not f.primary_key and f.name != "stale_since"
    ]
    for start in range(0, len(ids), SUMMARY_BATCH):
        batch_ids = ids[start : start + SUMMARY_BATCH]
        read_from = timezone.now()
        batch = list(Patient.objects.filter(pk__in=batch_ids))
        rows = compute_adherence_summaries(batch, now)
        PatientAdherenceSummary.objects.bulk_create(
            rows.values(), update_conflicts=True, unique_fields=["patient"], update_fields=fields
        )
        # The writes marked before the reads began are in these figures.
        PatientAdherenceSummary.objects.filter(
            patient_id__in=batch_ids, stale_since__isnull=False, stale_since__lte=read_from
        ).update(stale_since=None)
    if ids:
        record_version.panel_changed()  # an upsert and an update send no signal: the panel's rows changed
    return len(ids)


def refresh_expired_summaries(*, patients: QuerySet[Patient], now: datetime | None = None) -> int:
    """Summarise the patients in `patients` who have no summary row yet, or whose row has
    expired (PatientAdherenceSummary.is_current), so that a page reading the rows next
    (selectors.panel.panel_rows) ranks everyone and never shows an expired figure.

    A row marked stale by a write is refreshed here only once it is older than STALE_GRACE:
    the worker's refresh is due within seconds (COALESCE_SECONDS), and until then the panel
    says "updating"; older, the worker has missed it (down, or the broker away), and a
    clinician looking at the panel gets the right figure, not an old one with "updating".

    One query finds them; the refresh is a fixed number of queries per batch
    (refresh_adherence_summaries). Usually none: the worker and the 15-minute job keep the
    rows current. Returns how many were refreshed.
    """
    now = now or timezone.now()
    stale = Q(adherence_summary__isnull=True) | Q(adherence_summary__valid_until__lte=now)
    stale |= Q(adherence_summary__refreshed_at__gt=now)  # computed for a later moment than `now`
    stale |= Q(adherence_summary__stale_since__lte=now - STALE_GRACE)  # the worker missed it
    ids = list(patients.filter(stale).order_by().values_list("pk", flat=True))
    if ids:
        refresh_adherence_summaries(patient_ids=ids, now=now)
    return len(ids)


def refresh_expired_summaries_when_due(*, clinician, members_key: str, now: datetime | None = None) -> int:
    """refresh_expired_summaries for a clinician's panel, asked only once something in it
    can have expired: the first moment a row expires by time alone (selectors.panel.first_expiry)
    is remembered under the panel's version (record_version.panel_current), which every
    write to a summary row changes, and who is in the panel (`members_key`,
    selectors.panel.panel_members_key: a patient just linked has no row yet). So a second look at an unchanged panel
    reads none of it; the check's query runs again when that moment has passed or
    something was written. Returns how many were refreshed."""
    now = now or timezone.now()
    patients = clinician_patients(clinician)
    key = _EXPIRY_KEY.format(record_version.panel_current(), clinician.pk, members_key)
    first = caches[record_version.FRAGMENT_CACHE].get(key)
    if first is not None and now < first:
        return 0
    refreshed = refresh_expired_summaries(patients=patients, now=now)
    # Read after the refresh (which gave the panel a new version) and before the rows: a
    # write committing meanwhile gives yet another version, so this answer is not reused.
    version = record_version.panel_current()
    first = first_expiry(patients, stale_grace=STALE_GRACE) or now + timedelta(seconds=record_version.FRAGMENT_SECONDS)
    caches[record_version.FRAGMENT_CACHE].set(
        _EXPIRY_KEY.format(version, clinician.pk, members_key), first, timeout=record_version.FRAGMENT_SECONDS
    )
    return refreshed


def refresh_adherence_summary_on_commit(patient_id: int, *, now: datetime | None = None) -> None:
    """After a write that changes a panel measure (call it inside the write's transaction).

    Marks the patient's summary row stale (one UPDATE, rolled back with the write) and, once
    the transaction commits, asks the worker to refresh it (schedule_summary_refresh): a
    rolled-back write leaves the row as it was and publishes nothing. The panel shows a stale
    row with "updating" (selectors.panel). The patient page's cached fragments are keyed on
    a record version: bumped too.
    """
    now = now or timezone.now()
    record_version.record_changed([patient_id], panel=True)  # the panel shows the row "updating"
    # The latest write's moment: a refresh clears it only if its reads began after it.
    PatientAdherenceSummary.objects.filter(patient_id=patient_id).update(stale_since=now)
    transaction.on_commit(lambda: schedule_summary_refresh(patient_id), robust=True)


def schedule_summary_refresh(patient_id: int) -> bool:
    """Publish one refresh_adherence_summary task for the patient, COALESCE_SECONDS from now,
    unless one is already scheduled (then it will read this write too). Returns whether it published.

    The "already scheduled" marker is a cache key (Redis, or the file cache shared by every
    process) added atomically; the task deletes it before reading, so a write after that
    schedules the next one. Never raises and never waits on a broker that is away (one quick
    attempt, then logged): the write is committed, the row is marked stale, and the panel's
    own check (STALE_GRACE) and the 15-minute job refresh it.
    """
    key = _SCHEDULED_KEY.format(patient_id)
    try:
        if not cache.add(key, 1, timeout=COALESCE_SECONDS):
            return False
        # By name: doses.tasks imports this module (the task calls it); DosesConfig.ready
        # imports doses.tasks, so the name is registered and eager mode runs it in-process.
        app.signature(REFRESH_TASK, args=(patient_id,)).apply_async(countdown=COALESCE_SECONDS, retry=False)
        return True
    except Exception as exc:  # the broker and the cache are the edge of our world
        logger.warning(
            "Summary refresh for patient %s not queued (the panel and the periodic job will): %s", patient_id, exc
        )
        try:
            cache.delete(key)  # the next write tries again
        except Exception:  # noqa: S110 - the cache is away too; its key expires by itself
            pass
        return False


def refresh_stale_summaries(
    *, patient_id: int | None = None, now: datetime | None = None, limit: int = SUMMARY_BATCH
) -> int:
    """The worker's refresh (doses.tasks.refresh_adherence_summary): every patient whose row is
    marked stale, in batches (at the 08:00 peak the first task due refreshes everyone marked
    by then, and the tasks after it find their patient done), and `patient_id` if it has no
    row yet. Idempotent: a second run finds nothing to do. Returns how many were refreshed.
    """
    if patient_id is not None:
        cache.delete(_SCHEDULED_KEY.format(patient_id))  # a write from now on schedules the next refresh
    # One query: the stale rows, and this patient's row whatever its state (to see it exists).
    wanted = (
        Q(stale_since__isnull=False) if patient_id is None else Q(stale_since__isnull=False) | Q(patient_id=patient_id)
    )
    rows = dict(
        PatientAdherenceSummary.objects.filter(wanted)
        .order_by("stale_since")
        .values_list("patient_id", "stale_since")[: limit + 1]
    )
    ids = {pk for pk, stale_since in rows.items() if stale_since is not None}
    if patient_id is not None and patient_id not in rows:
        ids.add(patient_id)  # never summarised (or deleted meanwhile: refresh_adherence_summaries skips it)
    if not ids:
        return 0
    return refresh_adherence_summaries(patient_ids=ids, now=now)
