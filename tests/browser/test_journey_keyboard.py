"""Journey: log an injection with the keyboard only (Tab, Shift+Tab, Enter, Space, arrows;
no clicks): the way to the form, the body map and every field must work without a mouse."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from doses.models import Injection
from tests.browser.conftest import assert_accessible, focused_description, screenshot, tab_to, waiting_for

pytestmark = waiting_for("doses:today", "doses:log")

SITE = re.compile(r"thigh|abdomen|stomach|belly", re.I)


def test_an_injection_can_be_logged_with_the_keyboard_alone(phone, url, log_in_as, world, alice_on_regimen):
    page = phone
    log_in_as(page, world.alice_user)
    page.goto(url("doses:today", patient_id=world.alice.pk))
    assert_accessible(page)

    # From the today page to the log form: Tab to the link, Enter.
    tab_to(page, r"^A \|.*\blog\b")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page)

    # The body map: reach a spot with Tab, move with the arrow keys, choose with Space.
    tab_to(page, SITE.pattern)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    chosen = page.evaluate(
        "() => { const el = document.activeElement; return el.checked === true || el.getAttribute('aria-checked') === 'true' || el.getAttribute('aria-pressed') === 'true'; }"
    )
    assert chosen, f"Space did not choose the focused spot: {focused_description(page)}"

    # Every checkbox of the pre-injection checklist ticked with Space, then Enter on the button.
    for _ in range(80):
        page.keyboard.press("Tab")
        kind = page.evaluate(
            "() => { const el = document.activeElement; return el.type === 'checkbox' ? (el.checked ? 'checked' : 'unchecked') : (el.type === 'submit' ? 'submit' : el.tagName); }"
        )
        if kind == "unchecked":
            page.keyboard.press("Space")
        elif kind == "submit" and re.search(r"log|save", focused_description(page), re.I):
            break
    else:
        raise AssertionError("Never reached the form's submit button by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(re.compile("logged|saved", re.I))
    assert_accessible(page)
    injection = Injection.objects.get(patient=world.alice)
    assert SITE.search(injection.site_spot) or injection.site_spot
    screenshot(page, "journey-keyboard")
