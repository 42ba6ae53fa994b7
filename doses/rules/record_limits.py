"""Dates a record can hold, and the one "cannot be in the future" refusal."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

# No date in anyone's record of this medicine lies outside 1900-2100: a date of birth, a
# dose, a symptom, a pick-up or a page's date range. Far outside it, Python's datetime
# overflows: 0001-01-01T00:00 in a zone east of UTC is before year 1 in UTC, and a dose
# window of hours around 9999-12-31 is past year 9999. Forms (companion/form_fields.py)
# and the pages' date ranges (selectors.parse_date_range) refuse such dates with a message;
# where a form already refuses the future in its own words, that message answers for 2999.
EARLIEST_RECORD_DATE = date(1900, 1, 1)
LATEST_RECORD_DATE = date(2100, 12, 31)

# A record says what happened, so nothing in it lies in the future. A moment may be up to a
# minute ahead of the server's clock (a phone's clock runs a little fast); a date is compared
# with the patient's local today (SCHED-TZ). The form shows this refusal on its field and the
# service says the same words again under its transaction: one message, written here.
CLOCK_SLACK = timedelta(minutes=1)


def future_date_refusal(day: date | None, today: date, what: str) -> str | None:
    """The refusal of a date after the patient's local `today` ("The start date cannot be in the future.")."""
    if day is not None and day > today:
        return f"The {what} cannot be in the future."
    return None


def future_moment_refusal(
    moment: datetime | None, now: datetime, what: str, zone: zoneinfo.ZoneInfo | None = None
) -> str | None:
    """The refusal of a moment more than CLOCK_SLACK after `now`; with `zone`, it says what time it is now."""
    if moment is None or moment <= now + CLOCK_SLACK:
        return None
    if zone is None:
        return f"The {what} cannot be in the future."
    local = now.astimezone(zone)
    return f"The {what} cannot be in the future (it is now {local:%H:%M} on {local:%a %d %b})."
