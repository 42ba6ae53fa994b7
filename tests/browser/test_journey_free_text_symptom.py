"""Journey: a caregiver describes a symptom in their own words ("Something else"); the page
says "Call your doctor now", what the description was read as, and that the care team has
been alerted (AE-SERIOUS, AE-INFECTION), as for a symptom chosen from the list."""

from __future__ import annotations

from playwright.sync_api import expect

from doses.models import CareAlert
from tests.browser.conftest import assert_accessible, screenshot


def test_AE_SERIOUS_a_symptom_in_own_words_says_call_your_doctor_now_and_what_was_read(
    phone, url, world, alice_on_regimen, log_in_as
):
    log_in_as(phone, world.bob)
    phone.goto(url("doses:side_effects", world.alice.pk))
    phone.get_by_label("Symptom").select_option(value="other")
    phone.get_by_label("Describe it").fill("her throat is really sore, temp 101 tonight, no rash")
    phone.get_by_role("button", name="Log symptom").click()

    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text("Call your doctor now")
    expect(alert).to_contain_text("Your care team has been alerted")
    reading = phone.locator("section[aria-labelledby=read-as]")
    expect(reading).to_contain_text("a sore throat")
    expect(reading).to_contain_text("101 °F (no unit typed: read as °F from the value), a fever")
    expect(reading).to_contain_text("“rash”: not counted")
    expect(reading).not_to_contain_text("A symptom chosen from the list always counts")  # none was chosen
    assert CareAlert.objects.filter(patient=world.alice, rule_id="AE-SERIOUS").exists()
    assert_accessible(phone)
    screenshot(phone, "journey-free-text-symptom")
