"""A new profile starts in the browser's time zone, which the picker lists first (issue 16, point 8; SCHED-TZ)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from companion.models import CareRole
from tests.browser.conftest import PHONE, _new_page, assert_accessible
from tests.conftest import link, make_patient, make_user


@pytest.fixture
def phone_in_toronto(browser, live_server, transactional_db):
    context, page, problems = _new_page(
        browser, live_server, PHONE, has_touch=True, device_scale_factor=2, timezone_id="America/Toronto"
    )
    yield page
    context.close()
    assert not problems.errors, "The browser reported problems:\n" + "\n".join(problems.errors)


def test_SCHED_TZ_a_new_profile_on_a_phone_in_toronto_starts_in_toronto(phone_in_toronto, url, log_in_as):
    page = phone_in_toronto
    log_in_as(page, make_user("new.parent@example.org", "New Parent"))
    page.goto(url("patient_new"))
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("America/Toronto")
    # The browser's zone is the first choice, in a group of its own, and is listed once.
    first = page.locator("select[name=time_zone] > optgroup").first
    expect(first).to_have_attribute("label", "This device's time zone")
    expect(first.locator("option")).to_have_count(1)
    expect(page.locator("select[name=time_zone] option[value='America/Toronto']")).to_have_count(1)
    assert_accessible(page)


def test_SCHED_TZ_editing_a_profile_in_another_zone_keeps_its_zone(phone_in_toronto, url, log_in_as):
    page = phone_in_toronto
    user = make_user("londoner@example.org", "Lon Doner")
    patient = make_patient("Lon Doner", zone="Europe/London", account=user)
    link(patient, user, CareRole.SELF)
    log_in_as(page, user)
    page.goto(url("patient_edit", patient.pk))
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")
    # Offered first all the same, for someone who has moved.
    expect(page.locator("select[name=time_zone] > optgroup").first.locator("option")).to_have_attribute(
        "value", "America/Toronto"
    )
