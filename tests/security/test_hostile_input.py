"""Hostile input at every form of the app: never a 500, never rendered unescaped, never a change without permission.

The forms are found through the access matrix: every route with a POST entry, with the
valid body its entry builds. Hypothesis then replaces one field (or adds one) with a
hostile value: huge and negative numbers, wrong types, several values for one field,
HTML and script, very long strings, unknown ids, control characters. Each example runs in
a savepoint that is rolled back, so examples do not see each other's rows.

The pages are found the same way (every route with a GET entry) and get hostile query
strings. Some input only fails on PostgreSQL (a NUL in text, a value longer than its
column): run this module with DATABASE_URL=postgres://... too. The tests that need no luck
(a NUL in every token and every page's query, extreme dates in every date field, an
over-long value in every field) try every case, not a sample.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import (
    EDGE_ZONES,
    EXTREME_DATES,
    EXTREME_MOMENTS,
    LONG_EMAIL,
    LONG_VALUES,
    NUL,
    changed_tables,
    snapshot,
    values_longer_than_their_column,
)
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
            NUL,
            f"token{NUL}",
            "null",
            "true",
            "[]",
            "{}",
            "2026-02-30",
            *EXTREME_DATES,
            *EXTREME_MOMENTS,
            LONG_EMAIL,
            "25:61",
            "1' OR '1'='1",
            "../../etc/passwd",
            '=HYPERLINK("http://evil")',
            "x" * 20000,
            "é" * 5000,
            "\u202eevil",
            "²",  # a digit to str.isdigit(), not to int()
            "١٢",
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


# --- NUL characters: PostgreSQL cannot store or compare text that holds one ---

TOKEN_ROUTES = sorted(name for name, route in ROUTES.items() if route.guard == "token")
# Every page someone may open, with the person who may open it.
PAGE_ROUTES = sorted(
    name for name, route in ROUTES.items() if route.get is not None and not all(denied(o) for o in route.get.values())
)


def page_person(route) -> str:
    for who in PERMITTED_ORDER:
        if not denied(route.get[who]):
            return who
    raise AssertionError("no one may open this page")


def assert_bad_request(response, what: str) -> None:
    assert response.status_code == 400, f"{what}: {response.status_code}"
    assert "NUL character" in response.content.decode(), f"{what}: the 400 page does not say why"


@pytest.mark.parametrize("name", TOKEN_ROUTES)
def test_a_nul_character_in_a_link_token_is_a_400_that_changes_nothing(world, records, client_for, name):
    """/feeds/%00.ics, /unsubscribe/%00/, /invitations/%00/ ... were a 500 on PostgreSQL."""
    route = ROUTES[name]
    kwargs = route.kwargs(world, records)
    client = client_for(None)
    for key in kwargs:
        for token in (NUL, f"{kwargs[key]}{NUL}"):
            url = reverse(name, kwargs={**kwargs, key: token})
            before = snapshot()
            if route.get is not None:
                assert_bad_request(client.get(url), f"GET {url}")
            if route.post is not None:
                assert_bad_request(client.post(url, route.data(world, records)), f"POST {url}")
            assert not changed_tables(before, snapshot()), f"{name} with a NUL in {key} changed something"


@pytest.mark.parametrize("name", PAGE_ROUTES)
def test_a_nul_character_in_the_query_string_of_any_page_is_a_400(world, records, client_for, name):
    """/panel/?q=%00 was a 500 on PostgreSQL; every page answers the same, whatever it reads."""
    route = ROUTES[name]
    client = client_for(world.users()[page_person(route)])
    url = reverse(name, kwargs=route.kwargs(world, records))
    for query in ({"q": NUL}, {"page": f"2{NUL}"}, {"start": NUL, "end": NUL}, {f"x{NUL}": "1"}):
        assert_bad_request(client.get(url, query), f"GET {url} {query!r}")
    assert_bad_request(client.get(url + "%00"), f"GET {url}%00")


def test_a_nul_character_in_a_header_is_a_400(world, client):
    """A failed sign-in stores the user agent with the attempt."""
    response = client.post(
        reverse("login"), {"username": "alice@example.org", "password": "wrong"}, HTTP_USER_AGENT=f"evil{NUL}agent"
    )
    assert_bad_request(response, "sign-in with a NUL in the user agent")


def test_a_session_cookie_with_a_nul_character_is_no_session(world, client):
    """The cookie's "\\000" is a NUL once parsed; asking the database for that session was a 500 on PostgreSQL."""
    from django.conf import settings as django_settings

    cookie = f'{django_settings.SESSION_COOKIE_NAME}="\\000abcdefghijklmnop"'
    response = client.get(reverse("patients"), HTTP_COOKIE=cookie)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert int(response.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"]) == 0  # the browser forgets it
    assert client.get(reverse("login"), HTTP_COOKIE=cookie).status_code == 200


# --- hostile query strings on every page ---

# Every GET parameter a view reads, and some that none does.
QUERY_PARAMETERS = (
    "q",
    "flag",
    "indication",
    "age",
    "sort",
    "page",
    "start",
    "end",
    "slot",
    "kind",
    "next",
    "days",
    "from",
    "to",
    "dose_basis",
    "weight_kg",
    "mg_per_kg",
    "administrations_per_day",
    "interval_days",
    "creatinine_clearance_ml_min",
)
QUERY_VALUES = st.one_of(HOSTILE_VALUES, st.sampled_from([*EXTREME_DATES, *EXTREME_MOMENTS, *LONG_VALUES]))


@pytest.mark.parametrize("name", PAGE_ROUTES)
def test_hostile_query_strings_on_any_page_are_refused_calmly(world, records, client_for, name):
    route = ROUTES[name]
    client = client_for(world.users()[page_person(route)])
    url = reverse(name, kwargs=route.kwargs(world, records))

    # The profile decides randomness: HYPOTHESIS_PROFILE=ci replays a fixed derivation.
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=st.dictionaries(st.sampled_from(QUERY_PARAMETERS), QUERY_VALUES, min_size=1, max_size=3))
    def attack(query):
        with transaction.atomic():
            before = snapshot()
            response = client.get(url, query)
            assert response.status_code < 500, f"GET {url} {query!r}: {response.status_code}"
            assert_escaped(response, f"GET {url} {query!r}")
            changed = changed_tables(before, snapshot())
            if response.status_code >= 400:
                assert not changed, f"GET {url} {query!r} refused ({response.status_code}) but changed {changed}"
            transaction.set_rollback(True)

    attack()


