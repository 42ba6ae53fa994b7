"""The patient page: a date range of the record (calendar, charts' inputs, lists) and the adherence summary."""

from __future__ import annotations

import functools
import json
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from companion.models import Patient, User

from .. import adherence, rules, sites
from ..models import (
    DoseSlot,
    Injection,
    LabTest,
    NotTakenReason,
    OtherMedicine,
    PatientAdherenceSummary,
    Regimen,
    SideEffect,
    SlotStatus,
    SupplyEvent,
)
from .panel import PanelRow, _row_from_summary, compute_adherence_summaries

MAX_RANGE_DAYS = 3 * 366  # the longest range a page or export accepts
PAGE_DEFAULT_DAYS = 90


@dataclass(frozen=True)
class DateRange:
    """Local calendar days `start`..`end`, both included (the patient's own dates, SCHED-TZ)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
        """Aware datetimes [start of `start`, start of the day after `end`) in the patient's zone."""
        first = datetime.combine(self.start, datetime.min.time(), tzinfo=zone)
        after = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        return first, after


class BadDateRange(ValueError):
    """A range the pages and exports refuse; the message says why."""


def parse_date_range(start: str | None, end: str | None, *, today: date) -> DateRange:
    """The range asked for in a query string; the last 90 days when nothing is given."""

    def parse(value: str | None, name: str) -> date | None:
        if value in (None, ""):
            return None
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise BadDateRange(f"The {name} date “{value[:20]}” is not a date. Use the form YYYY-MM-DD.")
        # Checked before any arithmetic: 90 days before 0001-01-01 is an OverflowError. A date
        # after today is refused below ("in the future"); comparing dates cannot overflow.
        if day < rules.EARLIEST_RECORD_DATE:
            raise BadDateRange(
                f"The {name} date ({day}) is before {rules.EARLIEST_RECORD_DATE.year}: no record starts that early."
            )
        return day

    first, last = parse(start, "start"), parse(end, "end")
    last = last or today
    first = first or last - timedelta(days=PAGE_DEFAULT_DAYS - 1)
    if first > last:
        raise BadDateRange(f"The start date ({first}) is after the end date ({last}).")
    if last > today:
        raise BadDateRange(f"The end date ({last}) is in the future; the record ends today ({today}).")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise BadDateRange(f"That range is {(last - first).days + 1} days; choose at most {MAX_RANGE_DAYS} days.")
    return DateRange(first, last)


class CalendarDose(NamedTuple):  # a tuple: a year's page builds 365 of them
    """One dose as the calendar shows it (times in the patient's zone). Its first four
    fields are adherence.SlotFact's, so the measures (day_state, weekly_adherence) read it
    as one: a year's page builds one tuple per dose, not two."""

    scheduled_at: datetime
    status: str
    local_date: date
    taken_at: datetime | None
    status_label: str
    not_taken_reason: str
    late: bool
    site_spot: str


class CalendarDay(NamedTuple):
    day: date
    state: str  # adherence.DAY_STATES, or "outside" for days outside the range
    doses: tuple[CalendarDose, ...]


@dataclass
class PatientOverview:
    patient: Patient
    today: date
    range: DateRange
    summary: PanelRow
    weeks: list[list[CalendarDay]]  # Monday-first weeks covering the range
    weekly: list[adherence.WeekBar]
    side_effects: list[SideEffect]
    zone_counts: list[tuple[sites.Zone, int]]
    supply_events: list[SupplyEvent]
    regimens: list[Regimen]
    labs: list[LabTest]
    medicines: list[OtherMedicine]

    @property
    def calendar_days(self) -> list[CalendarDay]:
        return [d for week in self.weeks for d in week if d.state != "outside"]


def patient_summary(patient: Patient, now: datetime, stored: PatientAdherenceSummary | None) -> PanelRow:
    """The panel's row for one patient: its `stored` summary while that is current, else
    computed at `now` by the same function that fills the summary rows."""
    summary = stored
    if summary is None or not summary.is_current(now):
        summary = compute_adherence_summaries([patient], now)[patient.pk]
    return _row_from_summary(patient, summary)


