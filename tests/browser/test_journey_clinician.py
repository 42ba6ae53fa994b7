"""Journey: a clinician signs in, confirms a regimen a parent entered, sorts the panel by
attention, opens a patient, and downloads the FHIR export (a FHIR Bundle)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

from companion.models import CareRole
from tests.browser.conftest import assert_accessible, screenshot, sign_in, waiting_for
from tests.conftest import PASSWORD, link, make_patient, make_user, start_weight_based_regimen

pytestmark = waiting_for("doses:panel", "doses:regimen_confirm", "doses:patient", "doses:export_fhir")


def test_clinician_confirms_a_regimen_sorts_the_panel_opens_a_patient_and_exports_fhir(
    desktop, url, world, alice_on_regimen
):
    # Alice has missed her last doses (needs attention); Aaron's parent entered his regimen today.
    parent = make_user("pat@example.org", "Pat Parent")
    aaron = make_patient(
        "Aaron Child",
        dob=date.today() - timedelta(days=6 * 365),
        weight_kg=Decimal("20"),
        weight_measured_on=date.today(),
    )
    link(aaron, parent, CareRole.PARENT)
    link(aaron, world.carol, CareRole.CLINICIAN)
    entered = start_weight_based_regimen(
        aaron,
        parent,
        weight_kg="20",
        times=("23:30",),
        daily_dose_mg=Decimal("40"),
        starts_on=aaron.local_today(),
        confirmed=False,
    )

    page = desktop
    sign_in(page, "carol@example.org", PASSWORD)
    expect(page).to_have_url(url("doses:panel"))
    assert_accessible(page)

    # Confirm the regimen the parent entered.
    page.get_by_role("link", name="Aaron Child").click()
    assert_accessible(page)
    page.get_by_role("navigation", name="Aaron Child's record").get_by_role("link", name="Regimen").click()
    expect(page.get_by_text("Awaiting clinician confirmation").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Regimen version 1 confirmed")
    entered.refresh_from_db()
    assert entered.is_confirmed and entered.confirmed_by == world.carol

    # The panel sorted by name, then by attention: Alice (missed doses) comes first.
    page.get_by_role("link", name="Patient panel").click()
    page.get_by_label("Sort by").select_option(label="Name")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("table tbody tr th[scope=row] a")
    expect(rows).to_have_text(["Aaron Child", "Alice Example"])
    page.get_by_label("Sort by").select_option(label="Needs attention first")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_text(["Alice Example", "Aaron Child"])
    assert_accessible(page)

    # Open Alice; her FHIR export downloads as a FHIR Bundle.
    rows.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Example")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="FHIR R4").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    bundle = json.loads(Path(download.path()).read_text())
    assert bundle["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "MedicationRequest"} <= kinds
    screenshot(page, "journey-clinician")