RANGE_ROUTES = ("doses:patient", "doses:report", "doses:export_csv", "doses:export_fhir")
RANGE_REASONS = ("no record starts that early", "is in the future", "choose at most", "is after the end date")


@pytest.mark.parametrize("zone", ["Europe/London", *EDGE_ZONES])
@pytest.mark.parametrize("name", RANGE_ROUTES)
def test_a_date_range_at_the_ends_of_the_calendar_is_a_400_that_says_why(world, client_for, name, zone):
    """?end=0001-01-01 was an OverflowError (90 days before year 1) on the pages and exports."""
    world.alice.time_zone = zone
    world.alice.save()
    client = client_for(world.carol)
    url = reverse(name, args=[world.alice.pk])
    for start, end in [
        ("", "0001-01-01"),
        ("0001-01-01", "0001-01-05"),
        ("0001-01-01", ""),
        ("9999-12-25", "9999-12-31"),
        ("", "9999-12-31"),
        ("1899-12-01", "1899-12-31"),
    ]:
        response = client.get(url, {"start": start, "end": end})
        assert response.status_code == 400, f"{url} {start}..{end}: {response.status_code}"
        page = response.content.decode()
        assert any(reason in page for reason in RANGE_REASONS), f"{url} {start}..{end}: no reason given"


# --- extreme dates in every date field of every form ---

