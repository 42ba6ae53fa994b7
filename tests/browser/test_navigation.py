"""Finding one's way on a phone: the menu opens, the patient's sections are one tap away and
say which one is open, and signing out works."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible


def test_phone_menu_patient_sections_and_sign_out(phone, url, log_in_as, world, alice_on_regimen):
    page = phone
    log_in_as(page, world.alice_user)
    page.goto(url("doses:today", patient_id=world.alice.pk))

    sections = page.get_by_role("navigation", name="Alice Example's record")
    expect(sections.get_by_role("link", name="Today")).to_have_attribute("aria-current", "page")
    sections.get_by_role("link", name="Regimen").click()
    expect(page).to_have_url(url("doses:regimen", patient_id=world.alice.pk))
    expect(sections.get_by_role("link", name="Regimen")).to_have_attribute("aria-current", "page")
    expect(sections.get_by_role("link", name="Today")).not_to_have_attribute("aria-current", "page")

    # The menu is folded away on a phone and opens with its button (Bootstrap's script runs under the CSP).
    menu = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("link", name="My people")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="My people")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(url("doses:today", patient_id=world.alice.pk))
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))  # signed out for real
