"""Journey: a parent signs up on a phone, adds a child's profile, enters the weight-based
regimen from the paediatric calculator, and logs the first injection on the body map."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from companion.models import Patient
from doses.models import Injection, Regimen
from tests.browser.conftest import assert_accessible, field, screenshot, waiting_for
from tests.conftest import PASSWORD, link_in

pytestmark = waiting_for("doses:calculator", "doses:log")


def test_parent_signs_up_adds_a_child_enters_the_regimen_and_logs_the_first_injection(
    phone, url, live_server, settings, celery_eager
):
    page = phone
    settings.SITE_URL = live_server.url  # the confirmation link in the e-mail points at this server
    # 1. Sign up, then confirm the address with the e-mailed link (sent in-process: celery_eager).
    page.goto(url("signup"))
    assert_accessible(page)
    field(page, "Your name").fill("Pat Parent")
    field(page, "E-mail address").fill("pat.parent@example.org")
    field(page, "Password").fill(PASSWORD)
    field(page, "Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.goto(link_in(mail.outbox[-1], "/accounts/signup/confirm/"))
    assert_accessible(page)
    field(page, "The password you chose").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and sign in").click()
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

    # 3. The regimen, from the paediatric calculator: 2 mg/kg/day for 18.5 kg = 37 mg a day.
    assert_accessible(page)
    page.get_by_role("link", name="Dose calculator").click()
    assert_accessible(page)
    expect(field(page, "Weight (kg)")).to_have_value("18.5")  # from the profile
    field(page, "Dose (mg/kg/day)").fill("2")
    page.get_by_role("button", name="Calculate").click()
    result = page.get_by_role("region", name="Result")
    expect(result).to_contain_text("37")
    # Every number's rule is under the result's "Why?", once each (issue 16).
    result.locator("details.why summary").click()
    expect(result.locator("details.why")).to_contain_text("DOSE-SYRINGE")
    assert_accessible(page)
    page.get_by_role("button", name="Use this in the regimen").click()
    assert_accessible(page)
    expect(field(page, "Dose (mg/kg/day)")).to_have_value(re.compile(r"^2(\.0+)?$"))
    in_new_york = timezone.now().astimezone(ZoneInfo("America/New_York"))
    field(page, "Time of day").fill(in_new_york.strftime("%H:00"))
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.get_by_role("status")).to_contain_text("awaiting confirmation")
    assert_accessible(page)
    regimen = Regimen.objects.current().get(patient=child)
    assert regimen.dose_basis == Regimen.DoseBasis.WEIGHT_BASED and regimen.daily_dose_mg == Decimal("37")
    assert not regimen.is_confirmed  # a parent's entry waits for the clinician

    # 4. The first injection, on the body map: a spot on the thigh, every check answered.
    page.get_by_role("link", name="Log a dose").click()
    assert_accessible(page)
    page.get_by_text("Choose another spot", exact=True).click()  # the body map opens on demand
    page.get_by_role("radio", name=re.compile(r"thigh.*spot 1", re.I)).first.check()
    for check in page.locator("fieldset.prep-check").all():
        check.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Log this dose").click()
    expect(page.get_by_role("status")).to_contain_text("Dose logged")
    assert_accessible(page)
    injection = Injection.objects.get(patient=child)
    assert "thigh" in injection.site_spot and injection.dose_mg == Decimal("37")
    screenshot(page, "journey-parent")
