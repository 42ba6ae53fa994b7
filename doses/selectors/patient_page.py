"""The patient page: a date range of the record (calendar, charts' inputs, lists) and the adherence summary."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import Count, F, Q
from django.utils import timezone

from companion.models import Patient
from doses.rules import record_limits

from .. import adherence, sites
from ..models import (
    DoseSlot,
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
        if day < record_limits.EARLIEST_RECORD_DATE:
            raise BadDateRange(
                f"The {name} date ({day}) is before {record_limits.EARLIEST_RECORD_DATE.year}: no record starts that early."
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
class PatientRecords:
    """The record of one patient over a date range, as the page's calendar, charts and tables show it."""

    patient: Patient
    today: date
    range: DateRange
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


@dataclass
class PatientOverview(PatientRecords):
    summary: PanelRow | None = None  # the panel's row: the summary cards and the attention list


def stored_summary(patient: Patient) -> PatientAdherenceSummary | None:
    """The patient's stored summary row, current or not (one query)."""
    return PatientAdherenceSummary.objects.filter(patient=patient).first()


def summary_row(patient: Patient, summary: PatientAdherenceSummary) -> PanelRow:
    """The panel's row for one patient from a current summary row."""
    return _row_from_summary(patient, summary)


def patient_summary(patient: Patient, now: datetime | None = None) -> PanelRow:
    """The panel's row for one patient: its stored summary while that is current, else
    computed at `now` by the same function that fills the summary rows."""
    now = now or timezone.now()
    summary = PatientAdherenceSummary.objects.filter(patient=patient).first()
    if summary is None or not summary.is_current(now):
        summary = compute_adherence_summaries([patient], now)[patient.pk]
    return _row_from_summary(patient, summary)


def patient_records(patient: Patient, date_range: DateRange, *, now: datetime | None = None) -> PatientRecords:
    """The calendar, charts' inputs and short lists of the patient page, in seven queries
    whatever the range (one per section; the doses with their injection in one join)."""
    now = now or timezone.now()
    zone = patient.zone
    first_monday = date_range.start - timedelta(days=date_range.start.weekday())
    week_count = (date_range.end - first_monday).days // 7 + 1
    range_from, range_to = date_range.bounds(zone)
    status_labels = dict(SlotStatus.choices)
    reason_labels = dict(NotTakenReason.choices)
    # By the moment (not the wall time: two doses in the hour a clock goes back share wall times).
    rows = (
        DoseSlot.objects.filter(patient=patient, local_date__gte=date_range.start, local_date__lte=date_range.end)
        .order_by("scheduled_at", "pk")
        .values_list(
            "scheduled_at", "status", "local_date", "injection__taken_at", "not_taken_reason", "injection__site_spot"
        )
    )
    doses = [
        CalendarDose(
            scheduled_at.astimezone(zone),
            status,
            local_date,
            taken_at.astimezone(zone) if taken_at else None,
            status_labels.get(status, status),
            reason_labels.get(reason, reason),
            adherence.is_late(adherence.SlotFact(scheduled_at, status, None, taken_at)),
            spot or "",
        )
        for scheduled_at, status, local_date, taken_at, reason, spot in rows
    ]
    by_day: dict[date, list[CalendarDose]] = defaultdict(list)
    for dose in doses:
        by_day[dose.local_date].append(dose)
    weeks = []
    day = first_monday
    for _w in range(week_count):
        week = []
        for _d in range(7):
            if day < date_range.start or day > date_range.end:
                week.append(CalendarDay(day, "outside", ()))
            else:
                same_day = by_day.get(day, ())
                week.append(CalendarDay(day, adherence.day_state(same_day), tuple(same_day)))
            day += timedelta(days=1)
        weeks.append(week)
    weekly = adherence.weekly_adherence(doses, first_monday=first_monday, weeks=week_count, now=now)
    per_zone: dict[str, int] = defaultdict(int)
    spots = (
        patient.injections.filter(taken_at__gte=range_from, taken_at__lt=range_to)
        .values("site_spot")
        .annotate(n=Count("id"))
        .order_by()
    )
    for spot in spots:
        try:
            per_zone[sites.zone_of(spot["site_spot"]).code] += spot["n"]
        except ValueError:
            per_zone["unknown"] += spot["n"]
    side_effects = (
        SideEffect.objects.filter(patient=patient, started_on__lte=date_range.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=range_from))
        .select_related("injection")  # the history names the injection a reaction followed (a join, no query)
        .order_by("started_on", "pk")
    )
    supply = (
        SupplyEvent.objects.filter(patient=patient, occurred_at__gte=range_from, occurred_at__lt=range_to)
        .exclude(kind=SupplyEvent.Kind.DOSE)
        .order_by("-occurred_at", "-pk")
    )
    # Stopped medicines first (by the day they stopped), current ones last, by name.
    medicines = OtherMedicine.objects.filter(patient=patient).order_by(
        F("stopped_on").asc(nulls_last=True), "name", "pk"
    )
    return PatientRecords(
        patient=patient,
        today=patient.local_today(now),
        range=date_range,
        weeks=weeks,
        weekly=weekly,
        side_effects=list(side_effects),
        zone_counts=[(z, per_zone.get(z.code, 0)) for z in sites.ZONES],
        supply_events=list(supply),
        regimens=list(Regimen.objects.filter(patient=patient).select_related("confirmed_by").order_by("-version")),
        labs=list(LabTest.objects.filter(patient=patient).order_by("due_on", "pk")),
        medicines=list(medicines),
    )


def patient_overview(patient: Patient, date_range: DateRange, *, now: datetime | None = None) -> PatientOverview:
    """Everything the patient page shows: the records of the range and the panel's row."""
    now = now or timezone.now()
    records = patient_records(patient, date_range, now=now)
    return PatientOverview(**vars(records), summary=patient_summary(patient, now))
