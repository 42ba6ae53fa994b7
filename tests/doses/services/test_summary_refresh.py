"""The panel summary after a write: marked stale in the write, refreshed by the worker a few
seconds after the commit, once for many writes, and the panel honest meanwhile ("updating").

Real database, real cache (Redis or the file cache); the broker is kombu's in-memory one
(memory_broker), so what a write publishes waits there until the test runs it as the worker would.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from doses.models import DoseSlot, PatientAdherenceSummary, SlotStatus
from doses.services import injections as injection_services
from doses.services import records as record_services
from doses.services import summaries as summary_services
from tests.conftest import _use_broker, broker_unreachable, link, make_patient
from tests.doses.dashboard_history import build_history
from tests.doses.log_helpers import freeze

pytestmark = pytest.mark.django_db

UPDATING = "updating: a new entry is being added to these figures"


def _history(world, now):
    """alice: 20 days, every dose missed; her summary current as of now; today's dose open."""
    build_history(world.alice, world.carol, days=20, pattern="M", now=now)
    summary_services.refresh_adherence_summaries(now=now)
    slot = DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.MISSED).latest("scheduled_at")
    DoseSlot.objects.filter(pk=slot.pk).update(status=SlotStatus.PENDING)  # logged late, within its window
    slot.refresh_from_db()
    return slot


def _panel_row(client, patient):
    response = client.get(reverse("doses:panel"))
    row = next(r for r in response.context["result"].rows if r.patient.pk == patient.pk)
    return row, response.content.decode()


def _log(slot, world, *, minutes=10):
    return injection_services.record_injection(
        slot=slot,
        taken_at=slot.scheduled_at,
        site_spot="abdomen-left-1",
        by=world.bob,
        now=slot.scheduled_at + timedelta(minutes=minutes),
    )


def test_the_panel_says_updating_after_a_dose_then_shows_the_new_figure_once_the_worker_ran(
    world, client_for, memory_broker, django_capture_on_commit_callbacks
):
    slot = _history(world, timezone.now())
    carol = client_for(world.carol)
    before, page = _panel_row(carol, world.alice)
    assert not before.updating and UPDATING not in page
    with django_capture_on_commit_callbacks(execute=True):
        _log(slot, world)
    published = memory_broker.published()
    assert [(m["task"], m["args"]) for m in published] == [("doses.tasks.refresh_adherence_summary", [world.alice.pk])]
    assert published[0]["eta"] is not None  # a countdown: the worker waits for more writes
    # Before the worker: the old figure, said to be updating (not shown as current).
    waiting, page = _panel_row(carol, world.alice)
    assert waiting.updating and UPDATING in page
    assert waiting.adherence_30.numerator == before.adherence_30.numerator
    memory_broker.run(published)
    after, page = _panel_row(carol, world.alice)
    assert not after.updating and UPDATING not in page
    assert after.adherence_30.numerator == before.adherence_30.numerator + 1
    assert after.missed_run == 0 and after.last_dose_at == slot.scheduled_at


def test_many_writes_to_one_patient_within_seconds_publish_one_refresh(
    world, memory_broker, django_capture_on_commit_callbacks
):
    now = timezone.now()
    slot = _history(world, now)
    today = world.alice.local_today(now)
    writes = [
        lambda: _log(slot, world),
        lambda: record_services.record_pickup(patient=world.alice, boxes=2, on=today, by=world.bob),
        lambda: record_services.correct_supply_count(patient=world.alice, actual_count=9, by=world.bob),
    ]
    for write in writes:  # three transactions, each committed
        with django_capture_on_commit_callbacks(execute=True):
            write()
    published = memory_broker.published()
    assert len(published) == 1
    assert memory_broker.run(published) == ["patients=1"]
    summary = PatientAdherenceSummary.objects.get(patient=world.alice)
    assert summary.stale_since is None and summary.syringes_on_hand == 9  # the last write is in it
    # The task cleared the marker before reading: the next write schedules the next refresh.
    with django_capture_on_commit_callbacks(execute=True):
        record_services.correct_supply_count(patient=world.alice, actual_count=4, by=world.bob)
    assert len(memory_broker.published()) == 1


def test_a_rolled_back_write_marks_nothing_and_publishes_nothing(
    world, memory_broker, django_capture_on_commit_callbacks
):
    slot = _history(world, timezone.now())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _log(slot, world)
            raise RuntimeError("the request failed after the dose was written")
    assert callbacks == []
    assert memory_broker.published() == []
    assert PatientAdherenceSummary.objects.get(patient=world.alice).stale_since is None
    assert not DoseSlot.objects.filter(pk=slot.pk, status=SlotStatus.TAKEN).exists()


