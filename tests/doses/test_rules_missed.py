"""Missed-dose rules (MISS-*) and dose windows in doses/rules.py."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doses import rules

LONDON = zoneinfo.ZoneInfo("Europe/London")
H = timedelta(hours=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=LONDON)


def test_MISS_TAKE_a_missed_dose_is_taken_as_soon_as_remembered():
    assert rules.missed_dose_advice(at(1, 8), at(2, 8), at(1, 15)) == "take"
    assert rules.missed_dose_advice(at(1, 8), at(2, 8), at(1, 19, 59)) == "take"


def test_MISS_SKIP_within_the_cut_off_before_the_next_dose_it_is_skipped():
    # Daily at 08:00: "almost time" = the next dose is due within 12 hours, i.e. from 20:00.
    assert rules.missed_dose_advice(at(1, 8), at(2, 8), at(1, 20)) == "skip"
    assert rules.missed_dose_advice(at(1, 8), at(2, 8), at(2, 7)) == "skip"


def test_MISS_SKIP_the_cut_off_is_configurable():
    assert rules.missed_dose_advice(at(1, 8), at(2, 8), at(1, 20), skip_within=6 * H) == "take"
    assert rules.missed_dose_advice(at(1, 8), at(2, 8), at(2, 2), skip_within=6 * H) == "skip"
    with pytest.raises(ValueError):
        rules.missed_dose_advice(at(1, 8), at(2, 8), at(1, 20), skip_within=-H)


def test_MISS_SKIP_for_a_split_dose_the_cut_off_is_half_the_gap():
    assert rules.default_skip_within(12 * H) == 6 * H
    assert rules.default_skip_within(48 * H) == 12 * H
    assert rules.missed_dose_advice(at(1, 8), at(1, 20), at(1, 13)) == "take"
    assert rules.missed_dose_advice(at(1, 8), at(1, 20), at(1, 14)) == "skip"


def test_MISS_SKIP_refuses_naive_or_misordered_times():
    with pytest.raises(ValueError, match="aware"):
        rules.missed_dose_advice(datetime(2026, 6, 1, 8), at(2, 8), at(1, 9))
    with pytest.raises(ValueError):
        rules.missed_dose_advice(at(2, 8), at(1, 8), at(1, 9))


@given(
    now=st.datetimes(min_value=datetime(2026, 5, 30), max_value=datetime(2026, 6, 5), timezones=st.just(UTC)),
    hours=st.floats(min_value=0, max_value=24),
)
def test_MISS_NODOUBLE_advice_is_only_ever_take_or_skip_never_both(now, hours):
    advice = rules.missed_dose_advice(at(1, 8), at(2, 8), now, skip_within=timedelta(hours=hours))
    assert advice in ("take", "skip")
    if now >= at(2, 8):
        assert advice == "skip"  # once the next dose is due, the missed one is never added to it


def test_MISS_NODOUBLE_an_injection_belongs_to_one_dose_window_only():
    slots = [at(d, 8) for d in range(1, 5)]
    assert rules.slot_for_moment(slots, at(1, 7)) == at(1, 8)  # a little early: today's dose
    assert rules.slot_for_moment(slots, at(1, 19, 59)) == at(1, 8)
    assert rules.slot_for_moment(slots, at(1, 20)) == at(2, 8)  # after the cut-off: tomorrow's dose
    window = rules.dose_window(at(2, 8), at(3, 8), at(1, 8))
    assert at(1, 20) in window and at(2, 20) not in window


def test_MISS_NODOUBLE_windows_meet_exactly_for_an_uneven_split_dose():
    # 08:00 and 12:00: gaps of 4 h and 20 h. The windows must leave no hole overnight.
    slots = sorted(at(d, h) for d in range(1, 4) for h in (8, 12))
    for moment in (at(1, 23), at(2, 3), at(2, 6, 59)):
        assert rules.slot_for_moment(slots, moment) == at(2, 8)
    previous, current, following = at(1, 12), at(2, 8), at(2, 12)
    assert (
        rules.dose_window(previous, current, at(1, 8)).closes_at
        == rules.dose_window(current, following, previous).opens_at
    )


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
)
def test_MISS_NODOUBLE_property_every_moment_belongs_to_exactly_one_dose_window(
    zone_name, start, first, second, interval, hours, offset_minutes
):
    zone = zoneinfo.ZoneInfo(zone_name)
    chosen = {time(first // 60, first % 60)}
    if second is not None:
        chosen.add(time(second // 60, second % 60))
    slots = sorted(
        set(
            rules.dose_slots(
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
        rules.dose_window(s, n, p, timedelta(hours=hours))
        for p, s, n in zip([None, *slots[:-2]], slots[:-1], slots[1:], strict=True)
    ]
    for earlier, later in zip(windows, windows[1:], strict=False):
        assert earlier.closes_at == later.opens_at  # no hole, no overlap
    moment = windows[0].opens_at + timedelta(minutes=offset_minutes)
    if moment < windows[-1].closes_at:
        owners = [w.slot_at for w in windows if moment in w]
        assert len(owners) == 1
        assert rules.slot_for_moment(slots, moment, hours) == owners[0]
