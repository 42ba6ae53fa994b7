"""The demo circle at phone size (390x844): Today, the log form, a serious symptom's result and
the history, as a newcomer sees them after `make run` (issue 16).

None of them scrolls sideways, and each is saved as a screenshot. `make screenshots` runs
this file and copies the pictures to docs/screenshots/, where the README shows them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from companion.models import Patient, User
from doses.management.commands.seed_demo import seed_demo_circle
from tests.browser.conftest import screenshot, visit

README_PICTURES = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at a 390 px phone: the person scrolls sideways"


def _keep(page, name: str) -> None:
    path = screenshot(page, name)
    if os.environ.get("README_SCREENSHOTS"):  # make screenshots
        README_PICTURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_PICTURES / path.name)


@pytest.fixture
def demo(transactional_db):
    seed_demo_circle()
    alice = Patient.objects.get(display_name="Alice Morgan")
    return alice, User.objects.get(email="alice@demo.example"), User.objects.get(email="carol@demo.example")


@pytest.mark.parametrize(
    "name,page_name", [("phone-today", "doses:today"), ("phone-log", "doses:log"), ("phone-history", "doses:patient")]
)
def test_todays_page_the_log_and_the_history_fit_a_phone(phone, demo, log_in_as, live_server, name, page_name):
    alice, alice_user, _carol = demo
    log_in_as(phone, alice_user)
    visit(phone, live_server.url + reverse(page_name, args=[alice.pk]))
    _no_sideways_scroll(phone)
    _keep(phone, name)


def test_a_serious_symptoms_result_on_a_phone_fits_the_screen_width(phone, demo, log_in_as, live_server):
    alice, alice_user, _carol = demo
    log_in_as(phone, alice_user)
    visit(phone, live_server.url + reverse("doses:side_effects", args=[alice.pk]))
    phone.get_by_label("Symptom").select_option(value="fever")  # AE-INFECTION: call the doctor now
    with phone.expect_navigation():
        phone.get_by_role("button", name="Log symptom").click()
    assert "doctor" in phone.content().lower()
    _no_sideways_scroll(phone)
    _keep(phone, "phone-symptom-result")


# Every page a person of the circle reads, by URL name (patient-scoped ones take the patient's id).
PHONE_PAGES = [
    ("patients", False),
    ("doses:panel", False),
    ("doses:today", True),
    ("doses:log", True),
    ("doses:side_effects", True),
    ("doses:supply", True),
    ("doses:fridge", True),
    ("doses:medicines", True),
    ("doses:vaccinations", True),
    ("doses:baseline", True),
    ("doses:labs", True),
    ("doses:regimen", True),
    ("doses:calculator", True),
    ("doses:patient", True),
    ("doses:report", True),
    ("patient_edit", True),
    ("circle", True),
    ("data_rights", True),
    ("audit_trail", True),
    ("reminders:preferences", True),
    ("reminders:feed_settings", True),
]


@pytest.mark.parametrize("who", ["alice@demo.example", "dan@demo.example", "carol@demo.example"])
def test_no_page_of_the_circle_scrolls_sideways_on_a_phone(phone, demo, log_in_as, live_server, who):
    """Issue 16: a person at 390 px never scrolls sideways, whichever page and role."""
    alice, _alice_user, _carol = demo
    user = User.objects.get(email=who)
    patient = Patient.objects.filter(memberships__user=user).order_by("pk").first() or alice
    log_in_as(phone, user)
    too_wide = []
    for name, scoped in PHONE_PAGES:
        response = phone.goto(live_server.url + reverse(name, args=[patient.pk] if scoped else None))
        if response is None or response.status >= 400:  # a page this role may not see
            continue
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            too_wide.append(f"{name}: {width} px")
    assert not too_wide, f"As {who}, these pages scroll sideways at 390 px: {too_wide}"