def patient_overview(patient: Patient, date_range: DateRange, *, now: datetime | None = None) -> PatientOverview:
    """Everything the patient page shows, in a fixed number of queries whatever the range."""
    now = now or timezone.now()
    zone = patient.zone
    first_monday = date_range.start - timedelta(days=date_range.start.weekday())
    week_count = (date_range.end - first_monday).days // 7 + 1
    range_from, range_to = date_range.bounds(zone)
    found = _page_rows(patient, date_range.start, date_range.end, range_from, range_to)
    status_labels = dict(SlotStatus.choices)
    reason_labels = dict(NotTakenReason.choices)
    is_late, slot_fact = adherence.is_late, adherence.SlotFact
    doses = []
    for scheduled_text, status, local_date, taken_text, reason, spot in found["dose"]:  # one pass over the doses
        scheduled_at, taken_at = _moment(scheduled_text), _moment(taken_text)
        doses.append(
            CalendarDose(
                scheduled_at.astimezone(zone),
                status,
                date.fromisoformat(local_date),
                taken_at.astimezone(zone) if taken_at else None,
                status_labels.get(status, status),
                reason_labels.get(reason, reason),
                is_late(slot_fact(scheduled_at, status, None, taken_at)),
                spot or "",
            )
        )
    # By the moment (not the wall time: two doses in the hour a clock goes back share wall times).
    doses.sort(key=lambda dose: dose.scheduled_at.timestamp())
    by_day: dict[date, list[CalendarDose]] = {}
    for dose in doses:
        same_day = by_day.get(dose.local_date)
        if same_day is None:
            by_day[dose.local_date] = [dose]
        else:
            same_day.append(dose)
    weeks = []
    day_state = adherence.day_state
    outside = ()
    day = first_monday
    one_day = timedelta(days=1)
    first, last = date_range.start, date_range.end
    for _w in range(week_count):
        week = []
        for _d in range(7):
            if day < first or day > last:
                week.append(CalendarDay(day, "outside", outside))
            else:
                same_day = by_day.get(day)
                if same_day is None:
                    week.append(CalendarDay(day, "none", outside))  # day_state of no doses
                else:
                    week.append(CalendarDay(day, day_state(same_day), tuple(same_day)))
            day += one_day
        weeks.append(week)
    weekly = adherence.weekly_adherence(
        doses,  # the range's own days: the doses read
        first_monday=first_monday,
        weeks=week_count,
        now=now,
    )
    records = _page_records(found, patient)
    per_zone: dict[str, int] = defaultdict(int)
    for spot, n in records["spot"]:
        try:
            per_zone[sites.zone_of(spot).code] += n
        except ValueError:
            per_zone["unknown"] += n
    return PatientOverview(
        patient=patient,
        today=patient.local_today(now),
        range=date_range,
        summary=patient_summary(patient, now, _stored_summary(found["summary"])),
        weeks=weeks,
        weekly=weekly,
        side_effects=records["side_effect"],
        zone_counts=[(z, per_zone.get(z.code, 0)) for z in sites.ZONES],
        supply_events=records["supply"],
        regimens=records["regimen"],
        labs=records["lab"],
        medicines=records["medicine"],
    )


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


_UTC = zoneinfo.ZoneInfo("UTC")


