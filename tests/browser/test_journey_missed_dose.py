"""Journey: a patient missed yesterday's dose, opens the app the next morning, follows the
missed-dose advice, and logs a serious symptom: the "call your doctor" instructions appear
and the care team gets an e-mail.

"The next morning" without faking the server's clock: the patient lives in a fixed-offset
time zone (Etc/GMT±N) chosen so that it is 08:xx there right now. Yesterday's 22:00 dose is
then 10-11 hours late, and the next one (22:00 today) 13-14 hours away, so the rules say
"take it now" (MISS-TAKE) with an hour's margin before the cut-off (MISS-SKIP, 12 hours).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from companion.models import CareRole
from doses.models import CareAlert, DoseSlot, SideEffect, SlotStatus
from reminders.models import Delivery
from tests.browser.conftest import assert_accessible, field, screenshot, sign_in, waiting_for
from tests.conftest import PASSWORD, link, make_patient, make_user, start_adult_regimen

pytestmark = waiting_for("doses:today", "doses:log", "doses:side_effects")


def zone_where_it_is(hour: int, now: datetime) -> str:
    """A fixed-offset zone whose local clock shows `hour`:xx at `now` (Etc/GMT-N is UTC+N)."""
    offset = (hour - now.astimezone(UTC).hour + 24) % 24
    if offset > 14:
        offset -= 24
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def test_patient_follows_missed_dose_advice_and_reports_a_serious_symptom(phone, url, celery_eager):
    now = timezone.now()
    zone = zone_where_it_is(8, now)
    user = make_user("pam@example.org", "Pam Patient")
    pam = make_patient("Pam Patient", zone=zone, account=user)
    link(pam, user, CareRole.SELF)
    doctor = make_user("dr.dee@example.org", "Dr Dee Clinician")
    link(pam, doctor, CareRole.CLINICIAN)
    yesterday = pam.local_today(now) - timedelta(days=1)
    start_adult_regimen(pam, doctor, starts_on=yesterday, times=("22:00",), now=now)
    missed = DoseSlot.objects.get(patient=pam, local_date=yesterday)
    assert missed.status == SlotStatus.PENDING and missed.is_overdue(now)

    # The next morning: the today page says yesterday's dose is late, and to take it now.
    page = phone
    sign_in(page, "pam@example.org", PASSWORD)
    expect(page).to_have_url(url("doses:today", patient_id=pam.pk))
    assert_accessible(page)
    advice = page.locator(".advice")
    expect(advice).to_contain_text("Take it now")
    # Plain words; the rule behind them is one tap away, under "Why?" (issue 16).
    expect(advice.get_by_text("MISS-TAKE")).to_be_hidden()
    advice.locator("details.why summary").click()
    expect(advice.get_by_text("MISS-TAKE")).to_be_visible()
    expect(advice).to_contain_text("cut-off")  # the cut-off is shown, not hidden (MISS-SKIP)

    # Follow the advice: log the late dose now; it counts for yesterday's slot.
    page.get_by_role("link", name="Log this dose").click()
    expect(page.get_by_role("note").first).to_contain_text("22:00")
    assert_accessible(page)
    page.get_by_text("Choose another spot", exact=True).click()  # the body map opens on demand
    page.get_by_role("radio", name=re.compile(r"stomach.*spot 1", re.I)).first.check()
    for check in page.locator("fieldset.prep-check").all():
        check.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Log this dose").click()
    expect(page.get_by_role("status")).to_contain_text("Dose logged")
    missed.refresh_from_db()
    assert missed.status == SlotStatus.TAKEN

    # A serious symptom: a fever. What to do appears at once: call the doctor.
    page.get_by_role("link", name=re.compile("Symptoms")).first.click()
    assert_accessible(page)
    field(page, "Symptom").select_option("fever")
    page.get_by_role("radio", name="Moderate").check()
    page.get_by_role("button", name="Log symptom").click()
    instructions = page.get_by_role("alert").filter(has_text="Call your doctor now")
    expect(instructions).to_be_visible()
    expect(instructions).to_contain_text("Your care team has been alerted")
    assert_accessible(page)
    assert SideEffect.objects.filter(patient=pam, is_serious=True).count() == 1
    assert CareAlert.objects.filter(patient=pam, kind=CareAlert.Kind.SERIOUS_SYMPTOM).count() == 1

    # The care team is told by e-mail, sent in-process (see the celery_eager fixture), with the
    # least health information in the subject.
    to_doctor = [m for m in mail.outbox if "dr.dee@example.org" in m.to]
    assert len(to_doctor) == 1, f"E-mails sent: {[(m.to, m.subject) for m in mail.outbox]}"
    assert "fever" not in to_doctor[0].subject.lower()
    assert Delivery.objects.filter(recipient=doctor, status=Delivery.Status.SENT).exists()
    screenshot(page, "journey-missed-dose")
