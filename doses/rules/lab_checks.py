"""Neutrophil counts (AE-LABS): when they are due and what a result may be."""

from __future__ import annotations

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

    checks = [(first_dose_on, "Before starting")]
    checks += [(months_later(m), f"Month {m}") for m in (1, 2, 3)]
    checks += [(months_later(m), f"Month {m}") for m in (6, 9, 12)]
    return checks
