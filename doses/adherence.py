"""Adherence measures for the dashboard, as plain functions (no ORM, no HTTP).

Two different questions, kept apart because they measure different things:

* **Dose adherence** (from the dose log): of the doses that were due, how many were
  logged as taken. It says what the patient or carer *recorded*.
* **Proportion of days covered** (PDC, from the refill history): on how many days the
  patient *had syringes to take*, the pharmacy-quality measure of persistence. A
  patient can have full syringe cover and still skip doses, or log every dose from a
  stock the pharmacy never recorded; a clinician needs to see both.
* **The ABC taxonomy** (Vrijens B, De Geest S, Hughes DA, et al. A new taxonomy for
  describing and defining adherence to medications. Br J Clin Pharmacol 2012;73:691-705):
  initiation (the first dose against the prescription's start), implementation (how the
  doses taken match the doses prescribed: timing adherence, drug holidays) and
  persistence (the time from the first dose to discontinuation), at the end of this module.

These functions are the only implementation: the clinician panel stores their results
per patient (PatientAdherenceSummary, filled by selectors.compute_adherence_summaries),
and tests check the stored row against them for the same history.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from doses.rules import syringe_supply

# Status codes of doses/models.py SlotStatus, repeated as plain strings so this module
# needs no Django import.
TAKEN, NOT_TAKEN, MISSED, PENDING = "taken", "not_taken", "missed", "pending"
# A dose on a day treatment was on hold (AE-ALLERGY, AE-INFECTION, a clinician's hold): not
# due, so it counts neither as due nor as missed, and held days leave days covered alone.
HELD = "held"

ADHERENT_THRESHOLD = Fraction(80, 100)  # PQA: PDC >= 80% counts as adherent
# Timing adherence (ABC taxonomy, below): a dose logged within two hours either side of its
# scheduled time is "on time". SCHED-DAILY asks for the same time each day and names no
# tolerance; two hours is this app's stated choice (the electronic-monitoring literature
# uses windows of one to a few hours around the dose time). The calendar shows a dose
# logged more than this after its time as "late": the same measure.
TIMING_WINDOW = timedelta(hours=2)
LATE_AFTER = TIMING_WINDOW
PERSISTENT_SITE_REACTION_DAYS = 14  # AE-ISR-DURATION: a site reaction open beyond 2 weeks


@dataclass(frozen=True)
class Ratio:
    """A count over a count; `value` is None when nothing was due (not 0%, not 100%)."""

    numerator: int | Fraction
    denominator: int | Fraction

    @property
    def value(self) -> Fraction | None:
        if not self.denominator:
            return None
        return Fraction(self.numerator) / Fraction(self.denominator)

    @property
    def percent(self) -> int | None:
        value = self.value
        return None if value is None else round(value * 100)

    @property
    def below_threshold(self) -> bool:
        value = self.value
        return value is not None and value < ADHERENT_THRESHOLD


# ---------------------------------------------------------------------------
# Dose adherence: doses logged / doses due
# ---------------------------------------------------------------------------


class SlotFact(NamedTuple):
    """What the measures need of one scheduled dose (a tuple: a year's page reads 730)."""

    scheduled_at: datetime
    status: str
    local_date: date | None = None
    taken_at: datetime | None = None


def period_start(now: datetime, days: int) -> datetime:
    """The rolling window is the `days` × 24 hours up to `now` (time-zone independent)."""
    return now - timedelta(days=days)


def dose_adherence(slots: Iterable[SlotFact], *, now: datetime, days: int) -> Ratio:
    """Doses logged / doses due over the last `days` days.

    Due = every slot scheduled in (now - days, now], whatever its status (a dose still
    pending after its time counts as due and not yet logged) except held ones; logged =
    status taken.
    """
    start = period_start(now, days)
    due = logged = 0
    for slot in slots:
        if start < slot.scheduled_at <= now and slot.status != HELD:
            due += 1
            logged += slot.status == TAKEN
    return Ratio(logged, due)


def missed_run(slots: Iterable[SlotFact], *, now: datetime) -> int:
    """The current run of consecutive missed or not-taken doses, newest first.

    Doses still pending (the window has not closed, or the missed-dose job has not
    marked them yet) and held doses neither extend nor break the run; a taken dose ends it.
    """
    run = 0
    for slot in sorted((s for s in slots if s.scheduled_at <= now), key=lambda s: s.scheduled_at, reverse=True):
        if slot.status == TAKEN:
            break
        if slot.status in (MISSED, NOT_TAKEN):
            run += 1
    return run


def is_late(slot: SlotFact) -> bool:
    return slot.status == TAKEN and slot.taken_at is not None and slot.taken_at - slot.scheduled_at > LATE_AFTER


DAY_STATES = ("none", "held", "taken", "late", "pending", "not_taken", "missed")  # worst last


def day_state(slots: Sequence[SlotFact]) -> str:
    """The calendar state of a day: its worst dose (a split-dose day has two)."""
    if not slots:
        return "none"
    states = ["late" if is_late(s) else s.status for s in slots]
    return max(states, key=DAY_STATES.index)


@dataclass(frozen=True)
class WeekBar:
    starts_on: date
    adherence: Ratio


def weekly_adherence(slots: Iterable[SlotFact], *, first_monday: date, weeks: int, now: datetime) -> list[WeekBar]:
    """Doses logged / due per local calendar week (Monday to Sunday), due = scheduled by now."""
    due = [0] * weeks
    logged = [0] * weeks
    for slot in slots:
        if slot.local_date is None or slot.scheduled_at > now or slot.status == HELD:
            continue
        index = (slot.local_date - first_monday).days // 7
        if 0 <= index < weeks:
            due[index] += 1
            logged[index] += slot.status == TAKEN
    return [WeekBar(first_monday + timedelta(weeks=i), Ratio(logged[i], due[i])) for i in range(weeks)]


# ---------------------------------------------------------------------------
# Proportion of days covered (PDC) from the refill history
# ---------------------------------------------------------------------------
#
# Pharmacy Quality Alliance (PQA), "Proportion of Days Covered (PDC)" adherence
# measures (the method CMS Star Ratings use): PDC = days in the measurement period
# covered by the medication supplied / days in the measurement period, from the index
# (first) fill to the end of the period; when a fill comes before the previous supply
# runs out, its start is moved to the day after the previous supply ends (early
# refills are carried forward); days covered are capped at the period; a patient with
# PDC >= 80% is "adherent". Here a fill is a syringe pick-up (SupplyEvent PICKUP), and
# a pick-up covers syringes ÷ syringes-per-day days at the regimen in effect on each
# day, so a regimen change part-way through a supply changes how long it lasts.


@dataclass(frozen=True)
class Pickup:
    day: date  # the patient's local date of the pick-up
    syringes: int


@dataclass(frozen=True)
class RegimenPeriod:
    """A regimen version in effect from `starts_on` up to (not including) `ends_on`."""

    starts_on: date
    ends_on: date | None
    syringes_per_day: Fraction


def syringes_per_day(*, dose_per_administration_mg, administrations_per_day: int, interval_days: int) -> Fraction:
    """Syringes used per calendar day at a regimen.

    PREP-ONCE / DOSE-SYRINGE: each administration uses whole syringes (syringe_supply.syringes_per_dose);
    DOSE-PED-STEP: a split dose uses a syringe per administration; SCHED-RENAL: every
    other day halves it (0.5 syringes a day for 100 mg every other day).
    """
    per_dose_day = syringe_supply.syringes_per_dose(Decimal(dose_per_administration_mg)) * administrations_per_day
    return Fraction(per_dose_day, interval_days)


@dataclass(frozen=True)
class DaysCovered:
    covered_days: int
    period_days: int
    period_start: date | None  # None when there is no pick-up to start the measure from

    @property
    def ratio(self) -> Ratio:
        return Ratio(self.covered_days, self.period_days)

    @property
    def percent(self) -> int | None:
        return self.ratio.percent

    @property
    def adherent(self) -> bool | None:
        value = self.ratio.value
        return None if value is None else value >= ADHERENT_THRESHOLD


def proportion_of_days_covered(
    pickups: Iterable[Pickup],
    periods: Sequence[RegimenPeriod],
    *,
    start: date,
    end: date,
    held: Sequence[tuple[date, date]] = (),
) -> DaysCovered:
    """PDC over the local days `start`..`end` inclusive (see the PQA note above).

    The measurement period begins at the later of `start` and the first pick-up (the
    PQA index date); only days on which a regimen is in effect are counted, so a
    pause between regimen versions is neither covered nor uncovered. Supply is
    simulated as a stock of syringes: every pick-up adds to it (an early refill is used
    after the stock already on hand: carried forward), and each day on a regimen is
    covered when the stock holds that day's syringes. Pick-ups before `start` count,
    so a supply picked up last month still covers the first days of the period.
    `held` are (first, last) local days treatment was on hold: like a pause between
    versions they are left out of the period and use no syringes, so a hold neither
    helps nor hurts.
    """
    pickups = sorted(pickups, key=lambda p: p.day)
    if not pickups or end < start:
        return DaysCovered(0, 0, None)
    measure_from = max(start, pickups[0].day)
    if measure_from > end:
        return DaysCovered(0, 0, None)
    # Days where something changes: a pick-up, a regimen boundary, the measure's edges.
    boundaries = {p.day for p in pickups} | {measure_from, end + timedelta(days=1)}
    for period in periods:
        boundaries.add(period.starts_on)
        if period.ends_on is not None:
            boundaries.add(period.ends_on)
    for first, last in held:
        boundaries.update((first, last + timedelta(days=1)))
    events = sorted(d for d in boundaries if pickups[0].day <= d <= end + timedelta(days=1))
    added: dict[date, int] = {}
    for pickup in pickups:
        added[pickup.day] = added.get(pickup.day, 0) + pickup.syringes
    # Exact arithmetic in whole units: with every rate a multiple of 1/scale syringe a
    # day (0.5 for every other day), stock and rates are integers of 1/scale syringe.
    scale = math.lcm(1, *(p.syringes_per_day.denominator for p in periods))
    scaled = [(p.starts_on, p.ends_on, int(p.syringes_per_day * scale)) for p in periods]
    stock = 0
    covered = period_days = 0
    for day, next_day in zip(events, events[1:], strict=False):
        stock += added.get(day, 0) * scale
        rate = next((r for s, e, r in scaled if s <= day and (e is None or day < e)), 0)
        if rate == 0 or any(first <= day <= last for first, last in held):
            continue  # no regimen, or on hold: nothing used, nothing counted
        length = (next_day - day).days
        covered_run = min(length, stock // rate)
        stock -= covered_run * rate
        # Count only the part inside the measurement period (capped at the period).
        lo = max(day, measure_from)
        covered += max(0, (min(day + timedelta(days=covered_run), next_day) - lo).days)
        period_days += max(0, (next_day - lo).days)
    return DaysCovered(covered, period_days, measure_from)


def days_of_supply_left(
    syringes_on_hand: int, *, dose_per_administration_mg, administrations_per_day: int, interval_days: int
) -> int:
    """SUPPLY-BOX: whole days the syringes on hand (the ledger's sum) last at the current regimen."""
    return syringe_supply.days_of_supply(
        max(0, syringes_on_hand),
        dose_mg=dose_per_administration_mg,
        administrations_per_day=administrations_per_day,
        interval_days=interval_days,
    )


# ---------------------------------------------------------------------------
# Attention score: which patients the panel shows first
# ---------------------------------------------------------------------------

# Points per flag. The panel sorts by the stored sum (PatientAdherenceSummary.attention_score)
# before paginating; FLAG_LABELS say in words why a row scored.
ATTENTION_POINTS = {
    # A regimen change waits for the clinician (issue 13): more than all the others together,
    # so every patient with an open proposal sorts first on the panel.
    "proposal": 400,
    "serious": 50,  # AE-SERIOUS: an open serious side effect
    "missed_run": 25,  # two or more doses in a row not taken
    "low_adherence": 20,  # under 80% of doses logged over 30 days
    "site_reaction": 15,  # AE-ISR-DURATION: a site reaction open beyond 2 weeks
    "interaction": 15,  # IX-TNF / IX-BIOLOGIC: a current interacting medicine
    "awaiting": 10,  # a regimen entered by a patient or parent awaits confirmation
    "lab_overdue": 10,  # AE-LABS: a neutrophil count is overdue
    # AE-ALLERGY / AE-INFECTION: a rule held treatment and a clinician must review it: next after
    # proposals, above every other flag together.
    "hold_review": 150,
    "on_hold": 5,  # treatment on hold (shown, not urgent)
    "neutropenia": 60,  # AE-NEUTROPENIA: the latest neutrophil count is below 1.5 x 10^9/L
    "renal": 30,  # SCHED-RENAL: CrCl < 30 mL/min or ESRD on a daily regimen: every other day to consider
}
MISSED_RUN_FLAG_AT = 2

FLAG_LABELS = {
    "proposal": "Regimen change to confirm",
    "serious": "Serious side effect open",
    "missed_run": f"{MISSED_RUN_FLAG_AT}+ doses missed in a row",
    "low_adherence": "Under 80% of doses logged (30 days)",
    "site_reaction": "Site reaction over 2 weeks",
    "interaction": "Interacting medicine",
    "awaiting": "Regimen awaiting confirmation",
    "lab_overdue": "Lab test overdue",
    "hold_review": "Treatment held automatically: review",
    "on_hold": "Treatment on hold",
    "neutropenia": "Neutrophils below 1.5 ×10⁹/L",
    "renal": "Kidney function: every other day to consider",
}


def attention_flags(
    *,
    serious_open: int,
    missed_run_length: int,
    adherence_30: Ratio,
    old_site_reactions: int,
    interactions: int,
    awaiting_confirmation: bool,
    next_lab_due: date | None,
    today: date,
    hold: str = "",
    open_proposal: bool = False,
    renal_every_other_day: bool = False,
    neutropenic: bool = False,
) -> list[str]:
    """`hold`: "hold_review" (an automatic hold pending review), "on_hold", or "".

    `renal_every_other_day`: kidney.every_other_day_to_consider (SCHED-RENAL); `neutropenic`:
    neutrophils.is_neutropenic of the latest count (AE-NEUTROPENIA)."""
    flags = []
    if hold in ("hold_review", "on_hold"):
        flags.append(hold)
    if open_proposal:
        flags.append("proposal")
    if serious_open:
        flags.append("serious")
    if missed_run_length >= MISSED_RUN_FLAG_AT:
        flags.append("missed_run")
    if adherence_30.below_threshold:
        flags.append("low_adherence")
    if old_site_reactions:
        flags.append("site_reaction")
    if interactions:
        flags.append("interaction")
    if awaiting_confirmation:
        flags.append("awaiting")
    if next_lab_due is not None and next_lab_due < today:
        flags.append("lab_overdue")
    if neutropenic:
        flags.append("neutropenia")
    if renal_every_other_day:
        flags.append("renal")
    return flags


def attention_score(flags: Iterable[str]) -> int:
    return sum(ATTENTION_POINTS[f] for f in flags)


# ---------------------------------------------------------------------------
# The ABC taxonomy: initiation, implementation (timing, drug holidays), persistence
# ---------------------------------------------------------------------------

# Vrijens et al. 2012 define persistence as the time from initiation to the last dose before
# discontinuation; measured from a record, discontinuation needs a stated permissible gap
# (Cramer JA, et al. Medication compliance and persistence: terminology and definitions.
# Value Health 2008;11:44-47). 30 days without a dose (about a month's supply of a daily
# medicine) is a permissible gap commonly used in persistence studies of self-injected
# biologics; it is this app's stated choice. Days on hold are not counted: no dose was due.
PERSISTENCE_GAP_DAYS = 30
# A drug holiday: two or more doses in a row not taken (the same run the panel flags).
DRUG_HOLIDAY_MIN_DOSES = MISSED_RUN_FLAG_AT


@dataclass(frozen=True)
class TimingAdherence:
    """Doses due, how many were logged, and how many of those within TIMING_WINDOW of their time."""

    on_time: int
    logged: int
    due: int

    @property
    def ratio(self) -> Ratio:
        return Ratio(self.on_time, self.due)

    @property
    def off_time(self) -> int:
        return self.logged - self.on_time


def is_on_time(slot: SlotFact) -> bool:
    """Taken, and logged no more than TIMING_WINDOW before or after its scheduled time."""
    return slot.status == TAKEN and slot.taken_at is not None and abs(slot.taken_at - slot.scheduled_at) <= TIMING_WINDOW


def timing_adherence(slots: Iterable[SlotFact], *, now: datetime) -> TimingAdherence:
    """Of the doses due by `now` (held ones are not due), how many were logged, and on time."""
    on_time = logged = due = 0
    for slot in slots:
        if slot.scheduled_at > now or slot.status == HELD:
            continue
        due += 1
        logged += slot.status == TAKEN
        on_time += is_on_time(slot)
    return TimingAdherence(on_time, logged, due)


@dataclass(frozen=True)
class DrugHolidays:
    """Runs of DRUG_HOLIDAY_MIN_DOSES or more doses in a row missed or not taken."""

    count: int
    longest_doses: int  # 0 when there was none
    longest_from: date | None
    longest_to: date | None


def drug_holidays(slots: Iterable[SlotFact], *, now: datetime) -> DrugHolidays:
    """Count the runs of 2+ consecutive missed / not-taken doses due by `now`, and the longest.

    As in `missed_run`: a taken dose ends a run; held doses (not due) and doses still pending
    (not yet decided) neither extend nor end one. `local_date` gives the run's first and last
    days (the scheduled moment's date when it is None).
    """
    runs: list[list[SlotFact]] = []
    current: list[SlotFact] = []
    for slot in sorted((s for s in slots if s.scheduled_at <= now), key=lambda s: s.scheduled_at):
        if slot.status == TAKEN:
            if current:
                runs.append(current)
            current = []
        elif slot.status in (MISSED, NOT_TAKEN):
            current.append(slot)
    if current:
        runs.append(current)
    holidays = [run for run in runs if len(run) >= DRUG_HOLIDAY_MIN_DOSES]
    if not holidays:
        return DrugHolidays(0, 0, None, None)
    longest = max(holidays, key=len)  # the first of equal length

    def day(slot: SlotFact) -> date:
        return slot.local_date or slot.scheduled_at.date()

    return DrugHolidays(len(holidays), len(longest), day(longest[0]), day(longest[-1]))


@dataclass(frozen=True)
class Persistence:
    """From the first dose to the last dose before a gap of PERSISTENCE_GAP_DAYS (or to now)."""

    first_dose_on: date | None  # None: no dose logged yet
    last_dose_on: date | None  # the last dose before the ending gap, or the latest dose
    days: int  # days on treatment, first day and last day included
    persisting: bool  # no gap of PERSISTENCE_GAP_DAYS yet
    gap_days: int  # the ending gap (when not persisting), else the current days without a dose
    restarted_on: date | None  # a dose after the ending gap: a new course
    held_days: frozenset[date]  # the days on hold, not counted in any gap


def held_days(doses: Iterable[tuple[date, str]], *, today: date) -> frozenset[date]:
    """The local days on hold: from each day whose doses were all held up to the next day with
    a dose scheduled (so an every-other-day regimen's day between two held doses is held too),
    the last such day to `today`."""
    by_day: dict[date, set[str]] = {}
    for day, status in doses:
        by_day.setdefault(day, set()).add(status)
    days = sorted(by_day)
    held: set[date] = set()
    for index, day in enumerate(days):
        if by_day[day] != {HELD}:
            continue
        until = days[index + 1] if index + 1 < len(days) else today + timedelta(days=1)
        held.update(day + timedelta(days=n) for n in range((until - day).days))
    return frozenset(held)


def persistence(doses: Iterable[tuple[date, str]], *, today: date) -> Persistence:
    """ABC persistence over the whole record: `doses` are (local date, status) of every dose
    scheduled by now.

    A gap is the run of days between two days with a dose taken (or after the last one, up to
    the last day a dose was scheduled) that are not on hold. The first gap of
    PERSISTENCE_GAP_DAYS or more ends treatment: persistence runs from the first dose to the
    last dose before it. Without one the patient is persisting, from the first dose to the
    last day a dose was scheduled (today while treatment goes on).
    """
    doses = list(doses)
    held = held_days(doses, today=today)
    taken = sorted({day for day, status in doses if status == TAKEN})
    if not taken:
        return Persistence(None, None, 0, False, 0, None, held)
    last_scheduled = max(day for day, _ in doses)

    def gap(after: date, before: date) -> int:  # days strictly between, not on hold
        return sum(1 for n in range(1, (before - after).days) if after + timedelta(days=n) not in held)

    first = taken[0]
    for this, following in zip(taken, taken[1:], strict=False):
        days_without = gap(this, following)
        if days_without >= PERSISTENCE_GAP_DAYS:
            return Persistence(first, this, (this - first).days + 1, False, days_without, following, held)
    tail = gap(taken[-1], max(last_scheduled, taken[-1]) + timedelta(days=1))
    if tail >= PERSISTENCE_GAP_DAYS:
        return Persistence(first, taken[-1], (taken[-1] - first).days + 1, False, tail, None, held)
    end = max(last_scheduled, taken[-1])
    return Persistence(first, taken[-1], (end - first).days + 1, True, tail, None, held)


@dataclass(frozen=True)
class Initiation:
    """The first dose against the first prescription's start (ABC initiation)."""

    prescribed_from: date | None
    first_dose_on: date | None
    days_after_start: int | None  # not counting days on hold; None until both are known


def initiation(*, prescribed_from: date | None, first_dose_on: date | None, held: frozenset[date]) -> Initiation:
    if prescribed_from is None or first_dose_on is None:
        return Initiation(prescribed_from, first_dose_on, None)
    late = sum(
        1 for n in range((first_dose_on - prescribed_from).days) if prescribed_from + timedelta(days=n) not in held
    )
    return Initiation(prescribed_from, first_dose_on, late)
