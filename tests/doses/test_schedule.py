"""doses/schedule.py: one home of dose timing. Windows open DOSE_LOG_EARLY_HOURS before a dose
and close at its MISS-SKIP cut-off; two injections are never closer than the skip span
(MISS-NODOUBLE), whichever order they are logged in; Today, the log, the service and the jobs
all give the same answer."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from companion.models import CareRole, Indication, Patient
from doses import schedule
from doses.models import DoseSlot, Injection, Regimen, SlotStatus
from doses.rules import dose_timing
from doses.selectors import today as today_selectors
from doses.services import injections as injection_services
from doses.services import refusals
from doses.services import regimens as regimen_services
from doses.services import slots as slot_services
from reminders import dispatch
from tests.conftest import link, make_patient, start_adult_regimen

from .log_helpers import freeze, log_data

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)


def weight_based(patient, by, *, times=("08:00",), interval_days=1, starts_on, now) -> Regimen:
    """A weight-based regimen (2 mg/kg x 20 kg = 40 mg a day), split when two times are given."""
    return regimen_services.create_regimen_version(
        patient=patient,
        entered_by=by,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        daily_dose_mg=Decimal("40.0"),
        mg_per_kg=Decimal("2"),
        weight_kg_basis=Decimal("20"),
        interval_days=interval_days,
        administrations_per_day=len(times),
        times_of_day=list(times),
        starts_on=starts_on,
        confirmed=True,
        now=now,
    )


def local(patient, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=patient.zone)


def slot_on(patient, day: date, hour: int, minute: int = 0) -> DoseSlot:
    return DoseSlot.objects.get(patient=patient, scheduled_at=dose_timing.local_slot(day, time(hour, minute), patient.zone))


def inject(world, slot, taken_at, *, now=None):
    return injection_services.record_injection(
        slot=slot, taken_at=taken_at, site_spot="abdomen-left-1", by=world.alice_user, now=now or taken_at
    )


DAY = date(2026, 6, 10)


@pytest.fixture
def daily(world):
    now = local(world.alice, DAY, 7)
    return start_adult_regimen(world.alice, world.carol, starts_on=DAY - timedelta(days=3), now=now)


# --- the cases ----------------------------------------------------------------------


def test_MISS_NODOUBLE_daily_a_late_dose_at_19_59_then_one_at_20_01_is_refused(world, daily):
    today, tomorrow = slot_on(world.alice, DAY, 8), slot_on(world.alice, DAY + timedelta(days=1), 8)
    inject(world, today, local(world.alice, DAY, 19, 59))
    late = local(world.alice, DAY, 20, 1)
    decision = schedule.timeline(world.alice, late).decide(late, now=late)
    assert not decision.accepted and decision.slot is None
    assert "The next dose, due 08:00 tomorrow, can be logged from 07:59 tomorrow." in decision.reason
    with pytest.raises(refusals.DoseRefused) as refused:
        inject(world, tomorrow, late)
    assert refused.value.rule_id == "MISS-SKIP"
    assert Injection.objects.filter(patient=world.alice).count() == 1


def test_MISS_NODOUBLE_daily_after_a_late_dose_the_next_one_waits_the_skip_span(world, daily):
    tomorrow_day = DAY + timedelta(days=1)
    inject(world, slot_on(world.alice, DAY, 8), local(world.alice, DAY, 19, 59))
    tomorrow = slot_on(world.alice, tomorrow_day, 8)
    with pytest.raises(refusals.DoseRefused) as refused:
        inject(world, tomorrow, local(world.alice, tomorrow_day, 7, 0))  # in its window, but 11 h later
    assert "Your last injection was at 19:59 yesterday; the next one can be logged from 07:59 today" in str(
        refused.value
    )
    assert "MISS-NODOUBLE" in str(refused.value) and refused.value.rule_id == "MISS-NODOUBLE"
    assert inject(world, tomorrow, local(world.alice, tomorrow_day, 7, 59)).slot == tomorrow


def test_MISS_NODOUBLE_every_other_day_a_late_dose_then_one_minutes_later_is_refused(world):
    now = local(world.alice, DAY, 7)
    start_adult_regimen(world.alice, world.carol, starts_on=DAY, interval_days=2, now=now)
    first, second = slot_on(world.alice, DAY, 8), slot_on(world.alice, DAY + timedelta(days=2), 8)
    late = local(world.alice, DAY + timedelta(days=1), 19, 59)  # the cut-off is 20:00 the day after
    inject(world, first, late)
    for moment in (late + 2 * timedelta(minutes=1), local(world.alice, DAY + timedelta(days=2), 7, 0)):
        with pytest.raises(refusals.DoseRefused, match="MISS-NODOUBLE|MISS-SKIP"):
            inject(world, second, moment)
    assert inject(world, second, late + 12 * H).slot == second


def test_MISS_NODOUBLE_twice_a_day_13_59_then_14_00_is_refused(world):
    """Split 08:00 / 20:00: the morning dose's cut-off is 14:00 (6 h, half the gap)."""
    now = local(world.alice, DAY, 7)
    weight_based(world.alice, world.carol, times=("08:00", "20:00"), starts_on=DAY - timedelta(days=1), now=now)
    morning, evening = slot_on(world.alice, DAY, 8), slot_on(world.alice, DAY, 20)
    inject(world, morning, local(world.alice, DAY, 13, 59))
    at_two = local(world.alice, DAY, 14, 0)
    decision = schedule.timeline(world.alice, at_two).decide(at_two, now=at_two)
    assert not decision.accepted
    assert "The next dose, due 20:00 today, can be logged from 19:59 today." in decision.reason
    with pytest.raises(refusals.DoseRefused):
        inject(world, evening, at_two)
    with pytest.raises(refusals.DoseRefused, match="from 19:59 today"):
        inject(world, evening, local(world.alice, DAY, 19, 0))  # the window is open (18:00), 6 h not yet
    assert inject(world, evening, local(world.alice, DAY, 19, 59)).slot == evening


