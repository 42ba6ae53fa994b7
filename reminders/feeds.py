"""The injection schedule as an iCalendar feed, declared as a class (like contrib.syndication).

One VEVENT per regimen version and time of day, as one RRULE (FREQ=DAILY;INTERVAL=1|2)
in the patient's zone (SCHED-TZ), ended with UNTIL when a newer version took over (or
treatment was stopped), held days left out with EXDATE; lab
tests (AE-LABS) as single all-day events. UIDs are stable so calendars update in place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vRecur

from companion.models import Patient
from doses import schedule
from doses.models import LabTest, Regimen, TreatmentHold
from doses.rules import dose_timing


class ScheduleFeed:
    """A feed is a list of items and, per item, hooks that say what its VEVENT holds."""

    product_id = "-//Anakinra companion//Injection schedule//EN"
    alarm_before = timedelta(minutes=0)

    def __init__(self, patient: Patient, now: datetime | None = None):
        self.patient = patient
        self.now = now or timezone.now()
        self.host = urlparse(settings.SITE_URL).hostname or "localhost"

    # --- the feed ---------------------------------------------------------------

    def title(self) -> str:
        return f"Injections: {self.patient.display_name.split()[0]}"

    def items(self) -> list:
        """Each regimen version's times of day (that ever took effect), then lab tests."""
        regimens = Regimen.objects.filter(patient=self.patient).order_by("version")
        items: list = []
        for regimen in regimens:
            if regimen.ends_on is not None and regimen.ends_on <= regimen.starts_on:
                continue  # replaced before it started: no doses
            items += [(regimen, index, at) for index, at in enumerate(regimen.times)]
        items += list(LabTest.objects.filter(patient=self.patient).order_by("due_on"))
        return items

    # --- per-item hooks -----------------------------------------------------------

    def item_uid(self, item) -> str:
        if isinstance(item, LabTest):
            return f"lab-{item.pk}@{self.host}"
        regimen, index, _at = item
        return f"regimen-{regimen.pk}-{index}@{self.host}"

    def item_summary(self, item) -> str:
        if isinstance(item, LabTest):
            return "Blood test (neutrophil count)"  # AE-LABS
        return "Injection"

    def item_description(self, item) -> str:
        link = settings.SITE_URL + reverse("doses:today", args=[self.patient.pk])
        if isinstance(item, LabTest):
            return f"{item.label}. Keep lab appointments (AE-LABS). {link}"
        return f"Log the dose in the companion: {link} {schedule.log_early_text()}"

    def item_start(self, item) -> datetime | date:
        if isinstance(item, LabTest):
            return item.due_on
        regimen, _index, at = item
        return schedule.first_dose_at(regimen, at, self.patient.zone)

    def item_rrule(self, item) -> dict | None:
        if isinstance(item, LabTest):
            return None
        regimen, _index, _at = item
        rule = {"FREQ": "DAILY", "INTERVAL": regimen.interval_days}  # SCHED-DAILY / SCHED-RENAL
        until = self.item_until(item)
        if until is not None:
            rule["UNTIL"] = until
        return rule

    def item_until(self, item) -> datetime | None:
        """The series stops before the day the next version starts (in UTC, as RFC 5545
        requires for a DTSTART with TZID): one second before local midnight of that day."""
        regimen, _index, _at = item
        if regimen.ends_on is None:
            return None
        midnight = dose_timing.local_slot(regimen.ends_on, time(0, 0), self.patient.zone)
        return (midnight - timedelta(seconds=1)).astimezone(UTC)

    def item_exdates(self, item) -> list[datetime]:
        """Doses on held days are not due (a hold of treatment, doses/services/holds.py): they
        leave the series as EXDATEs; an open hold without an end date covers the schedule horizon."""
        if isinstance(item, LabTest):
            return []
        regimen, _index, at = item
        regimen.patient = self.patient
        today = self.patient.local_today(self.now)
        horizon = schedule.horizon(today)
        excluded = []
        for hold in self._holds():
            span = hold.held_span(today=today, zone=self.patient.zone)
            if span is None:
                continue
            last = horizon if hold.ended_at is None and hold.until is None else span[1]
            for moment in regimen.slot_datetimes(span[0], last):
                if moment.astimezone(self.patient.zone).time() == at:
                    excluded.append(moment.astimezone(self.patient.zone))
        return excluded

    def _holds(self) -> list[TreatmentHold]:
        if not hasattr(self, "_hold_rows"):
            self._hold_rows = list(TreatmentHold.objects.filter(patient=self.patient))
        return self._hold_rows

    def item_alarm(self, item) -> Alarm | None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", self.item_summary(item))
        if isinstance(item, LabTest):
            alarm.add("trigger", timedelta(hours=-15))  # 09:00 the day before an all-day event
        else:
            alarm.add("trigger", -self.alarm_before)
        return alarm

    # --- rendering ----------------------------------------------------------------

    def calendar(self) -> Calendar:
        cal = Calendar()
        cal.add("prodid", self.product_id)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", self.title())
        cal.add("x-wr-timezone", self.patient.time_zone)
        for item in self.items():
            event = Event()
            event.add("uid", self.item_uid(item))
            event.add("dtstamp", self.now.astimezone(UTC))
            event.add("summary", self.item_summary(item))
            event.add("description", self.item_description(item))
            event.add("dtstart", self.item_start(item))
            rrule = self.item_rrule(item)
            if rrule:
                event.add("rrule", vRecur(rrule))
                event.add("duration", timedelta(minutes=15))
                exdates = self.item_exdates(item)
                if exdates:
                    event.add("exdate", exdates)
            alarm = self.item_alarm(item)
            if alarm is not None:
                event.add_component(alarm)
            cal.add_component(event)
        cal.add_missing_timezones()
        return cal

    def response(self) -> HttpResponse:
        response = HttpResponse(self.calendar().to_ical(), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="injections.ics"'
        return response
