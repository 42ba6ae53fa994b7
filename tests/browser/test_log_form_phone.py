"""The log form on a phone (390x844, the demo data): within two screens, the suggested spot first
with the body map behind "Choose another spot", spots big enough to tap (WCAG 2.5.8), focus on the
first check left unanswered, and "Done for today" once the dose due is logged (MISS-NODOUBLE)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from companion.models import Patient, User
from doses import schedule
from doses.models import DoseSlot, Injection, SlotStatus
from doses.services import injections as injection_services
from tests.browser.conftest import PHONE, assert_accessible, screenshot, waiting_for

pytestmark = waiting_for("doses:log")

TWO_SCREENS = 2 * PHONE["height"]  # 1688 px
TAP_TARGET_PX = 24  # WCAG 2.2, 2.5.8 Target Size (Minimum)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo")
    return {
        "alice": User.objects.get(email="alice@demo.example"),
        "dan": User.objects.get(email="dan@demo.example"),
        "bob": User.objects.get(email="bob@demo.example"),
        "alice_patient": Patient.objects.get(display_name="Alice Morgan"),
        "mia": Patient.objects.get(display_name="Mia Okafor"),
    }


def open_log(page, url, log_in_as, user, patient, monkeypatch=None):
    """The log form of the dose due. Once that is logged ("Done for today": the demo logs all of
    Mia's doses so far), with `monkeypatch` the server's clock moves on to five minutes into her
    next dose, still running, so the form is the one a parent fills in when that dose is due."""
    log_in_as(page, user)
    page.goto(url("doses:log", patient.pk))
    if monkeypatch is not None and page.get_by_role("heading", level=1).inner_text().strip() == "Done for today":
        following = (
            DoseSlot.objects.filter(patient=patient, status=SlotStatus.PENDING, scheduled_at__gt=timezone.now())
            .order_by("scheduled_at")
            .first()
        )
        real_now = timezone.now
        shift = following.scheduled_at + timedelta(minutes=5) - real_now()
        monkeypatch.setattr(timezone, "now", lambda: real_now() + shift)
        log_in_as(page, user)  # the session signed in "before" has ended by then (SESSION_COOKIE_AGE)
        page.goto(url("doses:log", patient.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an injection")


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


@pytest.mark.parametrize(
    "who, patient",
    [("alice", "alice_patient"), ("dan", "mia"), ("bob", "alice_patient")],
    ids=["patient", "parent", "caregiver"],
)
def test_the_whole_log_form_fits_in_two_phone_screens(phone, url, log_in_as, demo, who, patient, monkeypatch):
    open_log(phone, url, log_in_as, demo[who], demo[patient], monkeypatch)
    assert page_height(phone) <= TWO_SCREENS, f"the log page is {page_height(phone)} px tall at 390x844"
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # never sideways
    assert_accessible(phone)
    screenshot(phone, f"log-form-phone-{who}")


def test_the_suggested_spot_comes_first_and_the_map_opens_on_choose_another_spot(phone, url, log_in_as, demo):
    open_log(phone, url, log_in_as, demo["alice"], demo["alice_patient"])
    spot_card = phone.get_by_role("region", name="Injection spot")
    expect(spot_card).to_contain_text("(suggested)")
    chosen = phone.locator("#chosen-spot").inner_text()
    first_check = phone.locator("fieldset.prep-check").first
    assert (
        spot_card.bounding_box()["y"] < phone.get_by_role("group", name="Who gave the injection?").bounding_box()["y"]
    )
    assert spot_card.bounding_box()["y"] < first_check.bounding_box()["y"]
    # The map is hidden until asked for; the suggested spot is already the one chosen.
    expect(phone.locator("#body-map")).to_be_hidden()
    assert phone.locator("input[name=site_spot]:checked").get_attribute("data-label") == chosen
    phone.get_by_text("Choose another spot", exact=True).click()
    expect(phone.locator("#body-map")).to_be_visible()
    # Another spot tapped on the drawing: the card names it, and the suggestion beside it.
    phone.locator("g.map-spot[data-spot='thigh-left-1']").click()
    expect(phone.locator("#chosen-spot")).to_have_text("Left thigh, front/outer, spot 1")
    expect(phone.locator("#chosen-note")).to_have_text(f"(suggested: {chosen})")
    assert_accessible(phone)


def test_WCAG_2_5_8_every_spot_on_the_body_map_is_at_least_24_px_to_tap(phone, url, log_in_as, demo):
    open_log(phone, url, log_in_as, demo["bob"], demo["alice_patient"])  # back zones open too
    phone.get_by_text("Choose another spot", exact=True).click()
    drawn = phone.locator("g.map-spot circle")
    assert drawn.count() == 32
    for index in range(drawn.count()):
        box = drawn.nth(index).bounding_box()
        assert box["width"] >= TAP_TARGET_PX and box["height"] >= TAP_TARGET_PX, box
    listed = phone.locator("label.spot-option")
    assert listed.count() == 32
    for index in range(listed.count()):
        box = listed.nth(index).bounding_box()
        assert box["width"] >= TAP_TARGET_PX and box["height"] >= TAP_TARGET_PX, box
    # The other controls of the form too: every answer, "Why?" and the picker itself.
    for selector in ["label.choice-option", ".why > summary", "#spot-picker > summary"]:
        controls = phone.locator(selector)
        for index in range(controls.count()):
            if controls.nth(index).is_visible():
                box = controls.nth(index).bounding_box()
                assert box["width"] >= TAP_TARGET_PX and box["height"] >= TAP_TARGET_PX, (selector, box)


def test_sent_incomplete_focus_goes_to_the_first_unanswered_check_and_the_summary_names_them(
    phone, url, log_in_as, demo
):
    open_log(phone, url, log_in_as, demo["alice"], demo["alice_patient"])
    doses_before = Injection.objects.filter(patient=demo["alice_patient"]).count()
    checks = phone.locator("fieldset.prep-check")
    for index in (0, 1, 3):
        checks.nth(index).get_by_label("Yes").check()
    phone.get_by_role("button", name="Log this dose").click()
    # Nothing sent: the third check (the first unanswered) has the focus; the summary names the two.
    focused = phone.evaluate("() => document.activeElement.name")
    assert focused == "prep_clear"
    summary = phone.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Answer these checks: Liquid clear, nothing floating?, A new, unused syringe?")
    assert "Spot away" in summary.inner_text()
    assert Injection.objects.filter(patient=demo["alice_patient"]).count() == doses_before  # nothing sent
    assert_accessible(phone)


def test_without_javascript_the_server_keeps_the_answers_and_names_the_unanswered_checks(
    browser, live_server, url, log_in_as, demo
):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    try:
        open_log(page, url, log_in_as, demo["alice"], demo["alice_patient"])
        # The map still works without JavaScript: <details> opens, the spots are radio buttons.
        page.get_by_text("Choose another spot", exact=True).click()
        page.locator("#spot-thigh-left-2").check()
        page.locator("fieldset.prep-check").first.get_by_label("Yes").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Log this dose").click()
        summary = page.locator("#error-summary")
        expect(summary).to_contain_text("Nothing was saved.")
        expect(summary).to_contain_text("Answer these checks: Out of fridge under 24 hours?")
        assert page.locator("input[name=prep_warm][value=yes]").is_checked()  # the answer given is kept
        assert page.locator("#spot-thigh-left-2").is_checked()
        # The first unanswered check is the summary's first link.
        assert page.locator("#unanswered-list a").first.get_attribute("href") == "#id_prep_under_24h_0"
    finally:
        context.close()


def test_MISS_NODOUBLE_once_logged_the_log_page_says_done_for_today_by_you(phone, url, log_in_as, demo):
    # The dose due now (doses/schedule.py), logged in its window, whatever the hour of the run.
    patient, now = demo["alice_patient"], timezone.now()
    due = schedule.timeline(patient, now).dose_due(now)
    injection_services.record_injection(
        slot=due,
        taken_at=min(due.scheduled_at + timedelta(minutes=5), now),
        site_spot="thigh-left-1",
        by=demo["alice"],
        now=now,
    )
    log_in_as(phone, demo["alice"])
    open_page = phone.goto(url("doses:log", patient.pk))
    assert open_page is not None and open_page.status == 200
    expect(phone.get_by_role("heading", level=1)).to_have_text("Done for today")
    expect(phone.locator("#done-for-today")).to_contain_text("logged by you")
    expect(phone.locator("#log-form")).to_have_count(0)
    assert page_height(phone) <= TWO_SCREENS
    assert_accessible(phone)
    screenshot(phone, "log-done-for-today")
    # Someone else in the circle sees who logged it, by name.
    log_in_as(phone, demo["bob"])
    phone.goto(url("doses:log", patient.pk))
    expect(phone.locator("#done-for-today")).to_contain_text("logged by Alice Morgan")
