"""A close spelling of a medicine is a question on the page, in Chromium (issue 15, point 3).

IX-TNF: "Humera" is not applied silently: the page asks "Did you mean adalimumab (Humira)?",
keeps what was typed, and only the confirmation classes it as a TNF blocker.
"""

from __future__ import annotations

from playwright.sync_api import expect

from doses.models import CareAlert, OtherMedicine
from tests.browser.conftest import assert_accessible, screenshot


def test_IX_TNF_a_close_spelling_is_asked_about_and_applied_only_when_confirmed(phone, url, log_in_as, world):
    page = phone
    log_in_as(page, world.alice_user)
    page.goto(url("doses:medicines", patient_id=world.alice.pk))
    page.get_by_label("Medicine name").fill("Humera")
    page.get_by_role("button", name="Add medicine").click()

    question = page.get_by_role("group", name="Did you mean adalimumab (Humira)?")
    expect(question).to_be_visible()
    expect(page.get_by_label("Medicine name")).to_have_value("Humera")
    assert not OtherMedicine.objects.exists()
    assert_accessible(page)
    screenshot(page, "medicines-did-you-mean")

    question.get_by_label("Yes, it is adalimumab (Humira)").check()
    page.get_by_role("button", name="Add medicine").click()
    expect(page.get_by_role("heading", name="Humera (adalimumab)")).to_be_visible()
    expect(page.get_by_text("is a TNF blocker").first).to_be_visible()
    medicine = OtherMedicine.objects.get(patient=world.alice)
    assert medicine.category == "tnf" and medicine.generic_name == "adalimumab"
    assert CareAlert.objects.get(patient=world.alice).rule_id == "IX-TNF"