def _moment(text: str | None) -> datetime | None:
    """A stored moment read back from JSON: PostgreSQL writes an offset, SQLite naive UTC."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_UTC)


def _decimal(text: str | None, places: Decimal) -> Decimal | None:
    """A decimal column cast to text (a JSON number would lose "1.50"), with its places."""
    return None if text is None else Decimal(text).quantize(places)


# JSON constructors: PostgreSQL 15 has no standard JSON_ARRAY / JSON_ARRAYAGG (16 does); SQLite's are named so.
_JSON_FUNCTIONS = {
    "postgresql": ("json_build_array", "json_agg"),
    "sqlite": ("json_array", "json_group_array"),
}
_PAGE_SECTIONS = ("summary", "dose", "side_effect", "spot", "supply", "lab", "medicine", "regimen")


@functools.cache  # a constant: the text depends only on the models and the database's dialect
def _page_statement(vendor: str) -> str:
    """The SQL of `_page_rows`, with a %s placeholder for every value."""
    ops = connection.ops
    qn = ops.quote_name
    json_array, json_agg = _JSON_FUNCTIONS.get(vendor, ("JSON_ARRAY", "JSON_ARRAYAGG"))

    def col(model, name: str) -> str:
        return f"{qn(model._meta.db_table)}.{qn(model._meta.get_field(name).column)}"

    def text(model, name: str) -> str:
        return f"CAST({col(model, name)} AS TEXT)"

    def select(section: str, values: list[str], rest: str) -> str:
        return f"SELECT '{section}', CAST({json_agg}({json_array}({', '.join(values)})) AS TEXT) FROM {rest}"

    def table(model) -> str:
        return qn(model._meta.db_table)

    def every(model) -> list[str]:
        """All the model's columns, in its fields' order (`_instances` reads them back)."""
        return [
            text(model, f.name) if f.get_internal_type() == "DecimalField" else col(model, f.name)
            for f in model._meta.concrete_fields
        ]

    return " UNION ALL ".join(
        [
            select(
                "summary",
                every(PatientAdherenceSummary),
                f"{table(PatientAdherenceSummary)} WHERE {col(PatientAdherenceSummary, 'patient')} = %s",
            ),
            select(
                "dose",
                [
                    col(DoseSlot, "scheduled_at"),
                    col(DoseSlot, "status"),
                    col(DoseSlot, "local_date"),
                    col(Injection, "taken_at"),
                    col(DoseSlot, "not_taken_reason"),
                    col(Injection, "site_spot"),
                ],
                # An injection is its slot's patient's (services.record_injection sets it from the slot);
                # saying so lets PostgreSQL hash-join the patient's injections rather than probe the
                # index once per dose.
                f"{table(DoseSlot)} LEFT OUTER JOIN {table(Injection)}"
                f" ON {col(Injection, 'slot')} = {col(DoseSlot, 'id')}"
                f" AND {col(Injection, 'patient')} = {col(DoseSlot, 'patient')}"
                f" WHERE {col(DoseSlot, 'patient')} = %s"
                f" AND {col(DoseSlot, 'local_date')} >= %s AND {col(DoseSlot, 'local_date')} <= %s",
            ),
            select(
                "side_effect",
                every(SideEffect),
                f"{table(SideEffect)} WHERE {col(SideEffect, 'patient')} = %s"
                f" AND {col(SideEffect, 'started_on')} <= %s"
                f" AND ({col(SideEffect, 'resolved_at')} IS NULL OR {col(SideEffect, 'resolved_at')} >= %s)",
            ),
            select(
                "spot",
                ["spot", "n"],
                f"(SELECT {col(Injection, 'site_spot')} AS spot, COUNT(*) AS n FROM {table(Injection)}"
                f" WHERE {col(Injection, 'patient')} = %s"
                f" AND {col(Injection, 'taken_at')} >= %s AND {col(Injection, 'taken_at')} < %s"
                f" GROUP BY {col(Injection, 'site_spot')}) spots",
            ),
            select(
                "supply",
                every(SupplyEvent),
                f"{table(SupplyEvent)} WHERE {col(SupplyEvent, 'patient')} = %s"
                f" AND {col(SupplyEvent, 'occurred_at')} >= %s AND {col(SupplyEvent, 'occurred_at')} < %s"
                f" AND {col(SupplyEvent, 'kind')} <> %s",
            ),
            select(
                "lab",
                every(LabTest),
                f"{table(LabTest)} WHERE {col(LabTest, 'patient')} = %s",
            ),
            select(
                "medicine",
                every(OtherMedicine),
                f"{table(OtherMedicine)} WHERE {col(OtherMedicine, 'patient')} = %s",
            ),
            select(
                "regimen",
                every(Regimen) + [col(User, "full_name"), col(User, "email")],  # the confirming clinician
                f"{table(Regimen)} LEFT OUTER JOIN {table(User)} ON {col(Regimen, 'confirmed_by')} = {col(User, 'id')}"
                f" WHERE {col(Regimen, 'patient')} = %s",
            ),
        ]
    )


def _page_rows(
    patient: Patient, first_day: date, last_day: date, range_from: datetime, range_to: datetime
) -> dict[str, list[list]]:
    """Every row the patient page reads about one patient, in ONE parametrised statement.

    The patient's stored summary row (the panel's measures); the doses of the calendar's
    days `first_day`..`last_day` (with their injection, if any); the side effects open
    during [range_from, range_to); the injections per site spot, pick-ups and corrections
    in it; all lab tests, other medicines and regimen versions. A UNION ALL of one SELECT
    per section, each section's rows aggregated into one JSON array of arrays (dates and
    moments come back in ISO 8601 whatever the server's settings; decimals as text so
    "1.50" keeps its places). Written out here rather than built by the ORM: compiling
    the same querysets cost the page several times what running them does (issue 6).
    Table and column names come from the models, and every value is a bound parameter,
    adapted as the ORM adapts it (the text is built once: `_page_statement`). Returns
    {section: [row, ...]}, each row a list in the order of that section's columns in
    `_page_statement`; a section's rows are in no particular order.
    """
    ops = connection.ops
    day, moment = ops.adapt_datefield_value, ops.adapt_datetimefield_value
    pid = patient.pk
    statement = _page_statement(connection.vendor)
    params = [  # in the order of the statement's placeholders
        pid,  # summary
        *(pid, day(first_day), day(last_day)),  # dose
        *(pid, day(last_day), moment(range_from)),  # side_effect
        *(pid, moment(range_from), moment(range_to)),  # spot
        *(pid, moment(range_from), moment(range_to), SupplyEvent.Kind.DOSE.value),  # supply
        pid,  # lab
        pid,  # medicine
        pid,  # regimen
    ]
    found: dict[str, list[list]] = {section: [] for section in _PAGE_SECTIONS}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for section, rows in cursor.fetchall():
            if rows is not None:  # PostgreSQL aggregates no rows to NULL, SQLite to []
                found[section] = json.loads(rows)
    return found


_AS_READ = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "CharField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _json_converter(field):
    """How a column of `field` read back from `_page_rows`' JSON becomes its Python value."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return _moment
    if kind == "DateField":
        return _date
    if kind == "BooleanField":
        return bool  # SQLite writes 0 and 1
    if kind == "DecimalField":
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda text: _decimal(text, places)
    if kind == "JSONField":
        return lambda value: json.loads(value) if isinstance(value, str) else value  # SQLite: JSON kept as text
    if kind in _AS_READ:
        return None  # as read
    raise TypeError(f"No JSON reading for {field!r} ({kind}); add one to _json_converter.")


