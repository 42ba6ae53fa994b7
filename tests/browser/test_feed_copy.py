"""Issue 16, point 10: the calendar-feed address has a Copy button that says "Copied" (aria-live),
and without JavaScript the address is still plain text to select, with no dead button."""

from __future__ import annotations

from playwright.sync_api import expect

from reminders.models import CalendarFeed
from tests.browser.conftest import assert_accessible


def test_the_copy_button_puts_the_calendar_address_on_the_clipboard_and_says_copied(
    phone, url, log_in_as, world, live_server
):
    feed = CalendarFeed.objects.create(patient=world.alice)
    page = phone
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in_as(page, world.alice_user)
    page.goto(url("reminders:feed_settings", world.alice.pk))
    address = page.locator("#feed-url").inner_text().strip()
    assert address.endswith(f"/feeds/{feed.token}.ics")
    status = page.locator("#feed-url-copied")
    expect(status).to_have_attribute("aria-live", "polite")
    assert_accessible(page)  # before the tap: a button caught mid-transition of its hover colour fails contrast
    page.get_by_role("button", name="Copy the address").click()
    expect(status).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == address


def test_without_javascript_the_address_is_selectable_text_and_there_is_no_copy_button(
    browser, url, log_in_as, world, live_server, transactional_db
):
    feed = CalendarFeed.objects.create(patient=world.alice)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        log_in_as(page, world.alice_user)
        page.goto(url("reminders:feed_settings", world.alice.pk))
        text = page.locator("#feed-url")
        expect(text).to_contain_text(f"/feeds/{feed.token}.ics")
        assert text.evaluate("el => getComputedStyle(el).userSelect") == "all"  # one tap selects it all
        expect(page.get_by_role("button", name="Copy the address")).to_be_hidden()
    finally:
        context.close()
