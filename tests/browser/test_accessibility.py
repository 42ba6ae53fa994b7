"""axe-core on every page a user reaches: no serious or critical violation, at phone size.

Each row of PAGES is (who is signed in, URL name, which patient the URL is about). One test
per person walks all of their pages in one browser session (fast) and reports every page
with a problem at once. A URL name that does not exist yet (another helper is still building
that page) makes that person's test an expected failure until it lands. Each page is also
saved as test-artifacts/screenshots/pages/<who>-<page>.png with PAGE_SCREENSHOTS=1, to look at.
"""

from __future__ import annotations

import os
import warnings

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from companion.models import CareMembership, CareRole, Invitation
from companion.tokens import sign_up_link_kwargs
from reminders.models import NotificationPreference
from tests.browser.conftest import axe_violations, describe_violations, page_exists, screenshot
from tests.conftest import link, make_patient, make_user, start_weight_based_regimen

# (user, URL name, patient the URL is about or None, extra kwargs). Values in capitals are
# filled in from the `people` fixture: INVITATION, SLOT (a pending dose), SIDE_EFFECT.
PAGES = [
    ("anonymous", "login", None, {}),
    ("anonymous", "signup", None, {}),
    ("anonymous", "signup_done", None, {}),
    ("anonymous", "signup_confirm", None, {"uidb64": "SIGNUP_UID", "token": "SIGNUP_TOKEN"}),
    ("anonymous", "password_reset", None, {}),
    ("anonymous", "password_reset_done", None, {}),
    ("anonymous", "password_reset_complete", None, {}),
    ("anonymous", "invitation_accept", None, {"token": "INVITATION"}),
    ("anonymous", "not-a-page", None, {}),  # the 404 page
    ("patient", "patients", None, {}),
    ("patient", "patient_new", None, {}),
    ("patient", "password_change", None, {}),
    ("patient", "patient_edit", "alice", {}),
    ("patient", "circle", "alice", {}),
    ("patient", "care_team", "alice", {}),
    ("patient", "data_rights", "alice", {}),
    ("patient", "audit_trail", "alice", {}),
    ("patient", "patient_delete", "alice", {}),
    ("patient", "doses:today", "alice", {}),
    ("patient", "doses:log", "alice", {}),
    ("patient", "doses:not_taken", "alice", {"slot_id": "SLOT"}),
    ("patient", "doses:side_effects", "alice", {}),
    ("patient", "doses:side_effect_detail", "alice", {"side_effect_id": "SIDE_EFFECT"}),
    ("patient", "doses:supply", "alice", {}),
    ("patient", "doses:fridge", "alice", {}),
    ("patient", "doses:medicines", "alice", {}),
    ("patient", "doses:vaccinations", "alice", {}),
    ("patient", "doses:baseline", "alice", {}),
    ("patient", "doses:labs", "alice", {}),
    ("patient", "doses:regimen", "alice", {}),
    ("patient", "doses:regimen_new", "alice", {}),
    ("patient", "doses:patient", "alice", {}),
    ("patient", "doses:report", "alice", {}),
    ("patient", "reminders:preferences", "alice", {}),
    ("patient", "reminders:feed_settings", "alice", {}),
    ("parent", "patients", None, {}),
    ("parent", "doses:today", "child", {}),
    ("parent", "doses:regimen", "child", {}),
    ("parent", "doses:regimen_new", "child", {}),
    ("parent", "doses:calculator", "child", {}),
    ("parent", "doses:log", "child", {}),
    ("parent", "doses:calculator_any", None, {}),
    ("caregiver", "doses:today", "alice", {}),
    ("caregiver", "doses:log", "alice", {}),
    ("clinician", "doses:panel", None, {}),
    ("clinician", "doses:patient", "alice", {}),
    ("clinician", "doses:regimen", "child", {}),  # awaiting confirmation: the confirm button shows
    ("clinician", "doses:report", "alice", {}),
    ("clinician", "doses:labs", "alice", {}),  # the kidney function form (SCHED-RENAL)
    ("staff", "reminders:status", None, {}),
    ("clinician", "two_factor", None, {}),
    ("patient", "password_change_done", None, {}),
    ("anonymous", "password_reset_confirm", None, {"uidb64": "RESET_UID", "token": "RESET_TOKEN"}),
    ("anonymous", "reminders:unsubscribe", None, {"token": "UNSUBSCRIBE"}),
]

