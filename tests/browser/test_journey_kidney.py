"""Journey (issue 15, parts 1 and 2): the clinician types a creatinine in µmol/L as mg/dL and is
told so; enters it right and sees the clearance estimated by Cockcroft-Gault with its inputs and
the every-other-day suggestion (SCHED-RENAL); proposes the change from the patient page, prefilled;
a caregiver's low neutrophil count shows on the trend (AE-LABS, AE-NEUTROPENIA)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect

from doses.models import KidneyFunction, LabTest
from doses.services import records as record_services
from tests.browser.conftest import assert_accessible, screenshot


def test_SCHED_RENAL_clinician_records_a_creatinine_sees_the_estimate_and_proposes_every_other_day(
    desktop, url, world, alice_on_regimen, log_in_as
):
    today = world.alice.local_today()
    lab = LabTest.objects.get(patient=world.alice, label="Before starting")
    record_services.record_lab_result(
        lab_test=lab, done_on=today - timedelta(days=3), neutrophils_10e9_per_l=Decimal("1.3"), by=world.bob
    )
    page = desktop
    log_in_as(page, world.carol)
    page.goto(url("doses:labs", world.alice.pk))
    page.get_by_label("Serum creatinine from the lab report").check()
    page.get_by_label("Serum creatinine", exact=True).fill("186")
    page.get_by_label("mg/dL").check()
    page.get_by_label("Female").check()
    page.get_by_label("Weight (kg) on the day").fill("40")
    page.get_by_role("button", name="Save kidney function").click()
    expect(page.get_by_text("186 looks like µmol/L: choose µmol/L as the unit")).to_be_visible()
    assert not KidneyFunction.objects.exists()
    assert_accessible(page)

    page.get_by_label("µmol/L").check()
    page.get_by_role("button", name="Save kidney function").click()
    kidney = page.locator("#kidney")
    expect(kidney).to_contain_text("Creatinine clearance 21.1 mL/min")
    expect(kidney).to_contain_text("estimated from serum creatinine")
    expect(kidney).to_contain_text("2.10 mg/dL (186 µmol/L)")
    expect(kidney).to_contain_text("× 0.85 (female) = 21.1 mL/min")
    assert_accessible(page)
    screenshot(page, "journey-kidney-labs")

    page.goto(url("doses:patient", world.alice.pk))
    expect(page.get_by_text("The latest count is below 1.5")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "journey-kidney-patient")
    page.get_by_role("link", name="Propose every other day").first.click()
    expect(page.get_by_label("Every other day, for decreased kidney function")).to_be_checked()
    expect(page.get_by_label("Why (reason for this regimen or change)")).to_have_value(
        "Creatinine clearance 21.1 mL/min (estimated from serum creatinine (Cockcroft-Gault), blood taken "
        f"{today.day} {today:%b %Y}): every other day (SCHED-RENAL)."
    )
