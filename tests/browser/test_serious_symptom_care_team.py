"""Journey at 390x844: a caregiver logs a fever for Alice (in London) with the care-team card filled in.
The serious-symptom page leads with tap-to-call for the clinic and its out-of-hours line (AE-SERIOUS),
gives no emergency button for a symptom that is not an emergency, and the UK numbers elsewhere."""

from __future__ import annotations

from playwright.sync_api import expect

from companion.models import CareTeamCard
from tests.browser.conftest import assert_accessible, screenshot


def test_AE_SERIOUS_the_serious_symptom_page_shows_tap_to_call_for_the_care_team_first(
    phone, url, world, alice_on_regimen, log_in_as
):
    CareTeamCard.objects.create(
        patient=world.alice,
        clinic_name="Rheumatology",
        phone="+442079460018",
        hours="Monday to Friday, 9am to 5pm",
        out_of_hours_phone="+442079460999",
    )
    log_in_as(phone, world.bob)
    phone.goto(url("doses:side_effects", world.alice.pk))
    phone.get_by_label("Symptom").select_option(value="fever")
    phone.get_by_role("button", name="Log symptom").click()

    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text("Call your doctor now")
    first_link = alert.get_by_role("link").first
    expect(first_link).to_have_attribute("href", "tel:+442079460018")
    expect(first_link).to_have_text("Call Rheumatology: 020 7946 0018")
    expect(first_link).to_be_in_viewport()  # on a phone, without scrolling
    expect(alert.get_by_role("link").nth(1)).to_have_attribute("href", "tel:+442079460999")
    expect(alert.get_by_role("link", name="Call 999 now")).to_have_count(0)  # not an emergency
    expect(phone.locator("footer")).to_contain_text("call 999")
    expect(phone.locator("body")).not_to_contain_text("911")
    assert_accessible(phone)
    screenshot(phone, "serious-symptom-care-team")
