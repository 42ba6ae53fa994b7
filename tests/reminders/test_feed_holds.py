"""The calendar feed while treatment is held or stopped: held doses leave the series."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import recurring_ical_events
from icalendar import Calendar

from doses.models import HoldReason
from doses.services import holds
from reminders.feeds import ScheduleFeed
from tests.conftest import start_adult_regimen

NOW = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)


def occurrences(patient, first: date, last: date) -> list[date]:
    calendar = Calendar.from_ical(ScheduleFeed(patient, now=NOW).calendar().to_ical())
    zone = patient.zone
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    found = recurring_ical_events.of(calendar).between(start, end)
    return sorted(o["DTSTART"].dt.date() for o in found if str(o["UID"]).startswith("regimen-"))


def test_held_days_are_left_out_of_the_calendar_feed(world):
    start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 3, 7), now=NOW)
    holds.hold_treatment(
        patient=world.alice, by=world.carol, reason=HoldReason.SURGERY, until=date(2026, 3, 12), now=NOW
    )
    days = occurrences(world.alice, date(2026, 3, 8), date(2026, 3, 14))
    assert days == [date(2026, 3, d) for d in (8, 9, 13, 14)]


def test_an_open_hold_leaves_the_coming_doses_out_of_the_feed(world):
    start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 3, 7), now=NOW)
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.INFECTION, now=NOW)
    assert occurrences(world.alice, date(2026, 3, 8), date(2026, 3, 20)) == [date(2026, 3, 8), date(2026, 3, 9)]


def test_a_stop_ends_the_series(world):
    start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 3, 7), now=NOW)
    holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.OTHER, now=NOW)
    assert occurrences(world.alice, date(2026, 3, 8), date(2026, 3, 20))[-1] == date(2026, 3, 10)
