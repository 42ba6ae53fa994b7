"""The log page when the dose due is already logged ("Done for today", MISS-NODOUBLE), and the one
suggested spot that Today and the log form show the same person (SITE-ROTATE, SITE-SELF, SITE-OTHER)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from companion.models import CareRole
from doses import sites
from doses.models import Injection, SlotStatus
from tests.conftest import link, make_user

from ..log_helpers import alice_in_new_york, fill_history, log_data, slot_at

pytestmark = pytest.mark.django_db


def log_url(patient) -> str:
    return reverse("doses:log", args=[patient.pk])


def today_url(patient) -> str:
    return reverse("doses:today", args=[patient.pk])


def log_todays_dose(world, client, now, **overrides):
    response = client.post(log_url(world.alice), log_data(world.alice, now, **overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Injection.objects.get(patient=world.alice, slot=slot_at(world.alice, now.date()))


# --- Done for today (MISS-NODOUBLE) ------------------------------------------------------------


def test_MISS_NODOUBLE_a_dose_logged_shows_done_for_today_logged_by_you_not_the_form(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    client = client_for(world.alice_user)
    log_todays_dose(world, client, now)
    page = client.get(log_url(world.alice)).content.decode()
    assert "<h1 class=\"h3 mb-0\">Done for today</h1>" in page
    assert "taken at <strong>08:10 today</strong>, logged by <strong>you</strong>" in page
    assert "times in America/New_York" in page  # the patient's time zone (SCHED-TZ)
    assert 'id="log-form"' not in page and 'name="site_spot"' not in page
    assert "Next dose: 08:00 tomorrow. It can be logged from 06:00 tomorrow." in page


def test_MISS_NODOUBLE_done_for_today_names_whoever_else_logged_it(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    log_todays_dose(world, client_for(world.bob), now, injected_by="other")
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    assert "logged by <strong>Bob Caregiver</strong>" in page
    bobs_page = client_for(world.bob).get(log_url(world.alice)).content.decode()
    assert "logged by <strong>you</strong>" in bobs_page


def test_MISS_NODOUBLE_done_stays_after_the_cut_off_until_the_next_dose_can_be_logged(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    client = client_for(world.alice_user)
    log_todays_dose(world, client, now)
    # 23:00: after today's cut-off (20:00), before tomorrow's dose opens (06:00): still done.
    monkeypatch.setattr("django.utils.timezone.now", lambda: now.replace(hour=23))
    assert "Done for today" in client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    # 06:30 tomorrow: tomorrow's dose can be logged, so the form is back.
    monkeypatch.setattr("django.utils.timezone.now", lambda: now + timedelta(hours=22, minutes=20))
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    assert "Done for today" not in page and 'id="log-form"' in page


def test_MISS_NODOUBLE_a_second_dose_posted_anyway_is_still_refused(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    client = client_for(world.alice_user)
    log_todays_dose(world, client, now)
    response = client.post(
        log_url(world.alice), log_data(world.alice, now - timedelta(minutes=20), site_spot="thigh-left-1")
    )
    assert response.status_code == 200
    assert Injection.objects.filter(patient=world.alice).count() == 1
    assert "is already logged" in response.content.decode()


def test_SCHED_RENAL_every_other_day_the_day_between_two_doses_is_done_not_due(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10), days_before=2, interval_days=2)
    client = client_for(world.alice_user)
    assert slot_at(world.alice, now.date()).status == SlotStatus.PENDING  # a dose day: 23, 25, 27 Nov
    log_todays_dose(world, client, now)
    # The next calendar day has no dose of its own: the dose due is still yesterday's, logged.
    monkeypatch.setattr("django.utils.timezone.now", lambda: now + timedelta(days=1))
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    assert "Done for today" in page
    assert "Next dose: 08:00 tomorrow." in page  # 27 Nov: the dose after the one due (25 Nov)
    # On the next dose day the form is back.
    monkeypatch.setattr("django.utils.timezone.now", lambda: now + timedelta(days=2))
    assert 'id="log-form"' in client_for(world.alice_user).get(log_url(world.alice)).content.decode()


def test_a_dose_tapped_on_today_that_is_not_logged_yet_still_opens_the_form(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    client = client_for(world.alice_user)
    tomorrow = slot_at(world.alice, now.date() + timedelta(days=1))
    page = client.get(f"{log_url(world.alice)}?slot={tomorrow.pk}").content.decode()
    assert 'id="log-form"' in page


# --- one suggested spot per person (SITE-ROTATE, SITE-SELF, SITE-OTHER) -----------------------


@pytest.fixture
def every_self_spot_used(world, monkeypatch):
    """alice has used every self-injection spot once (20 days), never an arm or a buttock: the
    spot for her to inject herself and the spot for someone else to give it differ."""
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 7, 30), days_before=21)
    past = list(world.alice.slots.filter(scheduled_at__lt=now - timedelta(hours=12)).order_by("scheduled_at"))
    assert len(past) >= len(sites.allowed_spots(False))
    fill_history(world.alice, world.alice_user, past[-len(sites.allowed_spots(False)) :])
    return now


@pytest.fixture
def dan(world):
    dan = make_user("dan@example.org", "Dan Parent")
    link(world.alice, dan, CareRole.PARENT)
    return dan


def suggestions(client, patient) -> tuple[str, str]:
    today = client.get(today_url(patient))
    log = client.get(log_url(patient))
    return today.context["page"].suggested_spot_label, sites.spot_label(log.context["form"].initial["site_spot"])


def test_SITE_ROTATE_the_patient_sees_one_suggestion_on_today_and_on_the_log_form(world, client_for, every_self_spot_used):
    on_today, on_log = suggestions(client_for(world.alice_user), world.alice)
    # She injects herself: the self-injection spot used longest ago (SITE-SELF), on both pages.
    assert on_today == on_log == "Stomach, left of the navel, spot 1"


@pytest.mark.parametrize("who", ["caregiver", "parent"])
def test_SITE_OTHER_a_caregiver_or_parent_sees_one_suggestion_on_today_and_on_the_log_form(
    world, client_for, every_self_spot_used, dan, who
):
    client = client_for(world.bob if who == "caregiver" else dan)
    on_today, on_log = suggestions(client, world.alice)
    # Someone else is expected to give it, so the back of the arm (never used) is the suggestion on both.
    assert on_today == on_log == "Back of left upper arm, spot 1"
    today_page = client.get(today_url(world.alice)).content.decode()
    assert "Back of left upper arm, spot 1" in today_page


def test_SITE_ROTATE_after_a_dose_the_next_time_spot_is_the_one_today_then_suggests(
    world, client_for, every_self_spot_used
):
    client = client_for(world.bob)
    now = every_self_spot_used
    # Bob logs that alice injected herself: the next spot named is still the one Today shows Bob.
    response = client.post(
        log_url(world.alice), log_data(world.alice, now, injected_by="self", site_spot="abdomen-right-1"), follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    suggested = response.context["page"].suggested_spot_label
    assert any(f"Next time use: {suggested}" in m for m in messages), messages