# URL names that are not pages a person reads: actions (POST only), redirects, downloads,
# feeds, the manifest, the admin. Every other URL name must be in PAGES (see the test below).
NOT_PAGES = {
    "home": "redirects to the person's start page",
    "admin_login": "redirects to the app's sign-in",
    "logout": "POST only",
    "manifest": "JSON for the browser (test_installable.py)",
    "membership_revoke": "POST only",
    "invitation_revoke": "POST only",
    "two_factor_verify": "only during a sign-in with two-factor on; redirects to sign-in otherwise",
    "doses:discard": "POST only",
    "doses:side_effect_resolve": "POST only",
    "doses:supply_correct": "POST only",
    "doses:fridge_close": "POST only",
    "doses:medicine_stop": "POST only",
    "doses:regimen_confirm": "POST only",
    "doses:proposal_confirm": "POST only",
    "doses:proposal_decline": "POST only",
    "doses:proposal_withdraw": "POST only",
    "doses:treatment_hold": "POST only",
    "doses:treatment_resume": "POST only",
    "doses:treatment_stop": "POST only",
    "doses:kidney_result": "POST only (the labs page shows its form)",
    "doses:export_csv": "a download",
    "doses:export_fhir": "a download (test_journey_clinician.py)",
    "reminders:feed": "an iCalendar feed",
    "reminders:feed_regenerate": "POST only",
}


