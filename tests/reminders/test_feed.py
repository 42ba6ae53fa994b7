"""The calendar feed: parses with icalendar, and its expansion is exactly the rules' schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import recurring_ical_events
from icalendar import Calendar

from companion.models import Patient
from doses.models import Regimen
from doses.rules import lab_checks
from doses.services import regimens as regimen_services
from reminders.feeds import ScheduleFeed

START = date(2026, 1, 5)
DAYS = 400  # covers both 2026 DST changes and the March 2027 one is beyond; ends 9 Feb 2027
END = START + timedelta(days=DAYS - 1)


def new_version(patient, by, *, starts_on, times, interval_days=1) -> Regimen:
    return regimen_services.create_regimen_version(
        patient=patient,
        entered_by=by,
        # A split dose is weight-based (2 mg/kg x 50 kg = 100 mg): the fixed adult dose is never split (DOSE-ADULT).
        dose_basis=Regimen.DoseBasis.FIXED_ADULT if len(times) == 1 else Regimen.DoseBasis.WEIGHT_BASED,
        daily_dose_mg=Decimal("100"),
        mg_per_kg=None if len(times) == 1 else Decimal("2"),
        weight_kg_basis=None if len(times) == 1 else Decimal("50"),
        interval_days=interval_days,
        administrations_per_day=len(times),
        times_of_day=times,
        starts_on=starts_on,
        confirmed=True,
        now=datetime.combine(START, datetime.min.time(), tzinfo=UTC),
    )


def expected_slots(patient: Patient) -> set[datetime]:
    """What the rules module says, version by version (SCHED-DAILY, SCHED-RENAL, SCHED-TZ)."""
    slots = set()
    for regimen in Regimen.objects.filter(patient=patient):
        slots |= set(regimen.slot_datetimes(START, END))
    return {moment.astimezone(UTC) for moment in slots}


def feed_slots(patient: Patient) -> set[datetime]:
    calendar = Calendar.from_ical(ScheduleFeed(patient).calendar().to_ical())
    zone = patient.zone
    start = datetime.combine(START, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(END + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    occurrences = recurring_ical_events.of(calendar).between(start, end)
    found = [o["DTSTART"].dt for o in occurrences if str(o["UID"]).startswith("regimen-")]
    assert len(found) == len(set(found)), "two events at the same moment"
    return {moment.astimezone(UTC) for moment in found}


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Sydney"])
def test_SCHED_DAILY_feed_expands_to_exactly_the_rules_slots_for_400_days_across_DST(world, zone):
    Patient.objects.filter(pk=world.alice.pk).update(time_zone=zone)
    world.alice.refresh_from_db()
    new_version(world.alice, world.carol, starts_on=START, times=["08:00"])
    expected = expected_slots(world.alice)
    assert len(expected) == DAYS
    assert feed_slots(world.alice) == expected


def test_SCHED_RENAL_every_other_day_feed_matches_the_rules_for_400_days(world):
    new_version(world.alice, world.carol, starts_on=START, times=["21:30"], interval_days=2)
    expected = expected_slots(world.alice)
    assert len(expected) == DAYS // 2
    assert feed_slots(world.alice) == expected


def test_a_regimen_change_ends_one_series_with_until_and_starts_another(world):
    new_version(world.alice, world.carol, starts_on=START, times=["08:00"])
    new_version(world.alice, world.carol, starts_on=date(2026, 6, 15), times=["21:30"], interval_days=2)
    # DOSE-PED-STEP: a split dose is two events, one per time of day.
    new_version(world.alice, world.carol, starts_on=date(2026, 10, 20), times=["07:00", "19:00"])
    expected = expected_slots(world.alice)
    assert feed_slots(world.alice) == expected

    calendar = Calendar.from_ical(ScheduleFeed(world.alice).calendar().to_ical())
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    # In the order the series start (ids sort as text: "regimen-10" before "regimen-9").
    regimen_uids = sorted(
        (uid for uid in events if uid.startswith("regimen-")), key=lambda uid: events[uid]["DTSTART"].dt
    )
    assert len(regimen_uids) == 4
    first = events[regimen_uids[0]]
    assert first["RRULE"]["FREQ"] == ["DAILY"] and first["RRULE"]["INTERVAL"] == [1]
    assert first["RRULE"]["UNTIL"][0] == datetime(2026, 6, 14, 22, 59, 59, tzinfo=UTC)  # 23:59:59 BST
    assert first["DTSTART"].params["TZID"] == "Europe/London"
    assert "UNTIL" not in events[regimen_uids[-1]]["RRULE"]
    assert all(e.walk("VALARM") for e in events.values())


def test_uids_are_stable_so_calendars_update_rather_than_duplicate(world):
    new_version(world.alice, world.carol, starts_on=START, times=["08:00"])
    first = Calendar.from_ical(ScheduleFeed(world.alice).calendar().to_ical())
    new_version(world.alice, world.carol, starts_on=date(2026, 2, 1), times=["09:00"])
    second = Calendar.from_ical(ScheduleFeed(world.alice).calendar().to_ical())
    first_uids = {str(e["UID"]) for e in first.walk("VEVENT")}
    second_uids = {str(e["UID"]) for e in second.walk("VEVENT")}
    assert first_uids < second_uids


def test_AE_LABS_lab_tests_are_single_all_day_events(world):
    new_version(world.alice, world.carol, starts_on=START, times=["08:00"])
    calendar = Calendar.from_ical(ScheduleFeed(world.alice).calendar().to_ical())
    labs = [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("lab-")]
    assert sorted(e["DTSTART"].dt for e in labs) == [d for d, _ in lab_checks.neutrophil_check_dates(START)]
    assert all("RRULE" not in e for e in labs)


def test_the_feed_says_no_dose_and_no_diagnosis(world):
    new_version(world.alice, world.carol, starts_on=START, times=["08:00"])
    text = ScheduleFeed(world.alice).calendar().to_ical().decode()
    assert "mg" not in text.replace("IMG", "") and "arthritis" not in text.lower()
