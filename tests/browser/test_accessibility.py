"""axe-core on every page a user reaches: no serious or critical violation, at phone size.

Each row is (who is signed in, URL name, which patient the URL is about). A page whose URL
name does not exist yet (another helper is still building it) is an expected failure until
it lands; from then on it is checked like every other page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from companion.models import CareRole, Invitation
from tests.browser.conftest import assert_accessible, page_exists, screenshot, waiting_for
from tests.conftest import link, make_patient, make_user

# (user, URL name, patient the URL is about or None, extra kwargs)
PAGES = [
    ("anonymous", "login", None, {}),
    ("anonymous", "signup", None, {}),
    ("anonymous", "password_reset", None, {}),
    ("anonymous", "password_reset_done", None, {}),
    ("anonymous", "invitation_accept", None, {"token": "INVITATION"}),
    ("anonymous", "not-a-page", None, {}),  # the 404 page
    ("patient", "patients", None, {}),
    ("patient", "patient_new", None, {}),
    ("patient", "patient_edit", "alice", {}),
    ("patient", "circle", "alice", {}),
    ("patient", "data_rights", "alice", {}),
    ("patient", "audit_trail", "alice", {}),
    ("patient", "patient_delete", "alice", {}),
    ("patient", "doses:today", "alice", {}),
    ("patient", "doses:regimen", "alice", {}),
    ("patient", "doses:regimen_new", "alice", {}),
    ("patient", "doses:log", "alice", {}),
    ("patient", "doses:side_effects", "alice", {}),
    ("patient", "doses:supply", "alice", {}),
    ("patient", "doses:medicines", "alice", {}),
    ("patient", "doses:patient", "alice", {}),
    ("patient", "reminders:preferences", "alice", {}),
    ("parent", "patients", None, {}),
    ("parent", "doses:today", "child", {}),
    ("parent", "doses:calculator", "child", {}),
    ("parent", "doses:log", "child", {}),
    ("caregiver", "doses:today", "alice", {}),
    ("clinician", "doses:panel", None, {}),
    ("clinician", "doses:patient", "alice", {}),
    ("clinician", "doses:regimen", "alice", {}),
    ("clinician", "doses:regimen_confirm", "alice", {}),
]


def _param(user: str, name: str, patient: str | None, extra: dict):
    marks = [] if name == "not-a-page" else waiting_for(name)
    label = f"{user}-{name.replace(':', '-')}" + (f"-{patient}" if patient else "")
    return pytest.param(user, name, patient, extra, marks=marks, id=label)


@pytest.fixture
def people(world, alice_on_regimen):
    """The shared world, plus a parent with a child on a weight-based regimen and an open invitation."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from doses import services
    from doses.models import Regimen

    parent = make_user("pat@example.org", "Pat Parent")
    child = make_patient(
        "Sam Child",
        dob=date.today() - timedelta(days=6 * 365),
        weight_kg=Decimal("20"),
        weight_measured_on=date.today(),
    )
    link(child, parent, CareRole.PARENT)
    services.create_regimen_version(
        patient=child,
        entered_by=parent,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        daily_dose_mg=Decimal("40"),
        mg_per_kg=Decimal("2"),
        weight_kg_basis=Decimal("20"),
        interval_days=1,
        administrations_per_day=1,
        times_of_day=["08:00"],
        starts_on=child.local_today() - timedelta(days=2),
        confirmed=False,
    )
    token, token_hash = Invitation.new_token()
    Invitation.objects.create(
        patient=world.alice,
        email="newcomer@example.org",
        role=CareRole.CAREGIVER,
        token_hash=token_hash,
        invited_by=world.alice_user,
        expires_at=timezone.now() + Invitation.VALID_FOR,
    )
    users = {
        "anonymous": None,
        "patient": world.alice_user,
        "caregiver": world.bob,
        "clinician": world.carol,
        "parent": parent,
    }
    return {"users": users, "patients": {"alice": world.alice, "child": child}, "invitation_token": token}


@pytest.mark.parametrize(("who", "name", "patient", "extra"), [_param(*row) for row in PAGES])
def test_page_has_no_serious_accessibility_problem(phone, live_server, log_in_as, people, who, name, patient, extra):
    user = people["users"][who]
    if user is not None:
        log_in_as(phone, user)
    kwargs = {k: (people["invitation_token"] if v == "INVITATION" else v) for k, v in extra.items()}
    if patient:
        kwargs["patient_id"] = people["patients"][patient].pk
    path = "/this-page-does-not-exist/" if name == "not-a-page" else reverse(name, kwargs=kwargs or None)
    response = phone.goto(live_server.url + path)
    expected = 404 if name == "not-a-page" else 200
    assert response.status == expected, f"{path} as {who}: HTTP {response.status}"
    assert_accessible(phone)
    if name == "not-a-page":
        screenshot(phone, "page-404")


def test_every_page_in_the_list_exists_or_is_awaited():
    """Guard against typos in PAGES: once a name exists it must reverse with the kwargs given."""
    for _who, name, _patient, extra in PAGES:
        if name != "not-a-page" and page_exists(name):
            kwargs = {k: "x" for k in extra}
            reverse(name, kwargs={**kwargs, **({"patient_id": 1} if _patient else {})})
