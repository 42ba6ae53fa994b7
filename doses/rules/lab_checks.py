"""Neutrophil counts (AE-LABS, AE-NEUTROPENIA): when they are due, what a result may be, what a low one asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

# AE-LABS: the sources say "keep lab appointments" and when the counts fall due
# (neutrophil_check_dates); how far ahead the app points at the next one is its own choice,
# made here once. Today and the labs page mean different things, so two names:
LAB_ON_TODAY_WITHIN_DAYS = 7  # Today lists a count not done and due within a week: time to book it
LAB_DUE_SOON_WITHIN_DAYS = 14  # the labs page marks a count due within two weeks "Due soon" (half a month)
# (The e-mail reminder's lead time is the LAB_REMINDER_DAYS_BEFORE setting, 3 days by default.)
# AE-LABS: the form takes counts in 10^9/L; 100 or more is far above any real count: a unit mix-up.
MAX_NEUTROPHILS_10E9_PER_L = Decimal("100")

LAB_DONE, LAB_OVERDUE, LAB_DUE_SOON, LAB_LATER = "done", "overdue", "due", "later"


def lab_state(due_on: date, done_on: date | None, today: date) -> str:
    """AE-LABS: a scheduled count is done, overdue, due soon (LAB_DUE_SOON_WITHIN_DAYS) or later."""
    if done_on:
        return LAB_DONE
    if due_on < today:
        return LAB_OVERDUE
    if due_on <= today + timedelta(days=LAB_DUE_SOON_WITHIN_DAYS):
        return LAB_DUE_SOON
    return LAB_LATER


def lab_on_today_until(today: date) -> date:
    """AE-LABS: Today lists every count not done and due on or before this day (overdue included)."""
    return today + timedelta(days=LAB_ON_TODAY_WITHIN_DAYS)


def neutrophil_count_refusal(value: Decimal) -> str | None:
    """AE-LABS: a neutrophil count that cannot be real (below 0, or 100 x 10^9/L and above)."""
    if value < 0 or value >= MAX_NEUTROPHILS_10E9_PER_L:
        return "Enter the neutrophil count in 10⁹ cells per litre, as on the lab report (usually between 1 and 10)."
    return None


def neutrophil_check_dates(first_dose_on: date) -> list[tuple[date, str]]:
    """AE-LABS (label): before starting, monthly for 3 months, then quarterly up to 1 year."""

    def months_later(months: int) -> date:
        month_index = first_dose_on.month - 1 + months
        year = first_dose_on.year + month_index // 12
        month = month_index % 12 + 1
        for day in (first_dose_on.day, 30, 29, 28):
            try:
                return date(year, month, day)
            except ValueError:
                continue
        raise AssertionError("unreachable")

    # AE-LABS: the count before starting is due the day before the first dose at the latest,
    # so its result is known before the dose (AE-NEUTROPENIA), not on the day itself.
    checks = [(first_dose_on - timedelta(days=1), "Before starting")]
    checks += [(months_later(m), f"Month {m}") for m in (1, 2, 3)]
    checks += [(months_later(m), f"Month {m}") for m in (6, 9, 12)]
    return checks


# ---------------------------------------------------------------------------
# AE-NEUTROPENIA (EU product information, SmPC, of Kineret): "treatment must not be started in
# patients with an absolute neutrophil count below 1.5 x 10^9/L"; during treatment a count below
# that goes to the clinician at once. The app holds the start (pending the clinician's review, as
# the other automatic holds) and alerts; it never stops or restarts treatment by itself.
# ---------------------------------------------------------------------------

NEUTROPENIA_BELOW_10E9_PER_L = Decimal("1.5")  # AE-NEUTROPENIA (EU SmPC)

HOLD_START = "hold_start"  # a baseline count below 1.5: treatment does not start
ALERT_NOW = "alert_now"  # a count below 1.5 during treatment: the clinician hears at once


def is_neutropenic(count_10e9_per_l) -> bool:
    """AE-NEUTROPENIA: an absolute neutrophil count below 1.5 x 10^9/L."""
    return count_10e9_per_l is not None and Decimal(str(count_10e9_per_l)) < NEUTROPENIA_BELOW_10E9_PER_L


def neutrophil_action(count_10e9_per_l, *, treatment_started: bool) -> str | None:
    """AE-NEUTROPENIA: what a result asks for: HOLD_START before the first dose, ALERT_NOW
    during treatment, None for a count of 1.5 x 10^9/L or more."""
    if not is_neutropenic(count_10e9_per_l):
        return None
    return ALERT_NOW if treatment_started else HOLD_START


@dataclass(frozen=True)
class TrendPoint:
    """AE-LABS: one result of the trend, with its change since the one before."""

    label: str
    done_on: date
    count: Decimal
    below_threshold: bool  # AE-NEUTROPENIA
    change: Decimal | None  # since the previous result (None for the first)


def neutrophil_trend(results: list[tuple[str, date, Decimal]]) -> list[TrendPoint]:
    """AE-LABS: the results (label, date, count) in date order, each with its change."""
    points: list[TrendPoint] = []
    previous = None
    for label, done_on, count in sorted(results, key=lambda r: r[1]):
        count = Decimal(str(count))
        points.append(
            TrendPoint(label, done_on, count, is_neutropenic(count), None if previous is None else count - previous)
        )
        previous = count
    return points
