"""Friendly error pages in the app's own design: they say what happened and what to do next."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot


def test_server_error_page_is_friendly_and_styled(phone, live_server, settings):
    settings.ROOT_URLCONF = "tests.browser.error_urls"
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    response = phone.goto(live_server.url + "/test-only/broken/")
    assert response.status == 500
    expect(phone.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    expect(phone.get_by_role("link", name="Go to the start page")).to_be_visible()
    # The stylesheet loaded: the top bar has the app's colour, not the browser's default.
    colour = phone.evaluate("getComputedStyle(document.querySelector('.app-navbar')).backgroundColor")
    assert colour == "rgb(11, 93, 107)"
    assert_accessible(phone)
    screenshot(phone, "page-500")


def test_expired_form_page_says_to_reload_and_try_again(phone, url):
    phone.goto(url("login"))
    phone.context.clear_cookies()  # as if the page had been open for too long
    phone.get_by_label("E-mail address").fill("alice@example.org")
    phone.get_by_label("Password").fill("anything at all")
    with phone.expect_response(lambda r: r.request.method == "POST") as response_info:
        phone.get_by_role("button", name="Sign in").click()
    assert response_info.value.status == 403
    expect(phone.get_by_role("heading", level=1)).to_have_text("The page was open too long")
    expect(phone.get_by_text("Nothing was saved")).to_be_visible()
    assert_accessible(phone)
    screenshot(phone, "page-403-csrf")


def test_not_found_page_offers_a_way_back(phone, live_server, log_in_as, world):
    log_in_as(phone, world.mallory)
    response = phone.goto(live_server.url + "/patients/999999/")
    assert response.status == 404  # a stranger cannot even learn that a patient exists
    expect(phone.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    expect(phone.get_by_role("link", name="Go to the start page")).to_be_visible()
    assert_accessible(phone)
    screenshot(phone, "page-404")
