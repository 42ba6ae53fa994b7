"""Journey: this morning's dose is logged; in the evening the patient tries to log the next one
early. Today says "Tomorrow 08:00, you can log it from 06:00", never "Due", and the log page
refuses a dose now, saying when it can be logged (MISS-NODOUBLE, MISS-SKIP).

"The evening" without faking the server's clock: the patient lives in a fixed-offset zone
(Etc/GMT±N) where it is 21:xx now, between today's 20:00 cut-off and 06:00 tomorrow.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from companion.models import CareRole
from doses.models import DoseSlot, Injection
from doses.rules import dose_timing
from doses.services import injections as injection_services
from tests.browser.conftest import assert_accessible, screenshot, sign_in, waiting_for
from tests.browser.test_journey_missed_dose import zone_where_it_is
from tests.conftest import PASSWORD, link, make_patient, make_user, start_adult_regimen

pytestmark = waiting_for("doses:today", "doses:log")


def test_MISS_NODOUBLE_an_evening_attempt_at_tomorrows_dose_is_refused_and_today_says_when(phone, url):
    now = timezone.now()
    zone = zone_where_it_is(21, now)
    user = make_user("eve@example.org", "Eve Evening")
    eve = make_patient("Eve Evening", zone=zone, account=user)
    link(eve, user, CareRole.SELF)
    doctor = make_user("dr.dee@example.org", "Dr Dee Clinician")
    link(eve, doctor, CareRole.CLINICIAN)
    today = eve.local_today(now)
    start_adult_regimen(eve, doctor, starts_on=today - timedelta(days=2), now=now)
    this_morning = DoseSlot.objects.get(patient=eve, local_date=today)
    taken_at = dose_timing.local_slot(today, time(8, 10), eve.zone)
    injection_services.record_injection(slot=this_morning, taken_at=taken_at, site_spot="thigh-left-1", by=user, now=now)

    page = phone
    sign_in(page, "eve@example.org", PASSWORD)
    expect(page).to_have_url(url("doses:today", patient_id=eve.pk))
    card = page.locator(".dose-card").filter(has_text="Next dose")
    expect(card).to_contain_text("Tomorrow 08:00, you can log it from 06:00.")
    expect(card).not_to_contain_text("Due")
    expect(card.get_by_role("link", name="Log this dose")).to_have_count(0)
    assert_accessible(page)

    # The log page: the dose due (this morning's) is logged, so "Done for today" and when the
    # next one can be logged, not the form.
    page.goto(url("doses:log", patient_id=eve.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Done for today")
    expect(page.locator("#done-for-today")).to_contain_text("can be logged from 06:00 tomorrow")
    expect(page.locator("#log-form")).to_have_count(0)
    assert_accessible(page)
    # Tomorrow's dose opened directly (?slot=): the form says it cannot be logged yet, and refuses it.
    tomorrow = DoseSlot.objects.get(patient=eve, local_date=today + timedelta(days=1))
    page.goto(url("doses:log", patient_id=eve.pk) + f"?slot={tomorrow.pk}")
    expect(page.locator("#log-refusal")).to_contain_text("can be logged from 06:00 tomorrow")
    page.get_by_text("Choose another spot", exact=True).click()  # the body map opens on demand
    page.get_by_role("radio", name=re.compile(r"stomach.*spot 1", re.I)).first.check()
    for check in page.locator("fieldset.prep-check").all():
        check.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Log this dose").click()
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("can be logged from 06:00 tomorrow")
    assert_accessible(page)
    assert Injection.objects.filter(patient=eve).count() == 1
    screenshot(page, "journey-early-dose")
