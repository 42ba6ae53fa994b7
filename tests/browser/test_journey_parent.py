"""Journey: a parent signs up on a phone, adds a child's profile, enters the weight-based
regimen from the paediatric calculator, and logs the first injection on the body map."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from companion.models import Patient
from doses.models import Injection, Regimen
from tests.browser.conftest import assert_accessible, field, screenshot, waiting_for
from tests.conftest import PASSWORD

pytestmark = waiting_for("doses:calculator", "doses:log")


def test_parent_signs_up_adds_a_child_enters_the_regimen_and_logs_the_first_injection(phone, url):
    page = phone
    # 1. Sign up.
    page.goto(url("signup"))
    assert_accessible(page)
    field(page, "Your name").fill("Pat Parent")
    field(page, "E-mail address").fill("pat.parent@example.org")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/people/new/$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome")

    # 2. The child's profile: weight, when it was measured, time zone.
    assert_accessible(page)
    page.get_by_label(re.compile("My child")).check()
    field(page, "Name").fill("Sam Parent")
    six_years_ago = timezone.localdate() - timedelta(days=6 * 365 + 2)
    field(page, "Date of birth").fill(six_years_ago.isoformat())
    field(page, "Weight (kg)").fill("18.5")
    field(page, "Weight measured on").fill(timezone.localdate().isoformat())
    field(page, "Time zone").select_option("America/New_York")
    field(page, "Indication").select_option("CAPS")
    page.get_by_role("button", name="Create profile").click()
    expect(page.get_by_role("status")).to_contain_text("Profile for Sam Parent created")
    child = Patient.objects.get(display_name="Sam Parent")
    assert child.time_zone == "America/New_York"

    # 3. The regimen, from the paediatric calculator: 2 mg/kg/day for 18.5 kg = 37 mg.
    assert_accessible(page)
    page.goto(url("doses:calculator", patient_id=child.pk))
    assert_accessible(page)
    page.get_by_label(re.compile("mg/kg", re.I)).first.fill("2")
    page.get_by_role("button", name=re.compile("Calculate", re.I)).click()
    expect(page.get_by_text(re.compile(r"37(\.0)? mg"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("regimen", re.I)).click()
    assert_accessible(page)
    regimen = Regimen.objects.current().get(patient=child)
    assert regimen.dose_basis == Regimen.DoseBasis.WEIGHT_BASED and regimen.daily_dose_mg == 37
    assert not regimen.is_confirmed  # a parent's entry waits for the clinician

    # 4. The first injection, on the body map.
    page.goto(url("doses:log", patient_id=child.pk))
    assert_accessible(page)
    page.get_by_role("radio", name=re.compile("thigh", re.I)).first.check()
    for check in page.get_by_role("checkbox").all():
        check.check()
    page.get_by_role("button", name=re.compile("Log|Save", re.I)).click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("logged|saved", re.I))
    assert_accessible(page)
    assert Injection.objects.filter(patient=child).count() == 1
    screenshot(page, "journey-parent")
