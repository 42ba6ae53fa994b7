"""Hostile input at every form of the app: never a 500, never rendered unescaped, never a change without permission.

The forms are found through the access matrix: every route with a POST entry, with the
valid body its entry builds. Hypothesis then replaces one field (or adds one) with a
hostile value: huge and negative numbers, wrong types, several values for one field,
HTML and script, very long strings, unknown ids, control characters. Each example runs in
a savepoint that is rolled back, so examples do not see each other's rows.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import changed_tables, snapshot
from .test_access_matrix import LOGIN, NOT_ALLOWED, NOT_FOUND, ROUTES, denied

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('pwned')</script>"
IMG = '"><img src=x onerror=alert(1)>'
MARKERS = (SCRIPT, IMG, "<b>bold</b>")

HOSTILE_VALUES = st.one_of(
    st.sampled_from(
        [
            SCRIPT,
            IMG,
            "<b>bold</b>",
            "9" * 400,
            "99999999999999999999",
            "-1",
            "-99999999",
            "0",
            "1e309",
            "NaN",
            "inf",
            "-0.0000001",
            "3.14159265358979323846",
            "",
            " ",
            "\x00",
            "null",
            "true",
            "[]",
            "{}",
            "2026-02-30",
            "9999-12-31",
            "0001-01-01",
            "25:61",
            "1' OR '1'='1",
            "../../etc/passwd",
            '=HYPERLINK("http://evil")',
            "x" * 20000,
            "é" * 5000,
            "\u202eevil",
            "987654321",
        ]
    ),
    st.text(max_size=60),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
EXTRA_FIELDS = ["patient_id", "id", "slot", "lab_test", "injection", "user", "role", "account", "is_staff"]

# Every form: routes with a POST entry, except signing out (no body to attack).
FORM_ROUTES = sorted(
    name
    for name, route in ROUTES.items()
    if route.post is not None and name != "logout" and not all(denied(o) for o in route.post.values())
)
PERMITTED_ORDER = ("patient", "caregiver", "clinician", "anonymous", "stranger")


def permitted_person(route) -> str:
    for who in PERMITTED_ORDER:
        if not denied(route.post[who]):
            return who
    raise AssertionError("no one may post this form")


def outsider(route) -> str | None:
    """Someone the table refuses (stranger first); None when everybody may post (public forms)."""
    for who in ("stranger", "revoked_caregiver", "caregiver", "clinician", "patient", "anonymous"):
        if route.post[who] in (NOT_FOUND, LOGIN, NOT_ALLOWED, 403):
            return who
    return None


def assert_escaped(response, what: str) -> None:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return
    page = response.content.decode(errors="replace")
    for marker in MARKERS:
        assert marker not in page, f"{what}: {marker!r} rendered unescaped"


@pytest.mark.parametrize("name", FORM_ROUTES)
def test_hostile_form_input_is_refused_calmly(world, records, client_for, name):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world, records))
    valid = route.data(world, records)
    fields = sorted(valid) + EXTRA_FIELDS
    who_may = permitted_person(route)
    who_may_not = outsider(route)

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        field=st.sampled_from(fields),
        value=st.one_of(HOSTILE_VALUES, st.lists(HOSTILE_VALUES, min_size=2, max_size=3)),
    )
    def attack(field, value):
        body = {**valid, field: value}
        with transaction.atomic():
            client = client_for(world.users()[who_may])
            response = client.post(url, body)
            assert response.status_code < 500, f"{name} {field}={value!r}: {response.status_code}"
            assert_escaped(response, f"{name} {field}={value!r}")
            if response.status_code in (301, 302) and response["Location"].startswith("/"):
                # The page the form leads to shows what was just saved: it must be escaped there too.
                shown = client.get(response["Location"])
                assert shown.status_code < 500
                assert_escaped(shown, f"{name} then {response['Location']}")
            transaction.set_rollback(True)
        if who_may_not is not None:
            with transaction.atomic():
                client = client_for(world.users()[who_may_not])
                before = snapshot()
                response = client.post(url, body)
                assert response.status_code in (302, 403, 404, 405), (name, who_may_not, response.status_code)
                assert not changed_tables(before, snapshot()), f"{name} as {who_may_not} changed something"
                transaction.set_rollback(True)

    attack()


PATIENT_ROUTES = sorted(name for name, route in ROUTES.items() if route.guard == "patient")


@pytest.mark.parametrize("name", PATIENT_ROUTES)
def test_out_of_range_ids_in_the_url_are_404_not_500(world, records, client_for, name):
    route = ROUTES[name]
    client = client_for(world.alice_user if not denied(route.get["patient"]) else world.carol)
    kwargs = route.kwargs(world, records)
    for key in kwargs:
        for bad in (0, 2**63, 10**30):
            url = reverse(name, kwargs={**kwargs, key: bad})
            for method in (client.get, client.post):
                response = method(url)
                assert response.status_code in (404, 405), f"{method.__name__.upper()} {url}: {response.status_code}"


def test_text_typed_into_a_record_is_shown_escaped_everywhere(world, records, client_for):
    """A symptom described with HTML is stored as typed and shown as text on every page and export."""
    from doses.models import SideEffect

    client = client_for(world.bob)
    response = client.post(
        reverse("doses:side_effects", args=[world.alice.pk]),
        {
            "symptom": "other",
            "severity": "mild",
            "started_on": world.alice.local_today().isoformat(),
            "description": SCRIPT,
        },
    )
    assert response.status_code == 302
    effect = SideEffect.objects.filter(patient=world.alice, description=SCRIPT).get()
    for url in (
        reverse("doses:side_effects", args=[world.alice.pk]),
        reverse("doses:side_effect_detail", args=[world.alice.pk, effect.pk]),
        reverse("doses:patient", args=[world.alice.pk]),
        reverse("doses:report", args=[world.alice.pk]),
    ):
        page = client_for(world.carol).get(url)
        assert page.status_code == 200, url
        assert SCRIPT not in page.content.decode(), url
        assert "&lt;script&gt;" in page.content.decode() or url.endswith("/overview/"), url
    fhir = client_for(world.carol).get(reverse("doses:export_fhir", args=[world.alice.pk]))
    assert fhir.status_code == 200 and "application/" in fhir["Content-Type"]  # JSON, never HTML


def test_a_spreadsheet_formula_typed_as_text_is_exported_as_text(world, records, client_for):
    client = client_for(world.bob)
    client.post(
        reverse("doses:side_effects", args=[world.alice.pk]),
        {
            "symptom": "other",
            "severity": "mild",
            "started_on": world.alice.local_today().isoformat(),
            "description": '=HYPERLINK("http://evil.example","click")',
        },
    )
    csv = client_for(world.alice_user).get(reverse("doses:export_csv", args=[world.alice.pk])).content.decode()
    assert not re.search(r'(^|,)"?=HYPERLINK', csv, re.MULTILINE)
    assert "'=HYPERLINK" in csv
