"""Feedback people can trust: a risky action asks first, and a submitted form shows it is busy."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from companion.models import CareMembership
from tests.browser.conftest import assert_accessible


def test_removing_someone_from_the_circle_asks_first(phone, url, log_in_as, world):
    page = phone
    log_in_as(page, world.alice_user)
    page.goto(url("circle", patient_id=world.alice.pk))
    questions = []

    # Cancelled: nothing changes.
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("listitem").filter(has_text="Bob Caregiver").get_by_role("button", name="Remove access").click()
    assert questions and "Bob Caregiver" in questions[0]
    assert CareMembership.objects.active().filter(user=world.bob, patient=world.alice).exists()

    # Accepted: access ends, and the page says so.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("listitem").filter(has_text="Bob Caregiver").get_by_role("button", name="Remove access").click()
    expect(page.get_by_role("listitem").filter(has_text="Bob Caregiver")).to_contain_text("access removed")
    assert not CareMembership.objects.active().filter(user=world.bob, patient=world.alice).exists()
    assert_accessible(page)


def test_a_submitted_form_shows_it_is_busy_and_cannot_be_sent_twice(phone, url, world):
    page = phone
    page.goto(url("login"))
    page.get_by_label("E-mail address").fill("alice@example.org")
    page.get_by_label("Password").fill("wrong password, on purpose")
    # Stand in for a slow connection: count the submissions app.js lets through, and keep the
    # page from leaving, so its busy state can be looked at.
    page.evaluate(
        """() => { window.sent = 0; window.addEventListener("submit", (event) => {
            if (!event.defaultPrevented) { window.sent += 1; } event.preventDefault(); }); }"""
    )
    button = page.get_by_role("button", name="Sign in")
    button.click()
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button).to_have_class(re.compile(r"\bis-busy\b"))
    button.click(force=True)  # an impatient second tap
    page.keyboard.press("Enter")
    assert page.evaluate("window.sent") == 1, "the form would have been sent more than once"
