"""Journey: log an injection with the keyboard only (Tab, Shift+Tab, Enter, Space, arrows;
no clicks): the way to the form, the body map and every field must work without a mouse."""

from __future__ import annotations

from playwright.sync_api import expect

from doses.models import Injection
from tests.browser.conftest import assert_accessible, focused_description, screenshot, tab_to, waiting_for

pytestmark = waiting_for("doses:today", "doses:log")


def assert_focus_visible(page) -> None:
    """Someone using the keyboard can see where they are: a focus ring, not just a colour change."""
    ring = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
            return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }"""
    )
    assert (ring["outline"] != "none" and ring["width"] >= 2) or ring["shadow"] != "none", ring


def test_an_injection_can_be_logged_with_the_keyboard_alone(
    morning_in_london, phone, url, log_in_as, world, alice_on_regimen
):
    page = phone
    log_in_as(page, world.alice_user)
    page.goto(url("doses:today", patient_id=world.alice.pk))
    assert_accessible(page)

    # From the today page to the log form: Tab to the button-like link, Enter.
    tab_to(page, r"^A \|.*Log this dose")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an injection")
    assert_accessible(page)

    # The body map opens from "Choose another spot" (Enter on the disclosure); then Tab into the
    # spots, move with the arrow keys, choose with Space.
    tab_to(page, r"^SUMMARY \|.*Choose another spot")
    page.keyboard.press("Enter")
    tab_to(page, r"^INPUT \|.*spot \d")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    spot = page.evaluate("() => document.activeElement.checked ? document.activeElement.value : ''")
    assert spot, f"Space did not choose the focused spot: {focused_description(page)}"
    assert_focus_visible(page)

    # Every check before injecting answered "Yes" with Space; then Enter on the button.
    answered = 0
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
                return {type: el.type || el.tagName, checked: !!el.checked, name: el.name || '',
                        label: el.labels && el.labels[0] ? el.labels[0].textContent.trim() : el.textContent.trim()}; }"""
        )
        if focused["name"].startswith("prep_") and not focused["checked"]:
            assert focused["label"] == "Yes", f"Expected the Yes answer first, got {focused}"
            page.keyboard.press("Space")
            answered += 1
        elif focused["type"] == "submit" and focused["label"] == "Log this dose":
            assert_focus_visible(page)
            break
    else:
        raise AssertionError("Never reached the Log this dose button with Tab")
    assert answered >= 4, f"only {answered} checks reached by keyboard"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Dose logged")
    assert_accessible(page)
    injection = Injection.objects.get(patient=world.alice)
    assert injection.site_spot == spot
    screenshot(page, "journey-keyboard")
