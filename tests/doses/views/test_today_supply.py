"""Low supply on Today (issue 16, point 5; SUPPLY-BOX): below the refill threshold a banner and a
"Needs attention" line give the day the syringes run out, counted on the doses to come.
alice lives in New York and injects at 08:00; the clock is Wednesday 25 November 2026, 10:00."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from doses.models import SupplyEvent
from tests.doses.log_helpers import alice_in_new_york, log_data

pytestmark = pytest.mark.django_db


def syringes(world, left: int) -> None:
    """A box picked up, and doses taken from it until `left` syringes are on hand."""
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=7, boxes=1)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.DOSE, syringes=left - 7)


def today(client_for, user, world):
    response = client_for(user).get(reverse("doses:today", args=[world.alice.pk]))
    assert response.status_code == 200
    return response


def attention_section(html: str) -> str:
    found = re.search(r'<section[^>]*aria-labelledby="attention-heading".*?</section>', html, re.S)
    return found.group(0) if found else ""


def banner(html: str) -> str:
    found = re.search(r'<section[^>]*id="supply-banner".*?</section>', html, re.S)
    return found.group(0) if found else ""


@pytest.mark.parametrize("who", ["patient", "caregiver", "clinician"])
def test_SUPPLY_BOX_two_syringes_left_show_a_banner_and_a_needs_attention_line_with_the_run_out_day(
    world, client_for, monkeypatch, who
):
    alice_in_new_york(world, monkeypatch)
    syringes(world, 2)  # today's 08:00 dose is still to give: today's and tomorrow's are covered
    html = today(client_for, world.users()[who], world).content.decode()
    assert "Syringes run out tomorrow, Thursday 26 November: order a refill now" in banner(html)
    assert "2 syringes left: the last one is for the dose tomorrow, Thursday 26 November." in banner(html)
    attention = attention_section(html)
    assert "Syringes run out tomorrow, Thursday 26 November: order a refill now" in attention


def test_SUPPLY_BOX_after_todays_dose_is_logged_two_syringes_left_cover_tomorrow_and_friday(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    syringes(world, 3)
    client_for(world.alice_user).post(
        reverse("doses:log", args=[world.alice.pk]), log_data(world.alice, now - timedelta(minutes=60))
    )
    html = today(client_for, world.alice_user, world).content.decode()
    assert "Syringes run out on Friday 27 November: order a refill now" in banner(html)


def test_SUPPLY_BOX_SCHED_RENAL_every_other_day_the_run_out_day_is_the_last_dose_day_of_the_schedule(
    world, client_for, monkeypatch, settings
):
    settings.REFILL_REMINDER_DAYS = 5
    alice_in_new_york(world, monkeypatch, interval_days=2, days_before=1)  # doses on 24, 26, 28 November
    syringes(world, 2)  # 4 days of supply: below 5
    html = today(client_for, world.alice_user, world).content.decode()
    assert "Syringes run out on Saturday 28 November: order a refill now" in banner(html)


def test_SUPPLY_BOX_no_syringe_for_the_next_dose_says_so(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    syringes(world, 0)
    html = today(client_for, world.alice_user, world).content.decode()
    assert "No syringe left for the next dose: pick up a refill now" in banner(html)
    assert "No syringe left for the next dose" in attention_section(html)


def test_SUPPLY_BOX_above_the_refill_threshold_there_is_no_banner_and_nothing_needs_attention(
    world, client_for, monkeypatch, settings
):
    settings.REFILL_REMINDER_DAYS = 3
    alice_in_new_york(world, monkeypatch)
    syringes(world, 5)  # 5 days
    html = today(client_for, world.alice_user, world).content.decode()
    assert banner(html) == ""
    assert "run out" not in attention_section(html)
    assert "5</span> syringes left, enough for 5 days." in html


def test_SUPPLY_BOX_the_threshold_is_the_setting_days_left_at_or_below_it_count_as_low(
    world, client_for, monkeypatch, settings
):
    alice_in_new_york(world, monkeypatch)
    syringes(world, 4)
    settings.REFILL_REMINDER_DAYS = 3
    assert banner(today(client_for, world.alice_user, world).content.decode()) == ""
    settings.REFILL_REMINDER_DAYS = 4
    assert "Syringes run out on Saturday 28 November" in banner(
        today(client_for, world.alice_user, world).content.decode()
    )
