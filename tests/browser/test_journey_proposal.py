"""Journey (issue 13): a parent changes a confirmed 40 mg (2 mg/kg) regimen to 80 mg; the app
shows the DOSE-PED-STEP check before saving and sends it to the clinician; the family is told to
keep injecting 40 mg; the clinician sees it first on the panel and on the patient page and
declines it with a reason; the family sees the reason."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from companion.models import CareRole, Indication
from doses.models import DoseSlot, RegimenProposal
from tests.browser.conftest import assert_accessible, field, screenshot, sign_in, waiting_for
from tests.conftest import PASSWORD, link, make_patient, make_user, start_weight_based_regimen

pytestmark = waiting_for("doses:regimen_new", "doses:proposal_decline", "doses:patient", "doses:panel")


def test_a_parents_change_waits_for_the_clinician_who_declines_it_with_a_reason(desktop, url, world):
    parent = make_user("pat@example.org", "Pat Parent")
    reyes = make_user("reyes@example.org", "Dr Reyes")
    sam = make_patient(
        "Sam Child",
        dob=date.today() - timedelta(days=5 * 365),
        weight_kg=Decimal("20"),
        weight_measured_on=date.today(),
    )
    sam.indication = Indication.NOMID_CAPS
    sam.save()
    link(sam, parent, CareRole.PARENT)
    link(sam, reyes, CareRole.CLINICIAN)
    start_weight_based_regimen(sam, reyes, weight_kg="20", starts_on=sam.local_today() - timedelta(days=2))

    # 1. The parent changes the dose to 4 mg/kg: the check is shown before anything is saved.
    page = desktop
    sign_in(page, "pat@example.org", PASSWORD)
    page.goto(url("doses:regimen_new", sam.pk))
    assert_accessible(page)
    field(page, "Dose (mg/kg/day)").fill("4")
    field(page, "Why (reason for this regimen or change)").fill("Flares every afternoon.")
    page.get_by_role("button", name="Send to the clinician").click()
    review = page.get_by_role("alert").filter(has_text="Check before saving")
    expect(review).to_contain_text("not a step of 0.5-1 mg/kg")
    expect(review.locator("details.why")).to_contain_text("DOSE-PED-STEP")  # under "Why?" (issue 16)
    expect(field(page, "Dose (mg/kg/day)")).to_have_value(re.compile(r"^4"))
    assert_accessible(page)
    assert not RegimenProposal.objects.exists()
    page.get_by_role("button", name="Send to the clinician").click()
    expect(page.get_by_role("status").filter(has_text="Waiting for")).to_contain_text(
        "Waiting for Dr Reyes; keep injecting 40 mg"
    )
    assert_accessible(page)
    assert set(DoseSlot.objects.filter(patient=sam).values_list("dose_mg", flat=True)) == {Decimal("40.0")}
    page.get_by_role("button", name=re.compile("Sign out|Log out")).click()

    # 2. The clinician: Sam first on the panel, the proposal first on his page; decline with a reason.
    sign_in(page, "reyes@example.org", PASSWORD)
    page.goto(url("doses:panel"))
    expect(page.locator("table tbody tr").first).to_contain_text("Regimen change to confirm")
    page.goto(url("doses:regimen", sam.pk))
    expect(page.get_by_role("button", name="Confirm this change")).to_be_visible()
    assert_accessible(page)
    page.goto(url("doses:patient", sam.pk))
    proposal = page.get_by_role("region", name=re.compile("Proposed change"))
    expect(proposal).to_contain_text("DOSE-PED-STEP")
    assert_accessible(page)
    proposal.get_by_label(re.compile("Reason for declining")).fill("Go to 3 mg/kg first; we review in a week.")
    proposal.get_by_role("button", name="Decline this change").click()
    expect(page.get_by_role("status").first).to_contain_text("Change declined")
    assert RegimenProposal.objects.get().status == RegimenProposal.Status.DECLINED
    page.get_by_role("button", name=re.compile("Sign out|Log out")).click()

    # 3. The family sees why on Today.
    sign_in(page, "pat@example.org", PASSWORD)
    page.goto(url("doses:today", sam.pk))
    expect(page.get_by_text("Go to 3 mg/kg first; we review in a week.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "journey-proposal")