def test_MISS_NODOUBLE_a_six_year_olds_next_morning_dose_logged_at_22_31_the_evening_before_is_refused(
    world, client_for, monkeypatch
):
    """The issue's case: the last dose at 08:31, the next morning's logged at 22:31 (14 h later)."""
    child = Patient.objects.create(
        display_name="Mia Child",
        date_of_birth=date(2020, 3, 1),
        time_zone="Europe/London",
        indication=Indication.NOMID_CAPS,
        weight_kg=Decimal("20"),
        weight_measured_on=DAY,
    )
    link(child, world.bob, CareRole.CAREGIVER)
    now = freeze(monkeypatch, local(child, DAY, 22, 31))
    weight_based(child, world.carol, starts_on=DAY - timedelta(days=3), now=now)
    injection_services.record_injection(
        slot=slot_on(child, DAY, 8), taken_at=local(child, DAY, 8, 31), site_spot="thigh-left-1", by=world.bob, now=now
    )
    client = client_for(world.bob)
    response = client.post(
        reverse("doses:log", args=[child.pk]), log_data(child, now, dose_mg="40", site_spot="thigh-right-1")
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["taken_at"])
    assert "can be logged from 06:00 tomorrow" in errors
    assert Injection.objects.filter(patient=child).count() == 1
    # Today shows one dose today, and tomorrow's as "Tomorrow 08:00, you can log it from 06:00".
    page = client.get(reverse("doses:today", args=[child.pk]))
    summary = page.context["page"]
    assert [v.state for v in summary.slots if v.slot.local_date == DAY] == ["done"]
    assert summary.next_dose.state == "upcoming"
    assert "Tomorrow 08:00, you can log it from 06:00." in page.content.decode()
    # The log page itself says so before anything is typed.
    log_page = client.get(reverse("doses:log", args=[child.pk])).content.decode()
    assert "can be logged from 06:00 tomorrow" in log_page


def test_MISS_NODOUBLE_back_logging_a_dose_is_refused_within_the_skip_span_of_a_later_injection(world, daily):
    """Yesterday's dose forgotten, today's logged early at 06:30: yesterday's cannot be put at 19:59."""
    yesterday, today = slot_on(world.alice, DAY - timedelta(days=1), 8), slot_on(world.alice, DAY, 8)
    now = local(world.alice, DAY, 9)
    inject(world, today, local(world.alice, DAY, 6, 30), now=now)
    with pytest.raises(refusals.DoseRefused) as refused:
        inject(world, yesterday, local(world.alice, DAY - timedelta(days=1), 19, 59), now=now)
    assert "The next injection was logged at 06:30 today" in str(refused.value)
    assert "before 18:30 yesterday" in str(refused.value)
    assert inject(world, yesterday, local(world.alice, DAY - timedelta(days=1), 18, 29), now=now).slot == yesterday


def test_MISS_SKIP_between_two_windows_the_refusal_says_the_previous_dose_is_skipped(world, daily):
    moment = local(world.alice, DAY, 23)
    decision = schedule.timeline(world.alice, moment).decide(moment, now=moment)
    assert decision.rule_id == "MISS-SKIP"
    assert "The dose due 08:00 today is past its cut-off (20:00 today), so skip it" in decision.reason
    assert "can be logged from 06:00 tomorrow" in decision.reason
    assert decision.log_from == local(world.alice, DAY + timedelta(days=1), 6)