@pytest.fixture
def people(world, alice_on_regimen):
    """The shared world, plus a parent with a child on a weight-based regimen and an open invitation."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from doses.services import records as record_services

    parent = make_user("pat@example.org", "Pat Parent")
    child = make_patient(
        "Sam Child",
        dob=date.today() - timedelta(days=6 * 365),
        weight_kg=Decimal("20"),
        weight_measured_on=date.today(),
    )
    link(child, parent, CareRole.PARENT)
    start_weight_based_regimen(
        child,
        parent,
        weight_kg="20",
        daily_dose_mg=Decimal("40"),
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
    link(child, world.carol, CareRole.CLINICIAN)
    headache = record_services.record_side_effect(
        patient=world.alice,
        symptom="headache",
        severity="mild",
        started_on=world.alice.local_today(),
        by=world.alice_user,
    ).side_effect
    slot = world.alice.slots.filter(status="pending").order_by("scheduled_at").first()
    staff = make_user("sam.staff@example.org", "Sam Staff")
    staff.is_staff = True
    staff.save()
    users = {
        "staff": staff,
        "anonymous": None,
        "patient": world.alice_user,
        "caregiver": world.bob,
        "clinician": world.carol,
        "parent": parent,
    }
    newcomer = make_user("nina.newcomer@example.org", "Nina Newcomer")  # signed up, not yet confirmed
    newcomer.is_active = False
    newcomer.save()
    signup_link = sign_up_link_kwargs(newcomer)
    reset_uid = urlsafe_base64_encode(force_bytes(world.mallory.pk))
    reset_token = default_token_generator.make_token(world.mallory)
    preference, _ = NotificationPreference.objects.get_or_create(
        membership=CareMembership.objects.get(patient=world.alice, user=world.bob, revoked_at__isnull=True)
    )
    placeholders = {
        "INVITATION": token,
        "SLOT": slot.pk,
        "SIDE_EFFECT": headache.pk,
        "RESET_UID": reset_uid,
        "RESET_TOKEN": reset_token,
        "UNSUBSCRIBE": preference.unsubscribe_token,
        "SIGNUP_UID": signup_link["uidb64"],
        "SIGNUP_TOKEN": signup_link["token"],
    }
    return {"users": users, "patients": {"alice": world.alice, "child": child}, "placeholders": placeholders}


def _kwargs(people, patient, extra) -> dict:
    kwargs = {key: people["placeholders"].get(value, value) for key, value in extra.items()}
    if patient:
        kwargs["patient_id"] = people["patients"][patient].pk
    return kwargs


WHO = sorted({row[0] for row in PAGES})


# Everyone at phone size; the people who mostly sit at a desk (clinicians, staff) at desktop size too,
# where the full navigation bar shows.
SIZES = [(who, "phone") for who in WHO] + [("clinician", "desktop"), ("staff", "desktop"), ("patient", "desktop")]


@pytest.mark.parametrize(("who", "size"), SIZES)
def test_no_page_has_a_serious_accessibility_problem(request, live_server, log_in_as, people, who, size):
    phone = request.getfixturevalue(size)  # the page fixture of that size
    user = people["users"][who]
    if user is not None:
        log_in_as(phone, user)
    problems, waiting = [], []
    for row_who, name, patient, extra in PAGES:
        if row_who != who:
            continue
        if name != "not-a-page" and not page_exists(name):
            waiting.append(name)
            continue
        path = (
            "/this-page-does-not-exist/"
            if name == "not-a-page"
            else reverse(name, kwargs=_kwargs(people, patient, extra))
        )
        response = phone.goto(live_server.url + path)
        expected = 404 if name == "not-a-page" else 200
        if response.status != expected:
            problems.append(f"{path}: HTTP {response.status}, expected {expected}")
            continue
        violations = axe_violations(phone)
        if violations:
            problems.append(f"{path} ({name}):\n{describe_violations(violations)}")
        if os.environ.get("PAGE_SCREENSHOTS"):
            screenshot(phone, f"pages/{size}-{who}-{name.replace(':', '-')}")
    assert not problems, f"axe, signed in as {who}, {size} size:\n" + "\n".join(problems)
    if waiting:
        pytest.xfail(f"waiting for {', '.join(waiting)}")


def _url_patterns(resolver=None, namespace="") -> dict[str, set[str]]:
    """Every URL name of the app (not the admin's), with the arguments its route takes."""
    found: dict[str, set[str]] = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace != "admin":
                found.update(_url_patterns(pattern, inner))
        elif pattern.name:
            found[namespace + pattern.name] = set(getattr(pattern.pattern, "converters", {}))
    return found


def _unlisted() -> dict[str, set[str]]:
    listed = {row[1] for row in PAGES} | set(NOT_PAGES)
    return {name: args for name, args in _url_patterns().items() if name not in listed}


def test_pages_added_after_this_list_are_checked_too(phone, live_server, log_in_as, people):
    """A page another helper adds later is not skipped: visited as the patient (for alice when
    it is about a patient); anything that is not a page (a redirect, POST only) is passed over."""
    log_in_as(phone, people["users"]["patient"])
    problems, not_reachable = [], []
    for name, args in sorted(_unlisted().items()):
        if not args <= {"patient_id"}:
            not_reachable.append(name)
            continue
        kwargs = {"patient_id": people["patients"]["alice"].pk} if args else None
        path = reverse(name, kwargs=kwargs)
        response = phone.request.get(live_server.url + path, max_redirects=0)
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        phone.goto(live_server.url + path)
        violations = axe_violations(phone)
        if violations:
            problems.append(f"{path} ({name}):\n{describe_violations(violations)}")
    assert not problems, "axe, on pages not yet in PAGES:\n" + "\n".join(problems)
    if not_reachable:
        warnings.warn(f"Not checked by axe (add to PAGES in {__file__}): {not_reachable}", stacklevel=1)


def test_every_page_in_the_list_exists():
    """Guard against typos in PAGES: each name reverses with the kwargs given."""
    for _who, name, patient, extra in PAGES:
        if name != "not-a-page" and page_exists(name):
            reverse(name, kwargs={**{key: "1" for key in extra}, **({"patient_id": 1} if patient else {})})
