"""The Today page: today's doses and their status, the missed-dose advice, the next spot,
supply and what needs attention. alice lives in New York and injects at 08:00."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from doses import schedule
from doses.models import DoseSlot, FridgeSyringe, NotTakenReason, SideEffect, SupplyEvent
from doses.services import injections as injection_services
from tests.doses.log_helpers import alice_in_new_york, log_data, slot_at
from tests.doses.why_helpers import rule_ids_outside_why, visible_text_outside_why, why_text

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def today_page(client_for, user, patient):
    return client_for(user).get(reverse("doses:today", args=[patient.pk]))


def test_a_dose_logged_today_shows_as_done_with_who_logged_it(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    response = client_for(world.bob).post(
        reverse("doses:log", args=[world.alice.pk]),
        log_data(world.alice, now - timedelta(minutes=90), injected_by="other"),
    )
    assert response.status_code == 302
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "This dose is taken" in page
    assert "Taken 08:30" in page  # local New York time, not UTC (13:30)
    assert "logged by Bob Caregiver at 10:00" in page


def test_MISS_NODOUBLE_within_two_hours_of_its_time_a_dose_can_be_logged_early_but_is_never_shown_as_due(
    world, client_for, monkeypatch
):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 7, 0))
    page = today_page(client_for, world.alice_user, world.alice)
    summary = page.context["page"]
    assert summary.next_dose.state == "early"
    assert summary.next_dose.slot.local_date == TODAY
    text = page.content.decode()
    assert "Today 08:00: you can log it now, a little before its time (from 06:00)." in text
    assert "Log this dose" in text
    assert ">Due<" not in text


def test_MISS_TAKE_a_late_dose_says_take_it_now_with_the_reason_and_the_cut_off(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 10, 0))
    page = today_page(client_for, world.alice_user, world.alice)
    summary = page.context["page"]
    assert summary.next_dose.state == "late"
    assert summary.next_dose.advice.action == "take"
    text = page.content.decode()
    assert "Take it now" in text
    # The rule IDs are under "Why?", not in the sentence (issue 16).
    assert "MISS-TAKE" in why_text(text) and "MISS-SKIP" in why_text(text)
    assert rule_ids_outside_why(text) == []
    assert "Take a missed dose as soon as you remember" in text
    # MISS-SKIP's cut-off is explicit: 12 hours before the next dose (08:00 tomorrow) is 20:00 today.
    assert "If your next dose is due within 12 hours, skip the missed one." in text
    assert "After 20:00 today, skip it instead and take the next dose at 08:00 tomorrow" in text


def test_MISS_SKIP_after_the_cut_off_the_dose_is_missed_and_the_advice_is_skip(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 21, 0))
    page = today_page(client_for, world.alice_user, world.alice)
    summary = page.context["page"]
    missed = next(v for v in summary.slots if v.slot.local_date == TODAY)
    assert missed.state == "missed"
    assert missed.advice.action == "skip"
    assert missed.advice.rule_id == "MISS-SKIP"
    text = page.content.decode()
    assert "Skip this dose" in text
    assert "Your next dose is due at 08:00 tomorrow, so skip the missed one" in text
    assert "MISS-NODOUBLE" in why_text(text)
    assert rule_ids_outside_why(text) == []
    # The next dose is tomorrow's; it can be logged from 06:00 (2 hours early), not now (MISS-NODOUBLE).
    assert summary.next_dose.slot.local_date == TODAY + timedelta(days=1)
    assert summary.next_dose.state == "upcoming"
    assert "Tomorrow 08:00, you can log it from 06:00." in text
    assert "Log this dose" not in text


def test_MISS_SKIP_the_cut_off_comes_from_the_setting_and_is_shown(world, client_for, monkeypatch, settings):
    settings.MISSED_DOSE_SKIP_WITHIN_HOURS = 6
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 21, 0))
    page = today_page(client_for, world.alice_user, world.alice)
    summary = page.context["page"]
    # With a 6-hour cut-off, 21:00 is still before 02:00 tomorrow: take it now.
    assert summary.next_dose.slot.local_date == TODAY
    assert summary.next_dose.advice.action == "take"
    assert "If your next dose is due within 6 hours, skip the missed one." in page.content.decode()


def test_a_dose_recorded_as_not_taken_shows_the_reason_and_who_recorded_it(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    injection_services.record_not_taken(slot=slot_at(world.alice, TODAY), reason=NotTakenReason.INFECTION, by=world.bob, now=now)
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "Not taken: Infection" in page
    assert "recorded by Bob Caregiver at 10:00" in page


def test_the_suggested_spot_is_shown_with_a_star_and_words(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "Suggested spot:" in page
    assert "Stomach, left of the navel, spot 1" in page


def test_syringes_left_and_the_days_they_last(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=14, boxes=2)
    client_for(world.alice_user).post(
        reverse("doses:log", args=[world.alice.pk]), log_data(world.alice, now - timedelta(minutes=60))
    )
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "13</span> syringes left, enough for 13 days." in page


def test_every_other_day_doubles_the_days_the_syringes_last(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, interval_days=2)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=7, boxes=1)
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "7</span> syringes left, enough for 14 days." in page


def test_without_a_pickup_the_page_says_so(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    assert "No pick-up recorded yet." in today_page(client_for, world.alice_user, world.alice).content.decode()


def test_attention_lists_serious_symptom_unconfirmed_regimen_lab_and_fridge(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, confirmed=False)
    SideEffect.objects.create(
        patient=world.alice, symptom="fever", description="Fever and chills", started_on=TODAY, is_serious=True
    )
    SideEffect.objects.create(  # resolved: not shown
        patient=world.alice, symptom="rash", description="Old rash", started_on=TODAY, is_serious=True, resolved_at=now
    )
    FridgeSyringe.objects.create(patient=world.alice, taken_out_at=now - timedelta(hours=2))
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "Serious symptom: Fever and chills" in page
    assert "Call the doctor now" in page
    assert "Old rash" not in page
    assert "Regimen not yet confirmed" in page
    # AE-LABS: "before starting" is due the day before the first dose (3 days ago), so 4 days ago.
    assert "Blood test overdue since Sat 21 Nov" in page
    assert "A syringe is out of the fridge" in page
    assert "Use it by 08:00 tomorrow." in visible_text_outside_why(page)
    assert "PREP-24H" in why_text(page) and "AE-LABS" in why_text(page) and "AE-SERIOUS" in why_text(page)
    assert rule_ids_outside_why(page) == []


def test_PREP_24H_a_syringe_out_of_the_fridge_too_long_says_do_not_use_and_can_be_discarded(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    FridgeSyringe.objects.create(patient=world.alice, taken_out_at=now - timedelta(hours=25))
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "Do not use the syringe out of the fridge" in page
    assert "more than 24 hours." in page and "PREP-24H" in why_text(page)
    assert "Record it as discarded" in page


def test_the_page_creates_missing_upcoming_doses_once(world, client_for, monkeypatch, settings):
    alice_in_new_york(world, monkeypatch)
    DoseSlot.objects.filter(patient=world.alice, local_date__gte=TODAY).delete()
    today_page(client_for, world.alice_user, world.alice)
    today_page(client_for, world.alice_user, world.alice)
    upcoming = DoseSlot.objects.filter(patient=world.alice, local_date__gte=TODAY)
    assert upcoming.count() == settings.SCHEDULE_HORIZON_DAYS + 1
    assert upcoming.values("scheduled_at").distinct().count() == upcoming.count()


def test_a_patient_with_no_regimen_is_told_to_enter_one(world, client_for):
    page = today_page(client_for, world.alice_user, world.alice).content.decode()
    assert "No regimen yet" in page


def test_times_follow_the_patients_zone_not_the_servers(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 23, 30))
    summary = today_page(client_for, world.alice_user, world.alice).context["page"]
    # 23:30 in New York is already 04:30 on the 26th in UTC; alice's "today" is still the 25th.
    assert summary.today == TODAY


def test_PREP_24H_discarding_the_expired_fridge_syringe_from_today_closes_it_and_takes_one_off(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    fridge = FridgeSyringe.objects.create(patient=world.alice, taken_out_at=now - timedelta(hours=25))
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=7, boxes=1)
    client = client_for(world.alice_user)
    page = client.get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    action = reverse("doses:fridge_close", args=[world.alice.pk, fridge.pk])
    assert f'action="{action}"' in page
    client.post(action, {"outcome": "discarded"})
    fridge.refresh_from_db()
    assert fridge.closed_at is not None
    assert SupplyEvent.objects.get(patient=world.alice, kind=SupplyEvent.Kind.DISCARD).syringes == -1
    assert (
        "Do not use the syringe out of the fridge"
        not in client.get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    )


def test_MISS_SKIP_a_split_dose_has_a_shorter_cut_off_and_the_page_says_why(world, client_for, monkeypatch):
    """Doses 12 hours apart: "almost time" cannot be 12 hours, so the cut-off is half the gap."""
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 11, 0), times=("08:00", "20:00"))
    summary = today_page(client_for, world.alice_user, world.alice).context["page"]
    late = summary.next_dose
    assert (late.state, late.advice.action) == ("late", "take")
    assert late.advice.cut_off == (
        "If your next dose is due within 6 hours, skip the missed one. "
        "(Usually 12 hours; shorter here because your doses are closer together.)"
    )
    assert "After 14:00 today, skip it instead and take the next dose at 20:00 today" in late.advice.reason


@pytest.mark.parametrize(
    "zone,times,interval",
    [
        ("America/New_York", ("08:00",), 1),
        ("America/New_York", ("07:00", "13:00"), 1),  # an uneven split: windows of different sizes
        ("Europe/London", ("01:30",), 2),  # every other day, on a DST change night (29 Mar 2026)
    ],
)
def test_today_shows_the_same_dose_windows_that_logging_enforces(world, monkeypatch, zone, times, interval):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from doses.selectors import today as today_selectors
    from tests.conftest import start_adult_regimen
    from tests.doses.log_helpers import freeze

    world.alice.time_zone = zone
    world.alice.save()
    for day in (date(2026, 3, 28), date(2026, 11, 25)):
        now = freeze(monkeypatch, datetime(day.year, day.month, day.day, 12, 0, tzinfo=ZoneInfo(zone)))
        DoseSlot.objects.filter(patient=world.alice).delete()
        world.alice.regimens.all().delete()
        start_adult_regimen(world.alice, world.carol, now=now, times=times, interval_days=interval)
        summary = today_selectors.today_summary(world.alice, now)
        assert summary.slots
        for view in summary.slots:
            assert view.window == schedule.window_for_slot(view.slot)


def test_MISS_TAKE_the_patient_and_the_caregiver_read_plain_words_and_the_clinician_sees_the_rules_open(
    world, client_for, monkeypatch
):
    # Issue 16: the late dose's advice and the next spot carry no rule ID in the sentence for
    # the patient and her caregiver; the IDs are in a closed "Why?" disclosure. The clinician
    # gets the same disclosure open.
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 10, 0))
    for reader in (world.alice_user, world.bob):
        page = today_page(client_for, reader, world.alice).content.decode()
        assert rule_ids_outside_why(page) == []
        assert {"MISS-TAKE", "MISS-SKIP", "SITE-ROTATE"} <= set(why_text(page).split())
        assert '<details class="why">' in page and '<details class="why" open>' not in page
    page = today_page(client_for, world.carol, world.alice).content.decode()
    assert '<details class="why" open>' in page and "MISS-TAKE" in why_text(page)