def test_MISS_NODOUBLE_a_dose_taken_on_time_leaves_the_next_window_as_it_is(world, daily):
    inject(world, slot_on(world.alice, DAY, 8), local(world.alice, DAY, 8, 5))
    tomorrow = slot_on(world.alice, DAY + timedelta(days=1), 8)
    span = schedule.timeline_of(tomorrow).log_span(tomorrow)
    assert span.log_from == local(world.alice, DAY + timedelta(days=1), 6)


# --- settings ---------------------------------------------------------------------------------


def test_MISS_NODOUBLE_how_early_a_dose_can_be_logged_comes_from_the_setting(world, daily, settings):
    slot = slot_on(world.alice, DAY, 8)
    settings.DOSE_LOG_EARLY_HOURS = 0
    assert schedule.window_for_slot(slot).opens_at == slot.scheduled_at
    settings.DOSE_LOG_EARLY_HOURS = 3.5
    assert schedule.window_for_slot(slot).opens_at == slot.scheduled_at - timedelta(hours=3.5)
    settings.DOSE_LOG_EARLY_HOURS = 24  # never before the previous dose's cut-off (20:00)
    assert schedule.window_for_slot(slot).opens_at == local(world.alice, DAY - timedelta(days=1), 20)


def test_a_negative_early_logging_setting_stops_start_up_with_a_clear_message():
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import companion.settings"],
        env={**os.environ, "DOSE_LOG_EARLY_HOURS": "-1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DOSE_LOG_EARLY_HOURS" in result.stderr


# --- SCHED-TZ ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone,change_day",
    [
        ("Europe/London", date(2026, 3, 29)),  # springs forward at 01:00
        ("Europe/London", date(2026, 10, 25)),  # falls back at 02:00
        ("America/New_York", date(2026, 3, 8)),
        ("Australia/Lord_Howe", date(2026, 4, 5)),  # a 30-minute change
    ],
)
def test_SCHED_TZ_on_a_daylight_saving_day_the_gap_between_doses_is_counted_in_real_hours(world, zone, change_day):
    world.alice.time_zone = zone
    world.alice.save()
    now = local(world.alice, change_day - timedelta(days=1), 7)
    start_adult_regimen(world.alice, world.carol, starts_on=change_day - timedelta(days=3), now=now)
    before, after = slot_on(world.alice, change_day - timedelta(days=1), 8), slot_on(world.alice, change_day, 8)
    inject(world, before, schedule.window_for_slot(before).closes_at - timedelta(minutes=1))
    span = schedule.timeline_of(after).log_span(after)
    real_gap = after.scheduled_at - before.scheduled_at  # 23, 24.5 or 25 hours of real time
    assert span.log_from - span.previous_injection.taken_at == dose_timing.minimum_gap(
        before.scheduled_at, after.scheduled_at, 12.0
    )
    assert dose_timing.minimum_gap(before.scheduled_at, after.scheduled_at, 12.0) == min(12 * H, real_gap / 2)
    with pytest.raises(refusals.DoseRefused):
        inject(world, after, span.log_from - timedelta(minutes=1))
    assert inject(world, after, span.log_from).slot == after


def test_SCHED_TZ_after_travel_the_next_dose_still_keeps_the_minimum_gap(world):
    """London 08:00 taken, then alice flies to New York: 08:00 there is 5 hours later, refused."""
    now = datetime(2026, 6, 10, 9, 0, tzinfo=ZoneInfo("UTC"))
    start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 6, 1), now=now)
    inject(world, slot_on(world.alice, date(2026, 6, 10), 8), now - timedelta(minutes=50), now=now)
    world.alice.time_zone = "America/New_York"
    world.alice.save()
    slot_services.reschedule_after_time_zone_change(patient=world.alice, now=now)
    new_york_morning = datetime(2026, 6, 10, 8, 0, tzinfo=world.alice.zone)
    decision = schedule.timeline(world.alice, new_york_morning).decide(new_york_morning, now=new_york_morning)
    assert not decision.accepted


# --- the jobs agree with the page -------------------------------------------------------------


def test_MISS_SKIP_the_missed_dose_job_marks_a_dose_at_the_cut_off_today_shows(world, daily):
    slot = slot_on(world.alice, DAY, 8)
    cut_off = schedule.window_for_slot(slot).closes_at
    assert slot.pk not in dispatch.mark_missed_doses(cut_off - timedelta(seconds=1))
    before = today_selectors.today_summary(world.alice, cut_off - timedelta(seconds=1))
    assert next(v for v in before.slots if v.slot.pk == slot.pk).state == "late"
    assert slot.pk in dispatch.mark_missed_doses(cut_off)
    after = today_selectors.today_summary(world.alice, cut_off)
    assert next(v for v in after.slots if v.slot.pk == slot.pk).state == "missed"


