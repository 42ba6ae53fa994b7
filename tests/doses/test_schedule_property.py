"""Property: Today, the log service and the missed-dose job always agree on dose timing, and no two
accepted injections are ever closer than the minimum gap (MISS-NODOUBLE, MISS-SKIP, SCHED-TZ).

Random regimens (daily, every other day, a split dose at two random times), zones with DST
changes and odd offsets, days around a DST change, and random moments at which someone tries
to log a dose (now, or back-dated). Real database; a modest number of examples.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doses import schedule
from doses.models import DoseSlot, Injection, Regimen, SlotStatus
from doses.rules import dose_timing
from doses.selectors import today as today_selectors
from doses.services import injections as injection_services
from doses.services import refusals
from doses.services import regimens as regimen_services
from reminders import dispatch

pytestmark = pytest.mark.django_db

# Zones with DST (one by 30 minutes), one with a half-hour offset and none, one whose gap ends at midnight.
DST_DAYS = {
    "Europe/London": [date(2026, 3, 29), date(2026, 10, 25)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],
    "Asia/Kolkata": [date(2026, 6, 15)],
    "America/Nuuk": [date(2026, 3, 28), date(2026, 10, 24)],
}

minutes_of_day = st.integers(0, 24 * 60 - 1)


@st.composite
def regimens(draw):
    kind = draw(st.sampled_from(["daily", "every_other_day", "split"]))
    first = draw(minutes_of_day)
    times = [first]
    if kind == "split":
        times.append(draw(minutes_of_day.filter(lambda m: m != first)))
    return {
        "interval_days": 2 if kind == "every_other_day" else 1,
        "times": sorted(f"{m // 60:02d}:{m % 60:02d}" for m in times),
    }


@st.composite
def scenarios(draw):
    zone = draw(st.sampled_from(sorted(DST_DAYS)))
    around = draw(st.sampled_from(DST_DAYS[zone]))
    start = around - timedelta(days=draw(st.integers(0, 3)))
    # Attempts: minutes after local midnight of the start day, and how far back the dose is dated.
    attempts = draw(
        st.lists(
            st.tuples(st.integers(0, 5 * 24 * 60), st.sampled_from([0, 0, 0, 5, 90, 11 * 60, 20 * 60])),
            min_size=3,
            max_size=9,
        )
    )
    return zone, start, draw(regimens()), sorted(attempts)


def _reset(world, zone: str, start: date, regimen: dict) -> datetime:
    Injection.objects.filter(patient=world.alice).delete()
    DoseSlot.objects.filter(patient=world.alice).delete()
    Regimen.objects.filter(patient=world.alice).delete()
    world.alice.time_zone = zone
    world.alice.save()
    begin = dose_timing.local_slot(start, time(0), world.alice.zone)
    regimen_services.create_regimen_version(
        patient=world.alice,
        entered_by=world.carol,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        daily_dose_mg=Decimal("40.0"),
        mg_per_kg=Decimal("2"),
        weight_kg_basis=Decimal("20"),
        interval_days=regimen["interval_days"],
        administrations_per_day=len(regimen["times"]),
        times_of_day=regimen["times"],
        starts_on=start,
        confirmed=True,
        now=begin,
    )
    return begin


def _check_today_agrees(world, now: datetime) -> None:
    """Today's state of every dose matches the job (missed) and the log service (can log now)."""
    summary = today_selectors.today_summary(world.alice, now)
    decision = schedule.timeline(world.alice, now).decide(now, now=now)
    for view in summary.slots:
        stored = DoseSlot.objects.get(pk=view.slot.pk)
        window = schedule.window_for_slot(stored)
        assert view.window == window  # one window, whoever asks
        if stored.status == SlotStatus.PENDING:
            assert now < window.closes_at, "the missed-dose job left a dose past its cut-off pending"
        if stored.status == SlotStatus.MISSED:
            assert now >= window.closes_at, "the missed-dose job marked a dose still in its window"
        if view.can_log_now:
            assert decision.accepted and decision.slot.pk == view.slot.pk, (view, decision)
    if decision.accepted:
        shown = [v for v in summary.slots if v.slot.pk == decision.slot.pk]
        assert shown and shown[0].can_log_now, (decision, [(v.slot.scheduled_at, v.state) for v in summary.slots])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_MISS_NODOUBLE_SCHED_TZ_today_the_log_and_the_missed_dose_job_agree_and_doses_keep_their_gap(world, scenario):
    zone, start, regimen, attempts = scenario
    begin = _reset(world, zone, start, regimen)
    for minutes, back in attempts:
        now = (begin.astimezone(ZoneInfo("UTC")) + timedelta(minutes=minutes)).astimezone(world.alice.zone)
        taken_at = now - timedelta(minutes=back)
        dispatch.mark_missed_doses(now)
        _check_today_agrees(world, now)
        decision = schedule.timeline(world.alice, taken_at).decide(taken_at, now=now)
        target = decision.slot or schedule.timeline(world.alice, taken_at).next_slot_after(taken_at)
        if target is None:
            continue
        try:
            injection = injection_services.record_injection(
                slot=target, taken_at=taken_at, site_spot="thigh-left-1", by=world.bob, now=now
            )
        except refusals.DoseRefused as refused:
            assert not decision.accepted, f"the log refused what the schedule accepts: {refused}"
            assert refused.rule_id in ("MISS-NODOUBLE", "MISS-SKIP")
        else:
            assert decision.accepted, f"the log accepted what the schedule refuses: {decision.reason}"
            assert injection.slot_id == decision.slot.pk
    injections = list(Injection.objects.filter(patient=world.alice).select_related("slot").order_by("taken_at"))
    hours = schedule.skip_within_hours()
    for earlier, later in zip(injections, injections[1:], strict=False):
        assert earlier.slot.scheduled_at < later.slot.scheduled_at  # in the order of their doses
        gap = dose_timing.minimum_gap(earlier.slot.scheduled_at, later.slot.scheduled_at, hours)
        assert later.taken_at - earlier.taken_at >= gap, (earlier.taken_at, later.taken_at, gap)
