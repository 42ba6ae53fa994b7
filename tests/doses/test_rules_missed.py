"""Missed-dose rules (MISS-*) and dose windows in doses/rules/dose_timing.py."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doses.rules import dose_timing

LONDON = zoneinfo.ZoneInfo("Europe/London")
H = timedelta(hours=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=LONDON)


def test_MISS_TAKE_a_missed_dose_is_taken_as_soon_as_remembered():
    assert dose_timing.missed_dose_advice(at(1, 8), at(2, 8), at(1, 15)) == "take"
    assert dose_timing.missed_dose_advice(at(1, 8), at(2, 8), at(1, 19, 59)) == "take"


def test_MISS_SKIP_within_the_cut_off_before_the_next_dose_it_is_skipped():
    # Daily at 08:00: "almost time" = the next dose is due within 12 hours, i.e. from 20:00.
    assert dose_timing.missed_dose_advice(at(1, 8), at(2, 8), at(1, 20)) == "skip"
    assert dose_timing.missed_dose_advice(at(1, 8), at(2, 8), at(2, 7)) == "skip"


def test_MISS_SKIP_the_cut_off_is_configurable():
    assert dose_timing.missed_dose_advice(at(1, 8), at(2, 8), at(1, 20), skip_within=6 * H) == "take"
    assert dose_timing.missed_dose_advice(at(1, 8), at(2, 8), at(2, 2), skip_within=6 * H) == "skip"
    with pytest.raises(ValueError):
        dose_timing.missed_dose_advice(at(1, 8), at(2, 8), at(1, 20), skip_within=-H)


def test_MISS_SKIP_for_a_split_dose_the_cut_off_is_half_the_gap():
    assert dose_timing.default_skip_within(12 * H) == 6 * H
    assert dose_timing.default_skip_within(48 * H) == 12 * H
    assert dose_timing.missed_dose_advice(at(1, 8), at(1, 20), at(1, 13)) == "take"
    assert dose_timing.missed_dose_advice(at(1, 8), at(1, 20), at(1, 14)) == "skip"


def test_MISS_SKIP_refuses_naive_or_misordered_times():
    with pytest.raises(ValueError, match="aware"):
        dose_timing.missed_dose_advice(datetime(2026, 6, 1, 8), at(2, 8), at(1, 9))
    with pytest.raises(ValueError):
        dose_timing.missed_dose_advice(at(2, 8), at(1, 8), at(1, 9))


@given(
    now=st.datetimes(min_value=datetime(2026, 5, 30), max_value=datetime(2026, 6, 5), timezones=st.just(UTC)),
    hours=st.floats(min_value=0, max_value=24),
)
def test_MISS_NODOUBLE_advice_is_only_ever_take_or_skip_never_both(now, hours):
    advice = dose_timing.missed_dose_advice(at(1, 8), at(2, 8), now, skip_within=timedelta(hours=hours))
    assert advice in ("take", "skip")
    if now >= at(2, 8):
        assert advice == "skip"  # once the next dose is due, the missed one is never added to it


def test_MISS_NODOUBLE_an_injection_belongs_to_one_dose_window_only():
    slots = [at(d, 8) for d in range(1, 5)]
    assert dose_timing.slot_for_moment(slots, at(1, 7)) == at(1, 8)  # a little early: today's dose
    assert dose_timing.slot_for_moment(slots, at(1, 19, 59)) == at(1, 8)
    assert dose_timing.slot_for_moment(slots, at(1, 20)) is None  # after the cut-off: no dose ...
    assert dose_timing.slot_for_moment(slots, at(2, 5, 59)) is None
    assert dose_timing.slot_for_moment(slots, at(2, 6)) == at(2, 8)  # ... until 2 hours before the next one
    window = dose_timing.dose_window(at(2, 8), at(3, 8), at(1, 8))
    assert at(1, 20) not in window and at(2, 6) in window and at(2, 20) not in window


def test_MISS_NODOUBLE_a_window_opens_the_configured_time_early_never_before_the_previous_cut_off():
    # DOSE_LOG_EARLY_HOURS: 2 hours by default, 0 for "not before its time".
    assert dose_timing.dose_window(at(2, 8), at(3, 8), at(1, 8)).opens_at == at(2, 6)
    assert dose_timing.dose_window(at(2, 8), at(3, 8), at(1, 8), log_early=timedelta(0)).opens_at == at(2, 8)
    # Early enough to reach back past the previous cut-off (20:00): it opens there, no overlap.
    assert dose_timing.dose_window(at(2, 8), at(3, 8), at(1, 8), log_early=14 * H).opens_at == at(1, 20)
    with pytest.raises(ValueError):
        dose_timing.dose_window(at(2, 8), at(3, 8), at(1, 8), log_early=-H)


def test_MISS_NODOUBLE_windows_of_an_uneven_split_dose_never_overlap_and_leave_the_night_to_no_dose():
    # 08:00 and 12:00: gaps of 4 h and 20 h. The 12:00 cut-off is 22:00; the 08:00 dose opens at 06:00.
    slots = sorted(at(d, h) for d in range(1, 4) for h in (8, 12))
    for moment in (at(1, 23), at(2, 3), at(2, 5, 59)):
        assert dose_timing.slot_for_moment(slots, moment) is None
    assert dose_timing.slot_for_moment(slots, at(2, 6)) == at(2, 8)
    assert dose_timing.slot_for_moment(slots, at(2, 10)) == at(2, 12)  # 08:00's cut-off: 2 h before 12:00
    previous, current, following = at(1, 12), at(2, 8), at(2, 12)
    assert dose_timing.dose_window(previous, current, at(1, 8)).closes_at == at(1, 22)
    assert dose_timing.dose_window(current, following, previous).opens_at == at(2, 6)


def test_MISS_NODOUBLE_the_minimum_gap_between_two_injections_is_the_skip_span():
    assert dose_timing.minimum_gap(at(1, 8), at(2, 8), 12.0) == 12 * H  # daily
    assert dose_timing.minimum_gap(at(1, 8), at(3, 8), 12.0) == 12 * H  # every other day
    assert dose_timing.minimum_gap(at(1, 14), at(2, 2), 12.0) == 6 * H  # twice a day, 12 h apart
    assert dose_timing.minimum_gap(at(2, 8), at(1, 8), 12.0) == 12 * H  # either order


def test_MISS_NODOUBLE_earliest_log_at_is_the_window_or_the_gap_after_the_last_injection():
    window = dose_timing.dose_window(at(2, 8), at(3, 8), at(1, 8))
    assert dose_timing.earliest_log_at(window, None, 12 * H) == at(2, 6)
    assert dose_timing.earliest_log_at(window, at(1, 8, 5), 12 * H) == at(2, 6)
    assert dose_timing.earliest_log_at(window, at(1, 19, 59), 12 * H) == at(2, 7, 59)  # a late dose pushes it back
    assert dose_timing.latest_log_before(at(2, 6, 30), 12 * H) == at(1, 18, 30)  # back-logging before a later dose


def test_SCHED_TZ_windows_count_elapsed_hours_across_a_daylight_saving_change():
    # London springs forward at 01:00 on 29 Mar 2026: 08:00 to 08:00 is 23 real hours.
    before, change_day, after = (datetime(2026, 3, d, 8, tzinfo=LONDON) for d in (28, 29, 30))
    window = dose_timing.dose_window(before, change_day, None)
    assert window.closes_at == change_day.astimezone(UTC) - timedelta(hours=11.5)  # half of 23 h, in real time
    assert dose_timing.minimum_gap(before, change_day, 12.0) == timedelta(hours=11.5)
    assert dose_timing.dose_window(change_day, after, before).opens_at == change_day.astimezone(UTC) - 2 * H


zones = st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney"])


@settings(max_examples=200)
@given(
    zone_name=zones,
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    first=st.integers(0, 23 * 60 + 59),
    second=st.one_of(st.none(), st.integers(0, 23 * 60 + 59)),
    interval=st.sampled_from([1, 2]),
    hours=st.sampled_from([2.0, 6.0, 12.0, 18.0]),
    offset_minutes=st.integers(0, 8 * 24 * 60),
    early=st.sampled_from([0.0, 2.0, 5.0, 30.0]),
)
def test_MISS_NODOUBLE_property_every_moment_belongs_to_at_most_one_dose_window(
    zone_name, start, first, second, interval, hours, offset_minutes, early
):
    zone = zoneinfo.ZoneInfo(zone_name)
    chosen = {time(first // 60, first % 60)}
    if second is not None:
        chosen.add(time(second // 60, second % 60))
    slots = sorted(
        set(
            dose_timing.dose_slots(
                starts_on=start,
                interval_days=interval,
                times_of_day=sorted(chosen),
                zone=zone,
                from_day=start,
                to_day=start + timedelta(days=12),
            )
        )
    )
    windows = [
        dose_timing.dose_window(s, n, p, timedelta(hours=hours), timedelta(hours=early))
        for p, s, n in zip([None, *slots[:-2]], slots[:-1], slots[1:], strict=True)
    ]
    for earlier, later in zip(windows, windows[1:], strict=False):
        assert earlier.closes_at <= later.opens_at  # no overlap (a hole between them is allowed)
        # The later one opens `early` before its time, or at the earlier one's cut-off.
        assert later.opens_at == max(later.slot_at - timedelta(hours=early), earlier.closes_at)
    for window in windows:
        assert window.opens_at <= window.slot_at < window.closes_at
    moment = windows[0].opens_at + timedelta(minutes=offset_minutes)
    if moment < windows[-1].closes_at:
        owners = [w.slot_at for w in windows if moment in w]
        assert len(owners) <= 1
        assert dose_timing.slot_for_moment(slots, moment, hours, early) == (owners[0] if owners else None)