def test_the_escalation_job_leaves_out_a_dose_whose_window_has_closed(world, settings):
    """Split 08:00 / 10:00: the 08:00 cut-off is 09:00 (half the 2-hour gap), before the escalation."""
    settings.ESCALATE_AFTER_MINUTES = 75
    now = local(world.alice, DAY, 7)
    weight_based(world.alice, world.carol, times=("08:00", "10:00"), starts_on=DAY, now=now)
    slot = slot_on(world.alice, DAY, 8)
    assert slot.pk not in set(
        dispatch.slots_due_for_escalation(local(world.alice, DAY, 9, 15)).values_list("pk", flat=True)
    )
    settings.ESCALATE_AFTER_MINUTES = 30
    assert slot.pk in set(
        dispatch.slots_due_for_escalation(local(world.alice, DAY, 8, 30)).values_list("pk", flat=True)
    )


def test_the_missed_dose_job_uses_the_rules_not_only_the_stored_rows(world, daily):
    """A future slot deleted by hand does not stretch today's window: the next dose is from the rules."""
    slot = slot_on(world.alice, DAY, 8)
    DoseSlot.objects.filter(patient=world.alice, scheduled_at__gt=slot.scheduled_at).delete()
    assert slot.pk in dispatch.slots_past_cutoff(local(world.alice, DAY, 20))


def test_the_missed_dose_job_costs_the_same_queries_for_many_patients(world, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    now = local(world.alice, DAY, 7)
    start_adult_regimen(world.alice, world.carol, starts_on=DAY - timedelta(days=3), now=now)
    with CaptureQueriesContext(connection) as one:
        dispatch.slots_past_cutoff(local(world.alice, DAY, 21))
    for index in range(15):
        patient = make_patient(f"Patient {index}", zone=["Asia/Kolkata", "America/Nuuk", "Europe/London"][index % 3])
        start_adult_regimen(patient, world.carol, starts_on=DAY - timedelta(days=3), now=now)
    with CaptureQueriesContext(connection) as many:
        past = dispatch.slots_past_cutoff(local(world.alice, DAY, 21))
    assert len(past) > 15
    assert len(many) == len(one)


# --- concurrency: the spacing is checked under the patient's lock -----------------------------


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_MISS_NODOUBLE_two_doses_logged_at_once_too_close_together_give_one(world, on_postgres):
    """Yesterday's dose back-logged at 19:59 and today's at 07:00, at the same moment: 11 h apart."""
    now = local(world.alice, DAY, 7, 30)
    start_adult_regimen(world.alice, world.carol, starts_on=DAY - timedelta(days=3), now=now)
    yesterday, today = slot_on(world.alice, DAY - timedelta(days=1), 8), slot_on(world.alice, DAY, 8)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def log(slot, taken_at) -> None:
        try:
            barrier.wait()
            inject(world, slot, taken_at, now=now)
            outcomes.append("logged")
        except refusals.DoseRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=log, args=(yesterday, local(world.alice, DAY - timedelta(days=1), 19, 59))),
        threading.Thread(target=log, args=(today, local(world.alice, DAY, 7))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["logged", "refused"]
    assert Injection.objects.filter(patient=world.alice).count() == 1


# --- materialising and the feed -----------------------------------------------------------------


def test_new_slot_is_the_one_place_a_slot_is_built(world, daily):
    moment = dose_timing.local_slot(DAY + timedelta(days=30), time(8), world.alice.zone)
    slot = schedule.new_slot(daily, moment)
    assert (slot.patient_id, slot.regimen, slot.local_date, slot.dose_mg, slot.status) == (
        world.alice.pk,
        daily,
        DAY + timedelta(days=30),
        Decimal("100.0"),
        SlotStatus.PENDING,
    )


def test_materialise_is_idempotent_for_one_regimen_and_in_bulk(world, daily):
    count = DoseSlot.objects.count()
    plan = schedule.Plan(daily, DAY - timedelta(days=3), DAY + timedelta(days=5))
    assert schedule.materialise([plan]) == 9
    assert schedule.extend_all(local(world.alice, DAY, 9)) > 0
    assert schedule.extend_all(local(world.alice, DAY, 9)) > 0
    assert DoseSlot.objects.count() == count
    assert len(set(DoseSlot.objects.values_list("patient_id", "scheduled_at"))) == count


def test_the_calendar_feed_says_how_early_a_dose_can_be_logged(world, daily):
    from reminders.feeds import ScheduleFeed

    text = ScheduleFeed(world.alice).calendar().to_ical().decode().replace("\r\n ", "")
    assert "A dose can be logged from 2 hours before it is due (MISS-NODOUBLE)." in text.replace("\\,", ",")
