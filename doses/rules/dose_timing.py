"""Dose timing (SCHED-*, MISS-*): local slots, the dose window, the missed-dose advice."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from .catalogue import DoseRuleError
from .dosing import to_decimal

RENAL_CLEARANCE_THRESHOLD_ML_MIN = Decimal("30")  # SCHED-RENAL


def dosing_interval_days(creatinine_clearance_ml_min) -> int:
    """SCHED-RENAL: every other day (2) when creatinine clearance is below 30 mL/min.

    Unknown (None) keeps the daily schedule (SCHED-DAILY); a person confirms any change.
    """
    if creatinine_clearance_ml_min is None:
        return 1
    clearance = to_decimal(creatinine_clearance_ml_min, "creatinine clearance")
    if clearance < 0:
        raise DoseRuleError("Creatinine clearance cannot be negative. Check the lab result.")
    return 2 if clearance < RENAL_CLEARANCE_THRESHOLD_ML_MIN else 1


def local_slot(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """SCHED-TZ: the aware datetime for local clock time `at` on `day` in `zone`.

    A time that does not exist (the spring-forward gap) moves forward by the gap, to the
    same instant a wall clock would show after the change (or back, when forward would
    cross midnight); an ambiguous time (autumn) takes the first occurrence. Either way
    the dose stays on its own calendar day.
    """
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC to normalise a non-existent local time.
    moved = aware.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)
    if moved.date() != day:
        # A gap that ends at midnight (America/Nuuk springs from 23:00 to 00:00): moving
        # forward would land on the next day, which has its own dose. Move back instead.
        moved = naive.replace(tzinfo=zone, fold=1).astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)
    return moved


def dose_days(starts_on: date, interval_days: int, from_day: date, to_day: date) -> Iterator[date]:
    """Local calendar days with a dose, anchored to the start date (SCHED-DAILY, SCHED-RENAL).

    Every-other-day series count from `starts_on`, so a missed dose never shifts them.
    """
    if interval_days not in (1, 2):
        raise DoseRuleError("Anakinra is given every day or every other day.")
    day = max(from_day, starts_on)
    offset = (day - starts_on).days % interval_days
    if offset:
        day += timedelta(days=interval_days - offset)
    while day <= to_day:
        yield day
        day += timedelta(days=interval_days)


def dose_slots(
    *,
    starts_on: date,
    interval_days: int,
    times_of_day: Sequence[time],
    zone: zoneinfo.ZoneInfo,
    from_day: date,
    to_day: date,
    ends_on: date | None = None,
) -> list[datetime]:
    """Every scheduled dose (aware, in the patient's zone) between two local days inclusive.

    SCHED-DAILY / SCHED-RENAL for the days, DOSE-PED-STEP for up to two times a day,
    SCHED-TZ for local wall-clock time. A regimen that ends on `ends_on` has no slot on
    or after that day (the next regimen starts there).
    """
    if not times_of_day:
        raise DoseRuleError("Choose the time of day for the injection.")
    if len(times_of_day) > 2:
        raise DoseRuleError("A daily dose is given once, or split into two injections a day.")
    if len(set(times_of_day)) != len(times_of_day):
        raise DoseRuleError("The two injections of a split dose need two different times of day.")
    last = to_day if ends_on is None else min(to_day, ends_on - timedelta(days=1))
    ordered = sorted(times_of_day)
    found: list[datetime] = []
    for day in dose_days(starts_on, interval_days, from_day, last):
        moments = [local_slot(day, at, zone) for at in ordered]
        if len(moments) == 2 and moments[0] >= moments[1]:
            moments = _separate_split_doses(day, ordered, moments, zone)
        found += moments
    return found


def _separate_split_doses(day: date, ordered: Sequence[time], moments: list[datetime], zone) -> list[datetime]:
    """SCHED-TZ / MISS-NODOUBLE: both times of a split dose fell on one instant because one
    of them does not exist that day (a DST gap) and was moved onto the other. Keep two
    distinct doses on the same local day, in order, and move only the one that does not
    exist: the first goes back across the gap (or to the first moment of the day, for a gap
    at midnight); the second, pushed back onto the first by a gap that ends at midnight
    (America/Nuuk jumps from 23:00 to 00:00), goes to the last minute of the day.
    """
    utc = zoneinfo.ZoneInfo("UTC")
    first, second = moments
    if first.timetz().replace(tzinfo=None) != ordered[0]:
        earlier = datetime.combine(day, ordered[0]).replace(tzinfo=zone, fold=1).astimezone(utc).astimezone(zone)
        for candidate in (earlier, local_slot(day, time(0), zone)):
            if candidate.date() == day and candidate < second:
                return [candidate, second]
    # Arithmetic in UTC: an aware datetime minus a timedelta would count wall-clock minutes.
    next_midnight = local_slot(day + timedelta(days=1), time(0), zone).astimezone(utc)
    last_minute = (next_midnight - timedelta(minutes=1)).astimezone(zone)
    if last_minute.date() == day and last_minute > first:
        return [first, last_minute]
    raise DoseRuleError("The two times of the split dose fall on one moment on this day; choose other times.")


_UTC = zoneinfo.ZoneInfo("UTC")


def as_utc(moment: datetime) -> datetime:
    # Elapsed time: arithmetic on two datetimes with the same ZoneInfo counts wall-clock
    # hours, so a 12-hour gap across a DST change would be 11 or 13 real hours (SCHED-TZ).
    return moment.astimezone(_UTC)


DEFAULT_SKIP_WITHIN_HOURS = 12.0  # MISS-SKIP: the configured "almost time" cut-off, by default


def default_skip_within(gap: timedelta, skip_within_hours: float = DEFAULT_SKIP_WITHIN_HOURS) -> timedelta:
    """MISS-SKIP: 'almost time for the next dose' = the next dose is due within this long.

    The configured cut-off (12 hours by default), but never more than half the gap
    between doses, so a twice-a-day split dose still has a window to take a late one.
    """
    return min(timedelta(hours=skip_within_hours), gap / 2)


def missed_dose_advice(
    scheduled_at: datetime,
    next_scheduled_at: datetime,
    now: datetime,
    skip_within: timedelta | None = None,
) -> str:
    """MISS-TAKE / MISS-SKIP: "take" a missed dose now, or "skip" it and keep the schedule.

    Take it as soon as you remember (MISS-TAKE) unless the next dose is due within
    `skip_within` (MISS-SKIP). Never "take both" (MISS-NODOUBLE): once the cut-off has
    passed the answer is "skip", and the next dose is the next one on the schedule.
    """
    for value in (scheduled_at, next_scheduled_at, now):
        if value.tzinfo is None:
            raise ValueError("missed_dose_advice needs timezone-aware datetimes (SCHED-TZ).")
    scheduled_at, next_scheduled_at = as_utc(scheduled_at), as_utc(next_scheduled_at)
    if next_scheduled_at <= scheduled_at:
        raise ValueError("The next dose must come after the missed one.")
    if skip_within is None:
        skip_within = default_skip_within(next_scheduled_at - scheduled_at)
    if skip_within < timedelta(0):
        raise ValueError("The skip cut-off cannot be negative.")
    return "skip" if now >= next_scheduled_at - skip_within else "take"


# MISS-TAKE / MISS-SKIP: Today keeps a dose that is late, missed or not taken, with its
# advice, for a day after it was due (after that the next doses speak for themselves).
MISSED_DOSE_SHOWN_FOR = timedelta(hours=24)


# MISS-NODOUBLE / SCHED-DAILY: a dose can be logged from this long before it is due (the
# app's DOSE_LOG_EARLY_HOURS setting). Before that the moment belongs to no dose, so the
# window of one dose never opens the moment the previous one closes.
DEFAULT_LOG_EARLY_HOURS = 2.0


@dataclass(frozen=True)
class DoseWindow:
    """The span of time in which an injection counts for one scheduled dose (MISS-NODOUBLE).

    All three moments are in UTC; show them in the patient's zone.
    """

    slot_at: datetime
    opens_at: datetime  # MISS-NODOUBLE: the dose can be logged from here (DOSE_LOG_EARLY_HOURS before)
    closes_at: datetime  # exclusive; also the missed-dose cut-off (MISS-SKIP)

    def __contains__(self, moment: datetime) -> bool:
        return self.opens_at <= moment < self.closes_at


def dose_window(
    slot_at: datetime,
    next_slot_at: datetime,
    previous_slot_at: datetime | None = None,
    skip_within: timedelta | None = None,
    log_early: timedelta | None = None,
) -> DoseWindow:
    """MISS-NODOUBLE / MISS-SKIP: the window of a slot.

    It closes at this slot's cut-off: the next slot minus the skip span (MISS-SKIP), the
    configured `skip_within` (12 hours by default) capped at half the gap to the next slot
    (`default_skip_within`). It opens `log_early` (2 hours by default) before the slot, but
    never before the previous slot's window closes (same formula, same gap): windows never
    overlap, and between them lie moments that count for no dose (MISS-NODOUBLE).
    """
    slot_at, next_slot_at = as_utc(slot_at), as_utc(next_slot_at)
    configured = timedelta(hours=DEFAULT_SKIP_WITHIN_HOURS) if skip_within is None else skip_within
    hours = configured.total_seconds() / 3600
    early = timedelta(hours=DEFAULT_LOG_EARLY_HOURS) if log_early is None else log_early
    if early < timedelta(0):
        raise ValueError("The time a dose can be logged early cannot be negative.")
    closes_at = next_slot_at - default_skip_within(next_slot_at - slot_at, hours)
    if previous_slot_at is None:
        previous_close = slot_at - default_skip_within(next_slot_at - slot_at, hours)
    else:
        previous_close = slot_at - default_skip_within(slot_at - as_utc(previous_slot_at), hours)
    return DoseWindow(slot_at=slot_at, opens_at=max(slot_at - early, previous_close), closes_at=closes_at)


def slot_for_moment(
    slots: Sequence[datetime],
    moment: datetime,
    skip_within_hours: float = DEFAULT_SKIP_WITHIN_HOURS,
    log_early_hours: float = DEFAULT_LOG_EARLY_HOURS,
) -> datetime | None:
    """MISS-NODOUBLE: which scheduled dose an injection at `moment` belongs to, if any.

    `slots` must be sorted and include the slot after the one sought. None: the moment is
    after one dose's cut-off and before the next one can be logged.
    """
    for index in range(len(slots) - 1):
        previous = slots[index - 1] if index else None
        window = dose_window(
            slots[index],
            slots[index + 1],
            previous,
            timedelta(hours=skip_within_hours),
            timedelta(hours=log_early_hours),
        )
        if moment in window:
            return slots[index]
    return None


def minimum_gap(first_slot_at: datetime, second_slot_at: datetime, skip_within_hours: float) -> timedelta:
    """MISS-NODOUBLE / MISS-SKIP: the least time between the injections of two doses.

    The skip span between them (`default_skip_within`): 12 hours for a daily or every-other-
    day dose, 6 hours for a split dose 12 hours apart. A dose taken late, just before its
    cut-off, therefore pushes the next one back: never two doses minutes apart.
    """
    return default_skip_within(abs(as_utc(second_slot_at) - as_utc(first_slot_at)), skip_within_hours)


def earliest_log_at(window: DoseWindow, previous_injection_at: datetime | None, gap: timedelta) -> datetime:
    """MISS-NODOUBLE: the first moment a dose can be logged: its window's opening, or
    `gap` (minimum_gap) after the previous injection if that is later."""
    if previous_injection_at is None:
        return window.opens_at
    return max(window.opens_at, as_utc(previous_injection_at) + gap)


def latest_log_before(next_injection_at: datetime, gap: timedelta) -> datetime:
    """MISS-NODOUBLE (back-logging a dose): it must lie `gap` before the next injection logged."""
    return as_utc(next_injection_at) - gap


# SCHED-DAILY (a reminder's words): a reminder sent within this of the dose time is "on time"
# (the minute tick and a worker's queue); sent later, it says the dose was due and is overdue.
# This app's choice, like TIMING_WINDOW: the sources name no tolerance.
REMINDER_ON_TIME_WITHIN = timedelta(minutes=5)


def reminder_is_overdue(scheduled_at: datetime, sent_at: datetime) -> bool:
    """SCHED-DAILY: the dose a reminder is about was due more than REMINDER_ON_TIME_WITHIN before it goes."""
    return as_utc(sent_at) - as_utc(scheduled_at) > REMINDER_ON_TIME_WITHIN
