"""The body map's script in a real browser (Chromium): the drawing follows the radio inputs,
back zones follow who injects (SITE-SELF / SITE-OTHER), and the same spot warns at once
(SITE-ROTATE). Skipped without Chromium unless REQUIRE_BROWSER=1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.conftest import start_adult_regimen

from .log_helpers import log_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def log_page(world, live_server, chromium_path, settings):
    """alice's log page on a phone-sized screen, signed in; yesterday's dose was on thigh-left-2."""
    from playwright.sync_api import sync_playwright

    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    start_adult_regimen(world.alice, world.carol)
    client = Client()
    client.force_login(world.alice_user, backend="django.contrib.auth.backends.ModelBackend")
    yesterday = world.alice.slots.filter(local_date=world.alice.local_today() - timedelta(days=1)).get()
    url = reverse("doses:log", args=[world.alice.pk])
    response = client.post(
        f"{url}?slot={yesterday.pk}", log_data(world.alice, yesterday.scheduled_at, site_spot="thigh-left-2")
    )
    assert response.status_code == 302
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + url)
        page.click("#spot-picker > summary")  # the map opens behind "Choose another spot"
        yield page
        assert errors == []
        browser.close()


def test_tapping_a_spot_on_the_drawing_chooses_its_radio(log_page):
    log_page.locator("g.map-spot[data-spot='thigh-right-3']").click()
    assert log_page.is_checked("#spot-thigh-right-3")
    assert "is-selected" in log_page.get_attribute("g.map-spot[data-spot='thigh-right-3']", "class")


def test_SITE_SELF_back_zones_are_disabled_until_someone_else_injects(log_page):
    assert log_page.is_disabled("#spot-arm-left-1")
    log_page.locator("g.map-spot[data-spot='buttock-left-1']").click()
    assert not log_page.is_checked("#spot-buttock-left-1")
    # SITE-OTHER: once someone else gives it, the back of the arms and the buttocks open up.
    log_page.get_by_label("Someone else gave it").check()
    assert not log_page.is_disabled("#spot-arm-left-1")
    log_page.get_by_role("radio", name="Back of left upper arm, spot 1 — not used yet").check()
    assert log_page.is_checked("#spot-arm-left-1")
    # Back to self-injection: the back spot cannot stay chosen.
    log_page.get_by_label("I injected myself").check()
    assert not log_page.is_checked("#spot-arm-left-1")
    assert log_page.is_disabled("#spot-arm-left-1")


def test_SITE_ROTATE_choosing_the_last_spot_warns_at_once(log_page):
    assert not log_page.is_visible("#rotate-warning")
    log_page.get_by_role("radio", name="Left thigh, front/outer, spot 2 — used yesterday (last time)").check()
    assert log_page.is_visible("#rotate-warning")
    assert "same spot as the last injection" in log_page.inner_text("#rotate-warning")
    log_page.get_by_role("radio", name="Left thigh, front/outer, spot 3 — not used yet").check()
    assert not log_page.is_visible("#rotate-warning")


def test_the_star_follows_the_suggestion_for_who_injects(log_page):
    # Never-used spots come in map order, so both suggestions start on the stomach; the spot card
    # above the map names the spot chosen, the suggestion until another is tapped.
    assert log_page.inner_text("#chosen-spot") == "Stomach, left of the navel, spot 1"
    assert log_page.inner_text("#chosen-note") == "(suggested)"
    log_page.get_by_label("Someone else gave it").check()
    assert log_page.inner_text("#chosen-spot") == "Stomach, left of the navel, spot 1"
    assert log_page.is_visible("label[for='spot-abdomen-left-1'] .spot-suggested")
    assert log_page.is_visible("g.map-spot[data-spot='abdomen-left-1'] .map-star")


def test_the_spot_card_names_a_spot_tapped_on_the_map_beside_the_suggestion(log_page):
    log_page.locator("g.map-spot[data-spot='thigh-right-3']").click()
    assert log_page.inner_text("#chosen-spot") == "Right thigh, front/outer, spot 3"
    assert log_page.inner_text("#chosen-note") == "(suggested: Stomach, left of the navel, spot 1)"
    # A spot picked by hand stays chosen when who injects changes (it is allowed for both).
    log_page.get_by_label("Someone else gave it").check()
    assert log_page.is_checked("#spot-thigh-right-3")
