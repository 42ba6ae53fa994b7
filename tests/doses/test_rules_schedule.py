"""Schedule rules (SCHED-*) in doses/rules/dose_timing.py: local wall-clock slots across DST."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doses.rules import dose_timing
from doses.rules.catalogue import DoseRuleError

LONDON = zoneinfo.ZoneInfo("Europe/London")
DST_ZONES = ["Europe/London", "America/New_York", "Australia/Sydney"]


def slots(*, starts_on, interval=1, times=(time(8),), zone=LONDON, from_day=None, to_day=None, ends_on=None):
    return dose_timing.dose_slots(
        starts_on=starts_on,
        interval_days=interval,
        times_of_day=list(times),
        zone=zone,
        from_day=from_day or starts_on,
        to_day=to_day or starts_on + timedelta(days=9),
        ends_on=ends_on,
    )


def test_SCHED_DAILY_one_dose_a_day_at_the_same_local_time():
    found = slots(starts_on=date(2026, 6, 1))
    assert len(found) == 10
    assert {s.astimezone(LONDON).time() for s in found} == {time(8)}
    assert [s.astimezone(LONDON).date() for s in found] == [date(2026, 6, 1) + timedelta(days=n) for n in range(10)]


def test_SCHED_DAILY_a_regimen_that_ends_has_no_slot_on_its_end_day():
    found = slots(starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 4))
    assert [s.astimezone(LONDON).day for s in found] == [1, 2, 3]


def test_SCHED_DAILY_needs_a_time_of_day_and_at_most_two_different_ones():
    with pytest.raises(DoseRuleError, match="time of day"):
        slots(starts_on=date(2026, 6, 1), times=())
    with pytest.raises(DoseRuleError, match="two different times"):
        slots(starts_on=date(2026, 6, 1), times=(time(8), time(8)))
    with pytest.raises(DoseRuleError):
        slots(starts_on=date(2026, 6, 1), times=(time(8), time(12), time(20)))


@pytest.mark.parametrize(
    ("clearance", "interval"),
    [(None, 1), (0, 2), ("29.9", 2), (29, 2), (30, 1), ("30.0", 1), (90, 1), (Decimal("12.5"), 2)],
)
def test_SCHED_RENAL_every_other_day_below_30_ml_per_min(clearance, interval):
    assert dose_timing.dosing_interval_days(clearance) == interval


@pytest.mark.parametrize("clearance", [-1, "-0.1", Decimal("-30")])
def test_SCHED_RENAL_negative_clearance_is_refused_with_a_clear_message(clearance):
    with pytest.raises(DoseRuleError, match="cannot be negative"):
        dose_timing.dosing_interval_days(clearance)


def test_SCHED_RENAL_every_other_day_is_anchored_to_the_start_date():
    start = date(2026, 6, 1)
    later = slots(starts_on=start, interval=2, from_day=date(2026, 6, 4), to_day=date(2026, 6, 10))
    # 4 June is not a dose day (odd offset), so the series continues 5, 7, 9: a missed dose does not shift it.
    assert [s.astimezone(LONDON).day for s in later] == [5, 7, 9]


@pytest.mark.parametrize("zone_name", DST_ZONES)
def test_SCHED_TZ_same_local_time_across_both_dst_changes(zone_name):
    zone = zoneinfo.ZoneInfo(zone_name)
    found = slots(starts_on=date(2026, 1, 1), to_day=date(2026, 12, 31), zone=zone)
    assert len(found) == 365
    assert {s.astimezone(zone).time() for s in found} == {time(8)}
    offsets = {s.utcoffset() for s in found}
    assert len(offsets) == 2  # the UTC time moves with daylight saving, the local time does not


def test_SCHED_TZ_a_time_in_the_spring_forward_gap_moves_forward_on_the_same_day():
    # Europe/London: 29 March 2026 01:00 -> 02:00. 01:30 does not exist that day.
    (slot,) = slots(starts_on=date(2026, 3, 29), times=(time(1, 30),), to_day=date(2026, 3, 29))
    local = slot.astimezone(LONDON)
    assert local.date() == date(2026, 3, 29) and local.time() == time(2, 30)


def test_SCHED_TZ_an_ambiguous_autumn_time_is_given_once():
    # Europe/London: 25 October 2026 02:00 -> 01:00. 01:30 happens twice; one dose, the first.
    found = slots(starts_on=date(2026, 10, 25), times=(time(1, 30),), to_day=date(2026, 10, 25))
    assert len(found) == 1 and found[0].utcoffset() == timedelta(hours=1)


def test_SCHED_TZ_travel_keeps_the_local_clock_time_of_the_new_zone():
    day = date(2026, 6, 1)
    (london,) = slots(starts_on=day, to_day=day)
    (new_york,) = slots(starts_on=day, to_day=day, zone=zoneinfo.ZoneInfo("America/New_York"))
    assert london.astimezone(LONDON).time() == new_york.astimezone(zoneinfo.ZoneInfo("America/New_York")).time()
    assert new_york - london == timedelta(hours=5)


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=300)
@given(
    zone_name=st.sampled_from(DST_ZONES + ["UTC", "Australia/Lord_Howe", "America/Santiago", "America/Nuuk"]),
    start=days,
    first=times,
    second=st.one_of(st.none(), times),
    interval=st.sampled_from([1, 2]),
)
def test_SCHED_TZ_property_no_dose_falls_on_two_calendar_days(zone_name, start, first, second, interval):
    zone = zoneinfo.ZoneInfo(zone_name)
    chosen = [first] if second is None or second == first else [first, second]
    found = dose_timing.dose_slots(
        starts_on=start,
        interval_days=interval,
        times_of_day=chosen,
        zone=zone,
        from_day=start,
        to_day=start + timedelta(days=40),
    )
    expected_days = list(dose_timing.dose_days(start, interval, start, start + timedelta(days=40)))
    per_day = {}
    for moment in found:
        per_day.setdefault(moment.astimezone(zone).date(), []).append(moment)
    # Every dose sits on the local day it was scheduled for, each day has its full count, and no two coincide.
    assert sorted(per_day) == expected_days
    assert all(len(v) == len(chosen) for v in per_day.values())
    assert len(set(found)) == len(found)  # two doses never share one instant, even inside a DST gap
    assert all(a < b for a, b in zip(found, found[1:], strict=False))


@settings(max_examples=300)
@given(zone_name=st.sampled_from(DST_ZONES), start=days, at=times)
def test_SCHED_RENAL_property_every_other_day_slots_are_exactly_two_local_days_apart(zone_name, start, at):
    zone = zoneinfo.ZoneInfo(zone_name)
    found = dose_timing.dose_slots(
        starts_on=start,
        interval_days=2,
        times_of_day=[at],
        zone=zone,
        from_day=start,
        to_day=start + timedelta(days=400),
    )
    local_days = [s.astimezone(zone).date() for s in found]
    assert local_days[0] == start
    assert all((b - a).days == 2 for a, b in zip(local_days, local_days[1:], strict=False))
    # The wall-clock time is the chosen one, except inside a spring-forward gap where it moves forward.
    for moment in found:
        local = moment.astimezone(zone)
        if local.time() != at:
            gap = local.utcoffset() - (local - timedelta(hours=3)).utcoffset()
            assert gap > timedelta(0)


def test_SCHED_TZ_a_gap_that_ends_at_midnight_keeps_the_dose_on_its_own_day():
    # America/Nuuk springs forward from 23:00 to 00:00 on 28 March 2026: 23:30 does not exist.
    nuuk = zoneinfo.ZoneInfo("America/Nuuk")
    found = slots(starts_on=date(2026, 3, 27), times=(time(23, 30),), zone=nuuk, to_day=date(2026, 3, 29))
    assert [s.astimezone(nuuk).date() for s in found] == [date(2026, 3, d) for d in (27, 28, 29)]
    assert found[1].astimezone(nuuk).time() == time(22, 30)


def test_SCHED_TZ_two_doses_an_hour_apart_across_the_gap_stay_two_doses():
    # London, 29 March 2026: 01:15 does not exist and would move onto 02:15 BST.
    first, second = slots(starts_on=date(2026, 3, 29), times=(time(1, 15), time(2, 15)), to_day=date(2026, 3, 29))
    assert first < second
    assert first.astimezone(LONDON).date() == second.astimezone(LONDON).date() == date(2026, 3, 29)


def test_SCHED_TZ_split_dose_where_the_second_time_falls_in_a_gap_at_midnight():
    """Found by hypothesis: America/Nuuk jumps from 23:00 to 00:00 on 30 March 2024, so a
    23:00 dose does not exist that night; it must not land on the 22:00 dose."""
    zone = zoneinfo.ZoneInfo("America/Nuuk")
    day = date(2024, 3, 30)
    first, second = dose_timing.dose_slots(
        starts_on=date(2024, 3, 1),
        interval_days=1,
        times_of_day=[time(22), time(23)],
        zone=zone,
        from_day=day,
        to_day=day,
    )
    assert first.astimezone(zone).replace(tzinfo=None) == datetime(2024, 3, 30, 22, 0)
    assert first < second
    assert second.astimezone(zone).date() == day
    assert second - first == timedelta(minutes=59)