def test_the_task_refreshes_every_stale_patient_and_running_it_again_changes_nothing(world, memory_broker):
    now = timezone.now()
    build_history(world.alice, world.carol, days=10, now=now)
    build_history(world.zoe, world.dave, days=10, now=now)
    summary_services.refresh_adherence_summaries(now=now - timedelta(minutes=5))
    with transaction.atomic():  # both marked, as two writes would (their own tasks not run yet)
        summary_services.refresh_adherence_summary_on_commit(world.alice.pk)
        summary_services.refresh_adherence_summary_on_commit(world.zoe.pk)
    from doses.tasks import refresh_adherence_summary

    assert refresh_adherence_summary(world.alice.pk) == "patients=2"
    rows = {s.patient_id: s for s in PatientAdherenceSummary.objects.all()}
    assert all(s.stale_since is None and s.refreshed_at > now - timedelta(minutes=1) for s in rows.values())
    first = list(PatientAdherenceSummary.objects.order_by("pk").values("patient_id", "adherence_30_taken", "stale_since"))
    assert refresh_adherence_summary(world.zoe.pk) == "patients=0"  # zoe's own task: already done
    assert list(PatientAdherenceSummary.objects.order_by("pk").values("patient_id", "adherence_30_taken", "stale_since")) == first


def test_a_write_while_the_worker_reads_stays_marked(world, monkeypatch):
    """The refresh clears only the marks made before its reads began: a later one stays for the next."""
    now = timezone.now()
    build_history(world.alice, world.carol, days=10, now=now)
    summary_services.refresh_adherence_summaries(now=now)
    later = now + timedelta(seconds=2)
    PatientAdherenceSummary.objects.filter(patient=world.alice).update(stale_since=later)
    freeze(monkeypatch, now + timedelta(seconds=1))  # the reads begin before that write
    summary_services.refresh_adherence_summaries(patient_ids=[world.alice.pk])
    assert PatientAdherenceSummary.objects.get(patient=world.alice).stale_since == later


def test_a_dose_is_logged_when_the_broker_is_away_and_the_panel_refreshes_the_row_itself(
    world, client_for, memory_broker, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    now = freeze(monkeypatch, timezone.now())
    slot = _history(world, now)
    _use_broker(memory_broker.app, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="doses.services.summaries"):
        with django_capture_on_commit_callbacks(execute=True):
            injection = _log(slot, world)  # no exception: the dose is recorded
    assert injection.pk and "not queued" in caplog.text
    assert cache.get(f"doses:summary-refresh-scheduled:{world.alice.pk}") is None  # the next write tries again
    carol = client_for(world.carol)
    row, page = _panel_row(carol, world.alice)
    assert row.updating and UPDATING in page  # within the grace: the worker may still come
    assert row.missed_run > 0
    freeze(monkeypatch, now + summary_services.STALE_GRACE)
    row, page = _panel_row(carol, world.alice)
    assert not row.updating and UPDATING not in page  # the panel refreshed it itself
    assert row.missed_run == 0 and row.last_dose_at == slot.scheduled_at


def test_after_the_broker_was_away_and_back_a_write_publishes_its_refresh_again(world, memory_broker, caplog):
    # The order bug: the integration test's broker_away closed the pool the tests share (kombu
    # keeps one per broker URL for the process), and every later write logged "not queued".
    for patient in (world.alice, world.zoe):
        cache.delete(f"doses:summary-refresh-scheduled:{patient.pk}")
    assert summary_services.schedule_summary_refresh(world.alice.pk)  # the shared pool is in use
    with caplog.at_level(logging.WARNING, logger="doses.services.summaries"):
        with broker_unreachable(memory_broker.app):
            assert not summary_services.schedule_summary_refresh(world.zoe.pk)
        assert "not queued" in caplog.text
        caplog.clear()
        assert summary_services.schedule_summary_refresh(world.zoe.pk)  # the broker is back
    assert "not queued" not in caplog.text
    published = memory_broker.published()
    assert [(m["task"], m["args"]) for m in published] == [
        (summary_services.REFRESH_TASK, [world.alice.pk]),
        (summary_services.REFRESH_TASK, [world.zoe.pk]),
    ]


def test_the_panel_query_count_is_the_same_with_rows_updating(world, client_for, memory_broker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    build_history(world.alice, world.carol, days=10, now=now)
    other = make_patient("Olive Other")
    link(other, world.carol, "clinician")
    build_history(other, world.carol, days=10, now=now)
    summary_services.refresh_adherence_summaries(now=now)
    carol = client_for(world.carol)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert carol.get(reverse("doses:panel")).status_code == 200
        return len(captured)

    none_updating = count()
    with transaction.atomic():
        summary_services.refresh_adherence_summary_on_commit(world.alice.pk)
        summary_services.refresh_adherence_summary_on_commit(other.pk)
    assert count() == none_updating  # the first look after the writes (the second is served from the cache)
    assert _panel_row(carol, world.alice)[0].updating