# The project names its date fields *_on / *_at (and date_of_birth, on).
DATE_FIELD = re.compile(r"(^on|_on|_at|^date_of_birth)$")
OPTIONAL_DATE_FIELDS = {"doses:fridge": ["taken_out_at"], "doses:medicines": ["started_on"]}
RANGE_MESSAGE = "Enter a date between 1900 and 2100"
FUTURE_MESSAGES = ("cannot be in the future", "Only vaccinations already given can be logged")


@pytest.mark.parametrize("zone", ["Europe/London", *EDGE_ZONES])
def test_an_extreme_date_in_any_date_field_is_refused_with_a_message(world, records, client_for, zone):
    """taken_at=0001-01-01T00:00 was an OverflowError; started_on=0001-01-01 was stored."""
    world.alice.time_zone = zone
    world.alice.save()
    tried = []
    for name in FORM_ROUTES:
        route = ROUTES[name]
        url = reverse(name, kwargs=route.kwargs(world, records))
        valid = route.data(world, records)
        fields = sorted({*(f for f in valid if DATE_FIELD.search(f)), *OPTIONAL_DATE_FIELDS.get(name, [])})
        client = client_for(world.users()[permitted_person(route)])
        with transaction.atomic():
            if fields and route.get is not None and not denied(route.get[permitted_person(route)]):
                client.get(url)  # what showing the form writes (today's dose slots) is not the post's
            before = snapshot()
            for field in fields:
                for value in EXTREME_MOMENTS if field.endswith("_at") else EXTREME_DATES:
                    tried.append(f"{name}.{field}")
                    with transaction.atomic():
                        response = client.post(url, {**valid, field: value})
                        what = f"{name} {field}={value!r} in {zone}"
                        assert response.status_code == 200, f"{what}: {response.status_code}"
                        page = response.content.decode()
                        if value < "1900":
                            assert RANGE_MESSAGE in page, f"{what}: no message"
                        else:  # a form that refuses the future says so in its own words
                            assert any(m in page for m in (RANGE_MESSAGE, *FUTURE_MESSAGES)), f"{what}: no message"
                        assert not changed_tables(before, snapshot()), f"{what} changed something"
                        transaction.set_rollback(True)
            transaction.set_rollback(True)
    # The forms with dates: if one is renamed or dropped, this list says so.
    assert {t.split(".")[0] for t in tried} >= {
        "doses:log",
        "doses:side_effects",
        "doses:supply",
        "doses:fridge",
        "doses:medicines",
        "doses:vaccinations",
        "doses:labs",
        "doses:regimen_new",
        "patient_new",
        "patient_edit",
    }


# --- over-long values in every field of every form ---


@pytest.mark.parametrize("name", FORM_ROUTES)
def test_an_over_long_value_in_any_field_is_never_stored_beyond_its_column(world, records, client_for, name):
    """An invitation to a 262-character address was a DataError on PostgreSQL (and stored whole on SQLite)."""
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world, records))
    valid = route.data(world, records)
    client = client_for(world.users()[permitted_person(route)])
    for field in sorted({*valid, "email", "username"}):
        for value in LONG_VALUES:
            with transaction.atomic():
                response = client.post(url, {**valid, field: value})
                what = f"{name} {field}={value[:12]!r}... ({len(value)} characters)"
                assert response.status_code < 500, f"{what}: {response.status_code}"
                too_long = values_longer_than_their_column()
                assert not too_long, f"{what} stored {too_long}"
                transaction.set_rollback(True)


@pytest.mark.parametrize("hint", ["²", "١٢", "𝟗", "99999999999999999999999"])
def test_a_dose_hint_that_only_looks_like_a_number_shows_the_log_form(world, alice_on_regimen, client_for, hint):
    """?slot=² passed str.isdigit() and int("²") was a ValueError, a 500."""
    response = client_for(world.alice_user).get(reverse("doses:log", args=[world.alice.pk]), {"slot": hint})
    assert response.status_code in (200, 404), response.status_code