@functools.cache
def _json_converters(model) -> tuple:
    return tuple(_json_converter(f) for f in model._meta.concrete_fields)


def _instances(model, rows: list[list]) -> list:
    """Rows of all `model`'s columns from `_page_rows`, as the ORM builds them (`from_db`)."""
    converters = _json_converters(model)
    names = [f.attname for f in model._meta.concrete_fields]
    width = len(names)
    alias = connection.alias
    return [
        model.from_db(
            alias,
            names,
            [
                value if convert is None or value is None else convert(value)
                for convert, value in zip(converters, row[:width], strict=True)
            ],
        )
        for row in rows
    ]


def _stored_summary(rows: list[list]) -> PatientAdherenceSummary | None:
    """The stored summary row from `_page_rows`, as the ORM builds it."""
    return _instances(PatientAdherenceSummary, rows)[0] if rows else None


def _page_records(found: dict[str, list[list]], patient: Patient) -> dict:
    """The page's short lists from `_page_rows` as model instances, in the order
    separate queries would give."""
    effects = _instances(SideEffect, found["side_effect"])
    events = _instances(SupplyEvent, found["supply"])
    lab_tests = _instances(LabTest, found["lab"])
    others = _instances(OtherMedicine, found["medicine"])
    versions = _instances(Regimen, found["regimen"])
    width = len(Regimen._meta.concrete_fields)
    for regimen, row in zip(versions, found["regimen"], strict=True):
        if regimen.confirmed_by_id is not None:  # the confirming clinician's name, read with the regimen
            full_name, email = row[width:]
            regimen.confirmed_by = User(id=regimen.confirmed_by_id, full_name=full_name, email=email)
    versions.sort(key=lambda r: r.version, reverse=True)
    effects.sort(key=lambda e: (e.started_on, e.pk))
    events.sort(key=lambda e: (e.occurred_at, e.pk), reverse=True)
    lab_tests.sort(key=lambda lab: (lab.due_on, lab.pk))
    # Current medicines last, as ORDER BY stopped_on, name put them on PostgreSQL.
    others.sort(key=lambda m: (m.stopped_on is None, m.stopped_on or date.min, m.name))
    return {
        "side_effect": effects,
        "spot": [(spot, n) for spot, n in found["spot"]],
        "supply": events,
        "lab": lab_tests,
        "medicine": others,
        "regimen": versions,
    }
