"""Issue 16 at phone size (390x844): the calculator's rows are plain numbers with each rule
once under a closed "Why?" (point 3), and the regimen form's button label wraps instead of
being cut off (point 10)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from playwright.sync_api import expect

from companion.models import CareRole, Indication
from doses.rules import catalogue
from tests.browser.conftest import assert_accessible, screenshot
from tests.conftest import link, make_patient, make_user, start_weight_based_regimen


def sam_and_his_parent(world):
    pat = make_user("pat@example.org", "Pat Parent")
    sam = make_patient("Sam Child", zone="America/New_York", dob=date(2021, 3, 1), weight_kg=Decimal("15.0"))
    sam.indication = Indication.NOMID_CAPS
    sam.save()
    link(sam, pat, CareRole.PARENT)
    link(sam, world.carol, CareRole.CLINICIAN)
    return sam, pat


def test_DOSE_SYRINGE_the_calculator_on_a_phone_shows_plain_rows_and_each_rule_once_under_why(
    phone, url, world, log_in_as
):
    sam, pat = sam_and_his_parent(world)
    page = phone
    log_in_as(page, pat)
    page.goto(url("doses:calculator", sam.pk) + "?weight_kg=15&mg_per_kg=2&administrations_per_day=1")
    result = page.get_by_role("region", name="Result")
    rows = result.locator("dl.regimen-facts dd")
    assert rows.count() == 7
    summaries = [rule.summary for rule in catalogue.RULES.values()]
    for row in rows.all():
        text = row.inner_text()
        assert not any(summary in text for summary in summaries), text  # no rule text after a row
        assert "DOSE-" not in text and "PREP-" not in text
    # The rules, once each, under a closed "Why?"; opening it shows the IDs and their sources.
    why = result.locator("details.why").last
    expect(why).not_to_have_attribute("open", "")
    expect(why.get_by_text("DOSE-SYRINGE")).to_be_hidden()
    why.locator("summary").click()
    expect(why.get_by_text("DOSE-SYRINGE")).to_be_visible()
    expect(why).to_contain_text("source: MedlinePlus")
    assert why.inner_text().count("DOSE-SYRINGE") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert_accessible(page)
    screenshot(page, "calculator-phone-why")


def test_the_regimen_forms_button_label_wraps_on_a_phone_and_is_fully_visible(phone, url, world, log_in_as):
    sam, pat = sam_and_his_parent(world)
    start_weight_based_regimen(sam, world.carol, starts_on=sam.local_today(), weight_kg="15.0")
    page = phone
    for who, label in ((pat, "Send to the clinician"), (world.carol, "Save and confirm")):
        page.context.clear_cookies()
        log_in_as(page, who)
        page.goto(url("doses:regimen_new", sam.pk))
        button = page.get_by_role("button", name=label)
        expect(button).to_be_visible()
        widths = button.evaluate("b => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right]")
        assert widths[0] <= widths[1], widths  # the text fits inside the button
        assert widths[2] <= 390, widths  # and the button inside the screen
    # The longest label, on a first regimen entered by the parent.
    other, parent = make_patient("Kim Child", dob=date(2020, 6, 1), weight_kg=Decimal("20.0")), pat
    link(other, parent, CareRole.PARENT)
    page.context.clear_cookies()
    log_in_as(page, parent)
    page.goto(url("doses:regimen_new", other.pk))
    button = page.get_by_role("button", name="Save (awaits clinician confirmation)")
    widths = button.evaluate("b => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right]")
    assert widths[0] <= widths[1] and widths[2] <= 390, widths
    assert_accessible(page)
    screenshot(page, "regimen-form-phone-button")
