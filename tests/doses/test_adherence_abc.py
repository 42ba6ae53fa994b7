"""The ABC taxonomy measures (doses/adherence.py), computed by hand for small timelines.

Each test's docstring draws its timeline and works the expected numbers out; the pure
functions must give exactly those. Doses at 08:00 UTC; "T" taken, "M" missed, "N" not
taken, "H" held, "P" pending.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from doses import adherence
from doses.adherence import SlotFact

D1 = date(2026, 3, 1)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CODES = {"T": "taken", "M": "missed", "N": "not_taken", "H": "held", "P": "pending"}


def on(day: int) -> date:
    """Day 1 = 1 March 2026."""
    return D1 + timedelta(days=day - 1)


def daily(codes: str, *, late_minutes: dict[int, int] | None = None) -> list[SlotFact]:
    """One dose a day at 08:00 from 1 March, one letter a day; taken 5 minutes after unless
    `late_minutes` says otherwise for that day (negative: early)."""
    slots = []
    for index, code in enumerate(codes):
        day = on(index + 1)
        at = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
        minutes = (late_minutes or {}).get(index + 1, 5)
        taken_at = at + timedelta(minutes=minutes) if code == "T" else None
        slots.append(SlotFact(at, CODES[code], day, taken_at))
    return slots


def days(codes: str) -> list[tuple[date, str]]:
    return [(fact.local_date, fact.status) for fact in daily(codes)]


# --- timing adherence ------------------------------------------------------------------------


def test_timing_adherence_counts_doses_logged_within_two_hours_either_side_of_their_time():
    """Days 1-10:  T  T  T  M  T  T  H  T  N  T
    taken at (minutes after 08:00): day 2 +121 (late), day 3 -120 (early, on the edge: on time),
    day 5 +120 (on the edge: on time), day 6 -150 (too early); the others +5.
    Due: 10 days less day 7 (held) = 9. Logged: days 1, 2, 3, 5, 6, 8, 10 = 7.
    On time: 7 logged less day 2 and day 6 = 5.  Timing adherence 5/9 = 56%; 2 outside the window."""
    slots = daily("TTTMTTHTNT", late_minutes={2: 121, 3: -120, 5: 120, 6: -150})
    timing = adherence.timing_adherence(slots, now=NOW)
    assert (timing.on_time, timing.logged, timing.due) == (5, 7, 9)
    assert timing.ratio.percent == 56
    assert timing.off_time == 2
    assert adherence.TIMING_WINDOW == timedelta(hours=2)


def test_timing_adherence_leaves_out_doses_not_yet_due_and_is_none_when_nothing_was_due():
    """Days 1-3: T P P, now = day 2 at 12:00: day 3 (08:00 tomorrow) is not due.
    Due: day 1 and day 2 = 2; on time: day 1 = 1. With now before day 1's dose: nothing due."""
    slots = daily("TPP")
    timing = adherence.timing_adherence(slots, now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert (timing.on_time, timing.logged, timing.due) == (1, 1, 2)
    nothing = adherence.timing_adherence(slots, now=datetime(2026, 2, 28, tzinfo=UTC))
    assert nothing.due == 0 and nothing.ratio.percent is None


# --- drug holidays --------------------------------------------------------------------------


def test_drug_holidays_are_runs_of_two_or_more_doses_missed_in_a_row():
    """Days 1-10:  T  M  T  M  N  T  M  M  M  T
    Runs of missed / not taken: day 2 (1 dose: not a holiday), days 4-5 (2), days 7-9 (3).
    Holidays: 2; the longest: 3 doses, 7 to 9 March."""
    holidays = adherence.drug_holidays(daily("TMTMNTMMMT"), now=NOW)
    assert (holidays.count, holidays.longest_doses) == (2, 3)
    assert (holidays.longest_from, holidays.longest_to) == (on(7), on(9))


def test_a_held_dose_neither_ends_nor_lengthens_a_drug_holiday_and_a_pending_one_is_not_missed():
    """Days 1-6:  T  M  H  M  T  P
    Day 3 is held: not due, so the run days 2-4 is one holiday of 2 doses (day 2, day 4).
    Day 6 is still pending: not missed. Holidays: 1, longest 2 doses, 2 to 4 March."""
    holidays = adherence.drug_holidays(daily("TMHMTP"), now=NOW)
    assert (holidays.count, holidays.longest_doses) == (1, 2)
    assert (holidays.longest_from, holidays.longest_to) == (on(2), on(4))


def test_no_drug_holiday_when_no_two_doses_in_a_row_were_missed():
    """Days 1-5: T M T N T: two single misses. Holidays: 0."""
    holidays = adherence.drug_holidays(daily("TMTNT"), now=NOW)
    assert holidays == adherence.DrugHolidays(0, 0, None, None)


# --- persistence ----------------------------------------------------------------------------


def test_persistence_runs_from_the_first_dose_while_no_gap_of_30_days_came():
    """Days 1-40: taken every day except days 11-39 missed (29 days), day 40 taken.
    Gap between day 10 and day 40: days 11..39 = 29 days < 30: still persisting.
    Days on treatment: day 1 to day 40 = 40; days since the last dose: 0."""
    result = adherence.persistence(days("T" * 10 + "M" * 29 + "T"), today=on(40))
    assert adherence.PERSISTENCE_GAP_DAYS == 30
    assert result.persisting
    assert (result.first_dose_on, result.last_dose_on, result.days, result.gap_days) == (on(1), on(40), 40, 0)


def test_a_gap_of_30_days_without_a_dose_ends_persistence_at_the_last_dose_before_it():
    """Days 1-45: taken days 1-5, missed days 6-35 (30 days), taken days 36-45.
    Gap between day 5 and day 36: days 6..35 = 30 days >= 30: treatment ended after day 5.
    Persistence: day 1 to day 5 = 5 days; restarted on day 36."""
    result = adherence.persistence(days("T" * 5 + "M" * 30 + "T" * 10), today=on(45))
    assert not result.persisting
    assert (result.last_dose_on, result.days, result.gap_days, result.restarted_on) == (on(5), 5, 30, on(36))


def test_days_on_hold_are_not_part_of_the_gap():
    """Days 1-45: taken days 1-5, held days 6-25 (20 days), missed days 26-44 (19), taken day 45.
    Between day 5 and day 45: 39 days without a dose, of which 20 on hold: a gap of 19 < 30.
    Persisting: day 1 to day 45 = 45 days."""
    result = adherence.persistence(days("T" * 5 + "H" * 20 + "M" * 19 + "T"), today=on(45))
    assert result.persisting
    assert result.days == 45
    assert len(result.held_days) == 20


def test_an_open_gap_after_the_last_dose_ends_persistence_once_it_reaches_30_days():
    """Days 1-40: taken days 1-10, then missed days 11-40 (30 days), today = day 40.
    After day 10: days 11..40 = 30 days without a dose: ended after day 10 (10 days), no restart.
    One day earlier (today = day 39, days 11-39 = 29): still persisting, 39 days, 29 since the last."""
    ended = adherence.persistence(days("T" * 10 + "M" * 30), today=on(40))
    assert (ended.persisting, ended.days, ended.gap_days, ended.restarted_on) == (False, 10, 30, None)
    going = adherence.persistence(days("T" * 10 + "M" * 29), today=on(39))
    assert (going.persisting, going.days, going.gap_days) == (True, 39, 29)


def test_every_other_day_the_day_between_two_held_doses_is_held_too():
    """Every other day (a dose on days 1, 3, 5, ...), no slot on the days between:
    day 1 T, days 3..41 held (20 doses: days 3-42 on hold, the last held dose's next day
    included as it runs to the next dose), day 43 T. Days without a dose between day 1 and
    day 43: 41 (days 2..42), of which days 3..42 (40) on hold: a gap of 1 (day 2). Persisting, 43 days."""
    doses = [(on(1), "taken")] + [(on(d), "held") for d in range(3, 42, 2)] + [(on(43), "taken")]
    result = adherence.persistence(doses, today=on(43))
    assert result.persisting and result.days == 43
    assert len(result.held_days) == 40


def test_no_dose_logged_yet_has_no_persistence():
    result = adherence.persistence(days("MMM"), today=on(3))
    assert (result.first_dose_on, result.days, result.persisting) == (None, 0, False)


# --- initiation -----------------------------------------------------------------------------


def test_initiation_is_the_days_from_the_prescription_start_to_the_first_dose_less_days_on_hold():
    """Prescribed from 1 March; held 1-3 March (baseline count pending); first dose 6 March.
    Days from the start to the first dose: 1..5 March = 5, of which 3 on hold: 2 days late.
    First dose on the start day: 0."""
    held = frozenset({on(1), on(2), on(3)})
    assert adherence.initiation(prescribed_from=on(1), first_dose_on=on(6), held=held).days_after_start == 2
    assert adherence.initiation(prescribed_from=on(1), first_dose_on=on(1), held=frozenset()).days_after_start == 0
    assert adherence.initiation(prescribed_from=on(1), first_dose_on=None, held=held).days_after_start is None
