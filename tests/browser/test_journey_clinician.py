"""Journey: a clinician signs in, confirms a regimen a parent entered, sorts the panel by
attention, opens a patient, and downloads the FHIR export (a FHIR Bundle)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from companion.models import CareRole
from doses import services
from doses.models import Regimen
from tests.browser.conftest import assert_accessible, screenshot, sign_in, waiting_for
from tests.conftest import PASSWORD, link, make_patient, make_user

pytestmark = waiting_for("doses:panel", "doses:regimen_confirm", "doses:patient", "doses:export_fhir")


def test_clinician_confirms_a_regimen_sorts_the_panel_opens_a_patient_and_exports_fhir(desktop, url, world):
    parent = make_user("pat@example.org", "Pat Parent")
    child = make_patient(
        "Sam Child",
        dob=date.today() - timedelta(days=6 * 365),
        weight_kg=Decimal("20"),
        weight_measured_on=date.today(),
    )
    link(child, parent, CareRole.PARENT)
    link(child, world.carol, CareRole.CLINICIAN)
    entered = services.create_regimen_version(
        patient=child,
        entered_by=parent,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        daily_dose_mg=Decimal("40"),
        mg_per_kg=Decimal("2"),
        weight_kg_basis=Decimal("20"),
        interval_days=1,
        administrations_per_day=1,
        times_of_day=["08:00"],
        starts_on=child.local_today() - timedelta(days=3),
        confirmed=False,
    )

    page = desktop
    sign_in(page, "carol@example.org", PASSWORD)
    expect(page).to_have_url(re.compile(r"/panel/"))
    assert_accessible(page)

    # Confirm the regimen the parent entered.
    page.goto(url("doses:regimen", patient_id=child.pk))
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).first.click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("confirmed", re.I))
    entered.refresh_from_db()
    assert entered.is_confirmed and entered.confirmed_by == world.carol

    # The panel, sorted by attention.
    page.goto(url("doses:panel"))
    page.get_by_role("link", name=re.compile("attention", re.I)).first.click()
    assert_accessible(page)
    expect(page.get_by_role("link", name="Sam Child")).to_be_visible()
    page.get_by_role("link", name="Alice Example").click()
    assert_accessible(page)

    # The FHIR export downloads a Bundle.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("FHIR", re.I)).first.click()
    bundle = json.loads(open(download_info.value.path()).read())
    assert bundle["resourceType"] == "Bundle"
    assert any(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"])
    screenshot(page, "journey-clinician")
