"""Date and time fields for anything typed into a record: a date between 1900 and 2100.

Django's DateField and DateTimeField accept any date from year 1 to 9999. Far outside the
years a record can hold, turning the local time into UTC (0001-01-01T00:00 east of UTC) or
a dose window of hours around it overflows Python's datetime: an OverflowError, a 500.
These fields refuse such a date with a message before any clean_<field>() or service sees
it. The bounds are doses.rules.EARLIEST_RECORD_DATE and LATEST_RECORD_DATE (pure module).
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms

from doses.rules import EARLIEST_RECORD_DATE, LATEST_RECORD_DATE, is_record_date

OUT_OF_RANGE = (
    f"Enter a date between {EARLIEST_RECORD_DATE.year} and {LATEST_RECORD_DATE.year}; %(value)s is outside that."
)


def _refuse_out_of_range(day: date, field: forms.Field) -> None:
    if not is_record_date(day):
        raise forms.ValidationError(
            field.error_messages["out_of_range"], code="out_of_range", params={"value": day.isoformat()}
        )


class RecordDateField(forms.DateField):
    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None:
            _refuse_out_of_range(day, self)
        return day


class RecordDateTimeField(forms.DateTimeField):
    """The value is read in the current time zone (the patient's, where the view sets it)."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_python(self, value):
        moment = super().to_python(value)
        if isinstance(moment, datetime):
            # The local calendar date, without converting: comparing an aware datetime
            # near year 1 or 9999 with anything converts it to UTC, and that can overflow.
            _refuse_out_of_range(moment.replace(tzinfo=None).date(), self)
        return moment
