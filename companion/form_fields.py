"""Date and time fields for anything typed into a record: no date before 1900, none that overflows.

Django's DateField and DateTimeField accept any date from year 1 to 9999. At either end,
turning the local time into UTC (0001-01-01T00:00 east of UTC, 9999-12-31T23:59 west of
it) or a dose window of hours around it overflows Python's datetime: an OverflowError, a
500. These fields refuse such a date with a message before any clean_<field>() or service
sees it. The bounds are doses.rules.record_limits.EARLIEST_RECORD_DATE and LATEST_RECORD_DATE (pure).

A form that refuses future dates in its own words ("The pick-up date cannot be in the
future.") passes latest=None: its own check answers for 2999, and comparing dates cannot
overflow. A moment is always checked against the end of what datetime can compute with.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django import forms

from doses.rules.record_limits import EARLIEST_RECORD_DATE, LATEST_RECORD_DATE

OUT_OF_RANGE = (
    f"Enter a date between {EARLIEST_RECORD_DATE.year} and {LATEST_RECORD_DATE.year}; %(value)s is outside that."
)
# More than any arithmetic done with a typed moment (dose windows are hours, the log looks days around).
ARITHMETIC_MARGIN = timedelta(days=366)


def _out_of_range(day: date, field: forms.Field) -> forms.ValidationError:
    return forms.ValidationError(
        field.error_messages["out_of_range"], code="out_of_range", params={"value": day.isoformat()}
    )


class RecordDateField(forms.DateField):
    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def __init__(self, *args, latest: date | None = LATEST_RECORD_DATE, **kwargs):
        self.latest = latest
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and (day < EARLIEST_RECORD_DATE or (self.latest is not None and day > self.latest)):
            raise _out_of_range(day, self)
        return day


class RecordDateTimeField(forms.DateTimeField):
    """Read in the current time zone (the patient's, where the view sets it). The form
    refuses the future itself; this refuses the past before 1900 and what cannot be computed with."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_python(self, value):
        moment = super().to_python(value)
        if not isinstance(moment, datetime):
            return moment
        # The local calendar date, not converted: comparing an aware datetime near year 1 or
        # 9999 with anything converts it to UTC, and that can overflow.
        local_day = moment.replace(tzinfo=None).date()
        if local_day < EARLIEST_RECORD_DATE:
            raise _out_of_range(local_day, self)
        try:
            moment.astimezone(UTC) + ARITHMETIC_MARGIN
        except OverflowError:
            raise _out_of_range(local_day, self)
        return moment
