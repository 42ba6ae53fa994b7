"""Journey: a caregiver logs a severe allergic reaction; treatment goes on hold by itself
(AE-ALLERGY); the clinician sees it first for review and resumes; the family sees the hold
on Today instead of a due dose, with whom to call."""

from __future__ import annotations

from playwright.sync_api import expect

from doses.models import TreatmentHold
from tests.browser.conftest import assert_accessible, screenshot, sign_in

from ..conftest import PASSWORD


def test_AE_ALLERGY_reaction_holds_treatment_family_sees_it_clinician_reviews_and_resumes(
    desktop, phone, url, world, alice_on_regimen, log_in_as
):
    # bob logs a severe allergic reaction through the real form.
    log_in_as(phone, world.bob)
    phone.goto(url("doses:side_effects", world.alice.pk))
    phone.get_by_label("Symptom").select_option(value="allergic_reaction")
    phone.get_by_label("Severe", exact=True).check()
    phone.get_by_role("button", name="Log symptom").click()
    hold = TreatmentHold.objects.open().get(patient=world.alice)
    assert hold.rule_id == "AE-ALLERGY"

    # Today shows the hold, not a dose to log.
    phone.goto(url("doses:today", world.alice.pk))
    notice = phone.locator("#hold-notice")
    expect(notice).to_contain_text("Treatment is on hold: do not inject")
    expect(notice).to_contain_text("Dr Carol Clinician")
    expect(phone.get_by_role("link", name="Log this dose")).to_have_count(0)
    assert_accessible(phone)
    screenshot(phone, "journey-hold-today")

    # The clinician sees the automatic hold first on the patient page and resumes.
    page = desktop
    sign_in(page, "carol@example.org", PASSWORD)
    page.goto(url("doses:patient", world.alice.pk))
    expect(page.locator("#treatment-state")).to_contain_text("(AE-ALLERGY): review")
    assert_accessible(page)
    page.get_by_label("Note on resuming (optional)").fill("Reviewed: local reaction only")
    page.get_by_role("button", name="Resume treatment").click()
    expect(page.get_by_role("status").first).to_contain_text("Treatment resumed")
    hold.refresh_from_db()
    assert hold.outcome == "resumed" and hold.reviewed_by == world.carol
    expect(page.locator("#treatment-history")).to_contain_text("Reviewed: local reaction only")
    screenshot(page, "journey-hold-resumed")
