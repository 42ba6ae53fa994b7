"""Every URL of the app, requested by every kind of person, against one declared table.

The test walks the whole URLconf, so a new view that is not in ROUTES fails
`test_every_url_is_declared` with its name. For each route the table says how to build
its kwargs for alice's records, which methods to try, and what each of the seven people
of the shared world gets, plus pam, a parent on alice's record (alice is an adult with her
own account: pam acts as her caregiver, ACCESS-ADULT). CASES walk the same way for attacks
that need other records (alice's own membership, invitations forwarded to another account).
Whenever a person is refused, the database must be unchanged.

Each person's request runs in its own savepoint that is rolled back, so one person's
successful action (alice deleting her profile, bob logging a dose) does not change what
the next person sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.oath import totp

from companion import two_factor

from .conftest import changed_tables, only_insertions, snapshot

pytestmark = pytest.mark.django_db

PEOPLE = (
    "anonymous",
    "patient",
    "parent",
    "caregiver",
    "clinician",
    "other_clinician",
    "revoked_caregiver",
    "stranger",
)

LOGIN = "login"  # a 302 to the sign-in page, with ?next=
OK = 200
MOVED = 302
NOT_FOUND = 404
NOT_ALLOWED = 405


@dataclass(frozen=True)
class Refused:
    """A person who reaches the page but has not the power: `status` with a message, and nothing changes."""

    status: int


def expect(default, **overrides) -> dict[str, object]:
    """Expected outcome per person: `default` for everyone, except anonymous (LOGIN unless given) and overrides."""
    table = {who: default for who in PEOPLE}
    table["anonymous"] = LOGIN
    table.update(overrides)
    return table


def circle_only(*, patient=OK, caregiver=OK, clinician=OK, anonymous=LOGIN, parent=None) -> dict[str, object]:
    """alice's circle may; everyone else (other clinician, revoked caregiver, stranger) gets a 404.

    The parent gets what the caregiver gets unless told: on an adult's record a parent acts
    as a caregiver (ACCESS-ADULT), so she cannot manage, revoke or delete.
    """
    return expect(
        NOT_FOUND,
        patient=patient,
        parent=caregiver if parent is None else parent,
        caregiver=caregiver,
        clinician=clinician,
        anonymous=anonymous,
    )


# Shorthands for the capabilities of companion/access.py.
VIEWERS = circle_only()  # Capability.VIEW: self/parent, caregiver, clinician
LOGGERS = circle_only(clinician=NOT_FOUND)  # Capability.LOG: self/parent, caregiver
MANAGERS = circle_only(caregiver=NOT_FOUND, clinician=NOT_FOUND)  # Capability.MANAGE: self/parent
PRESCRIBERS = circle_only(caregiver=NOT_FOUND)  # Capability.PRESCRIBE: self/parent, clinician
CONFIRMERS = circle_only(patient=NOT_FOUND, caregiver=NOT_FOUND)  # Capability.CONFIRM: clinician
# ACCESS-DOWNLOAD, by default: the patient and clinicians download; a caregiver gets a 403 page.
EXPORTERS = circle_only(caregiver=Refused(403))
SIGNED_IN = expect(OK)  # any signed-in person, about their own things only
PUBLIC = expect(OK, anonymous=OK)
POST_ONLY = expect(NOT_ALLOWED)  # GET on an action: sign in first, then 405
READ_ONLY = expect(NOT_ALLOWED)  # POST on a page that only reads: sign in first, then 405
# People outside alice's circle: a page they may open must never show her name.
OUTSIDERS = ("other_clinician", "revoked_caregiver", "stranger")


def denied(outcome) -> bool:
    return (
        isinstance(outcome, Refused)
        or outcome in (LOGIN, NOT_FOUND, NOT_ALLOWED, 403)
        or (isinstance(outcome, tuple) and all(denied(o) for o in outcome))
    )


@dataclass(frozen=True)
class Route:
    kwargs: Callable = lambda w, r: {}  # noqa: E731 - (world, records) -> URL kwargs
    get: dict | None = None  # expected outcome of GET per person
    post: dict | None = None  # expected outcome of POST per person
    data: Callable = lambda w, r: {}  # noqa: E731 - (world, records) -> POST body for a permitted person
    guard: str = "patient"  # patient | account | public | token: what protects it (documentation)


def alice(w, r) -> dict:
    return {"patient_id": w.alice.pk}


FORM = (MOVED, OK)  # a permitted person's form: saved and redirected, or shown again with a message
LOGGED = circle_only(patient=FORM, caregiver=FORM, clinician=NOT_FOUND)  # POST needs Capability.LOG


def today(w) -> str:
    return w.alice.local_today().isoformat()


def injection_data(w, r) -> dict:
    from django.utils import timezone

    from doses.rules import preparation

    taken = timezone.localtime(timezone.now(), w.alice.zone) - timedelta(minutes=1)
    return {
        "taken_at": taken.strftime("%Y-%m-%dT%H:%M"),
        "dose_mg": "100",
        "injected_by": "self",
        "site_spot": "abdomen-left-1",
        "notes": "",
        **{f"prep_{check.key}": "yes" for check in preparation.PREP_CHECKS},
    }


def patient_profile_data(w, r, **extra) -> dict:
    return {
        "display_name": "Alice Renamed",
        "date_of_birth": "1980-05-17",
        "weight_kg": "70",
        "weight_measured_on": "2026-01-05",
        "time_zone": "Europe/London",
        "indication": "RA",
        "creatinine_clearance_ml_min": "",
        **extra,
    }


# The one table. Keyed by URL name ("namespace:name"). Expected outcomes: an int status,
# LOGIN, or a tuple of allowed statuses (used only where a permitted person's form may
# either redirect on success or re-show with a message).
ROUTES: dict[str, Route] = {
    # --- accounts (django.contrib.auth and sign-up) ---
    "home": Route(guard="account", get=expect(MOVED)),
    "signup": Route(
        guard="public",
        get=expect(MOVED, anonymous=OK),
        post=expect(MOVED, anonymous=MOVED),
        data=lambda w, r: {
            "full_name": "New Person",
            "email": "new.person@example.org",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    ),
    "signup_done": Route(guard="public", get=PUBLIC),  # "check your e-mail", the same for every address
    # A wrong token is a 404 for everyone, signed in or not; the right one is tested in tests/companion/test_sign_up.py.
    "signup_confirm": Route(
        guard="token",
        kwargs=lambda w, r: {"uidb64": r.reset_uidb64, "token": "wrong-token"},
        get=expect(NOT_FOUND, anonymous=NOT_FOUND),
        post=expect(NOT_FOUND, anonymous=NOT_FOUND),
        data=lambda w, r: {"password": "correct-horse-battery-7"},
    ),
    "login": Route(
        guard="public",
        get=PUBLIC,
        post=PUBLIC,  # wrong password: the form again, nothing changes
        data=lambda w, r: {"username": "alice@example.org", "password": "wrong-password"},
    ),
    "logout": Route(
        guard="public", get=expect(NOT_ALLOWED, anonymous=NOT_ALLOWED), post=expect(MOVED, anonymous=MOVED)
    ),
    "password_change": Route(guard="account", get=SIGNED_IN, post=SIGNED_IN),  # empty form: errors, no change
    "password_change_done": Route(guard="account", get=SIGNED_IN),
    "password_reset": Route(
        guard="public",
        get=PUBLIC,
        post=expect(MOVED, anonymous=MOVED),
        data=lambda w, r: {"email": "alice@example.org"},
    ),
    "password_reset_done": Route(guard="public", get=PUBLIC),
    "password_reset_confirm": Route(
        guard="token",
        kwargs=lambda w, r: {"uidb64": r.reset_uidb64, "token": "wrong-token"},
        get=PUBLIC,  # an invalid link shows "this link is not valid"; the valid one is tested in test_accounts
        post=PUBLIC,
        data=lambda w, r: {"new_password1": "x-new-password-123", "new_password2": "x-new-password-123"},
    ),
    "password_reset_complete": Route(guard="public", get=PUBLIC),
    # --- two-factor sign-in (companion/two_factor.py) ---
    "two_factor": Route(guard="account", get=SIGNED_IN, post=expect(MOVED), data=lambda w, r: {"action": "start"}),
    # The code step: without a password step first, everyone is sent to sign in; nothing changes.
    "two_factor_verify": Route(guard="public", get=expect(LOGIN), post=expect(LOGIN), data=lambda w, r: {"code": "1"}),
    # --- people and care circles (companion/views.py) ---
    "patients": Route(guard="account", get=SIGNED_IN),
    "patient_new": Route(
        guard="account",
        get=SIGNED_IN,
        post=expect(MOVED),
        data=lambda w, r: patient_profile_data(w, r, who="parent", display_name="A Child", date_of_birth="2019-02-03"),
    ),
    "patient_edit": Route(
        kwargs=alice,
        get=MANAGERS,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=NOT_FOUND),
        data=patient_profile_data,
    ),
    "circle": Route(
        kwargs=alice,
        get=VIEWERS,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=NOT_FOUND),
        data=lambda w, r: {"email": "friend@example.org", "role": "caregiver"},
    ),
    # ACCESS-CARE-TEAM: the whole circle sees the card; who logs (patient, parent, caregiver) and the
    # clinicians keep it. The parent on an adult's record acts as a caregiver, who may too.
    "care_team": Route(
        kwargs=alice,
        get=VIEWERS,
        post=circle_only(patient=MOVED, caregiver=MOVED, clinician=MOVED),
        data=lambda w, r: {"clinic_name": "Rheumatology", "phone": "020 7946 0018", "hours": "", "out_of_hours_phone": ""},
    ),
    "membership_revoke": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "membership_id": r.bob_membership.pk},
        get=POST_ONLY,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=NOT_FOUND),
    ),
    "invitation_revoke": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "invitation_id": r.invitation.pk},
        get=POST_ONLY,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=NOT_FOUND),
    ),
    # Token-guarded: whoever holds the link sees whose circle it is; accepting needs the account
    # of the address it was sent to (ACCESS-INVITE). This one went to newcomer@example.org, who
    # is none of these people: forwarded to any of them, it is refused and stays open. Anonymous
    # POST changes nothing (the page asks to sign in). Bad tokens are a 404 (test below).
    "invitation_accept": Route(
        guard="token",
        kwargs=lambda w, r: {"token": r.invitation_token},
        get=PUBLIC,
        post=expect(Refused(OK), anonymous=Refused(OK)),
    ),
    # --- data rights and audit trail (companion/views.py, security) ---
    # ACCESS-DOWNLOAD: the patient (or a child's parent) turns caregivers' downloads on or off.
    "data_rights": Route(
        kwargs=alice,
        get=MANAGERS,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=NOT_FOUND),
        data=lambda w, r: {"caregivers_may_download": "on"},
    ),
    "audit_trail": Route(kwargs=alice, get=MANAGERS),
    "patient_delete": Route(
        kwargs=alice,
        get=MANAGERS,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=NOT_FOUND),
        data=lambda w, r: {"confirm_name": w.alice.display_name},
    ),
    # --- admin sign-in goes through the app's sign-in (two-factor, lockout page) ---
    "admin_login": Route(guard="public", get=expect(LOGIN), post=expect(LOGIN)),
    # --- PWA ---
    "manifest": Route(guard="public", get=PUBLIC),
    # --- doses: today page and injection log ---
    "doses:today": Route(kwargs=alice, get=VIEWERS),
    "doses:log": Route(
        kwargs=alice,
        get=LOGGERS,
        post=circle_only(patient=FORM, caregiver=FORM, clinician=NOT_FOUND),
        data=injection_data,
    ),
    "doses:not_taken": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "slot_id": r.slot.pk},
        get=LOGGERS,
        post=circle_only(patient=FORM, caregiver=FORM, clinician=NOT_FOUND),
        data=lambda w, r: {"reason": "forgot"},
    ),
    "doses:discard": Route(
        kwargs=alice,
        get=POST_ONLY,
        post=circle_only(patient=MOVED, caregiver=MOVED, clinician=NOT_FOUND),
        data=lambda w, r: {"reason": "damaged"},
    ),
    # --- doses: side effects, supply, fridge, medicines, vaccines, labs (GET: VIEW, POST: LOG) ---
    "doses:side_effects": Route(
        kwargs=alice,
        get=VIEWERS,
        post=LOGGED,
        data=lambda w, r: {"symptom": "headache", "severity": "mild", "started_on": today(w), "description": ""},
    ),
    "doses:side_effect_detail": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "side_effect_id": r.side_effect.pk}, get=VIEWERS
    ),
    "doses:side_effect_resolve": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "side_effect_id": r.side_effect.pk},
        get=POST_ONLY,
        post=circle_only(patient=MOVED, caregiver=MOVED, clinician=NOT_FOUND),
    ),
    "doses:supply": Route(
        kwargs=alice,
        get=VIEWERS,
        post=LOGGED,
        data=lambda w, r: {"boxes": "2", "on": today(w), "batch_number": "K1234A", "expires_on": "2099-12-31"},
    ),
    "doses:supply_correct": Route(
        kwargs=alice,
        get=POST_ONLY,
        post=circle_only(patient=FORM, caregiver=FORM, clinician=NOT_FOUND),
        data=lambda w, r: {"actual_count": "5", "note": "counted"},
    ),
    "doses:fridge": Route(kwargs=alice, get=VIEWERS, post=LOGGED, data=lambda w, r: {"taken_out_at": ""}),
    "doses:fridge_close": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "fridge_syringe_id": r.fridge_syringe_id()},
        get=POST_ONLY,
        post=circle_only(patient=MOVED, caregiver=MOVED, clinician=NOT_FOUND),
        data=lambda w, r: {"outcome": "put_back"},
    ),
    "doses:medicines": Route(
        kwargs=alice,
        get=VIEWERS,
        post=LOGGED,
        data=lambda w, r: {"name": "Folic acid", "category": "", "started_on": ""},
    ),
    "doses:medicine_stop": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "medicine_id": r.medicine_id()},
        get=POST_ONLY,
        post=circle_only(patient=MOVED, caregiver=MOVED, clinician=NOT_FOUND),
    ),
    "doses:vaccinations": Route(
        kwargs=alice,
        get=VIEWERS,
        post=LOGGED,
        data=lambda w, r: {"name": "Pneumococcal", "given_on": today(w), "is_live": "no"},
    ),
    "doses:baseline": Route(
        kwargs=alice,
        get=VIEWERS,
        post=LOGGED,
        data=lambda w, r: {
            "active_infection": "no",
            "ecoli_protein_allergy": "no",
            "latex_allergy": "no",
            "pregnant_or_breastfeeding": "no",
        },
    ),
    "doses:labs": Route(
        kwargs=alice,
        get=VIEWERS,
        post=LOGGED,
        data=lambda w, r: {"lab_test": "", "done_on": today(w), "neutrophils_10e9_per_l": "3.1"},
    ),
    # SCHED-RENAL: kidney function results are a clinician's (Capability.CONFIRM).
    "doses:kidney_result": Route(
        kwargs=alice,
        get=POST_ONLY,
        post=CONFIRMERS | {"clinician": MOVED},
        data=lambda w, r: {
            "kind": "creatinine",
            "measured_on": today(w),
            "creatinine_value": "1.1",
            "creatinine_unit": "mg_dl",
            "sex": "female",
            "weight_kg": "70",
        },
    ),
    # --- doses: regimen and calculator ---
    "doses:regimen": Route(kwargs=alice, get=VIEWERS),
    "doses:regimen_new": Route(
        kwargs=alice,
        get=PRESCRIBERS,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=MOVED),
        data=lambda w, r: {
            "dose_basis": "fixed",
            "interval_days": "1",
            "administrations_per_day": "1",
            "time_1": "09:00",
            "starts_on": (w.alice.local_today() + timedelta(days=2)).isoformat(),
            "change_reason": "Later in the morning",
        },
    ),
    "doses:regimen_confirm": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "regimen_id": r.awaiting_regimen().pk},
        get=POST_ONLY,
        post=circle_only(patient=NOT_FOUND, caregiver=NOT_FOUND, clinician=MOVED),
    ),
    "doses:proposal_confirm": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "proposal_id": r.open_proposal().pk},
        get=POST_ONLY,
        post=circle_only(patient=NOT_FOUND, caregiver=NOT_FOUND, clinician=MOVED),
    ),
    "doses:proposal_decline": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "proposal_id": r.open_proposal().pk},
        get=POST_ONLY,
        post=circle_only(patient=NOT_FOUND, caregiver=NOT_FOUND, clinician=MOVED),
        data=lambda w, r: {"decline_reason": "Keep the morning dose for now."},
    ),
    "doses:proposal_withdraw": Route(
        kwargs=lambda w, r: {"patient_id": w.alice.pk, "proposal_id": r.open_proposal().pk},
        get=POST_ONLY,
        post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=MOVED),
    ),
    "doses:calculator": Route(kwargs=alice, get=VIEWERS),
    "doses:calculator_any": Route(guard="account", get=SIGNED_IN),
    # --- doses: clinician panel, patient page, exports ---
    "doses:panel": Route(guard="account", get=SIGNED_IN, post=READ_ONLY),  # each sees only their own patients
    "doses:patient": Route(kwargs=alice, get=VIEWERS, post=READ_ONLY),
    "doses:report": Route(kwargs=alice, get=VIEWERS, post=READ_ONLY),
    # ACCESS-DOWNLOAD: a caregiver (and a parent on an adult's record, who acts as one) is refused
    # with a 403 page while the patient has not allowed caregivers' downloads (the default);
    # allowed when on: test_a_caregiver_downloads_the_record_once_the_patient_allows_it below.
    "doses:export_csv": Route(kwargs=alice, get=EXPORTERS, post=READ_ONLY),
    "doses:export_fhir": Route(kwargs=alice, get=EXPORTERS, post=READ_ONLY),
    # --- doses: holds and stops of treatment (clinicians only: Capability.CONFIRM) ---
    "doses:treatment_hold": Route(
        kwargs=alice,
        get=POST_ONLY,
        post=CONFIRMERS | {"clinician": MOVED},
        data=lambda w, r: {"hold-reason": "surgery", "hold-until": "", "hold-note": "Knee surgery"},
    ),
    # Nothing is on hold in the shared records: the clinician is told so (400), nothing changes.
    "doses:treatment_resume": Route(
        kwargs=alice, get=POST_ONLY, post=CONFIRMERS | {"clinician": Refused(400)}, data=lambda w, r: {}
    ),
    "doses:treatment_stop": Route(
        kwargs=alice,
        get=POST_ONLY,
        post=CONFIRMERS | {"clinician": MOVED},
        data=lambda w, r: {"stop-reason": "other", "stop-note": ""},
    ),
    # --- reminders: preferences, unsubscribe, calendar feeds, status ---
    "reminders:preferences": Route(
        kwargs=alice,
        get=VIEWERS,  # each member edits their own preferences for alice
        post=circle_only(patient=MOVED, caregiver=MOVED, clinician=MOVED),
        data=lambda w, r: {"care_alerts": "on", "quiet_start": "", "quiet_end": "", "time_zone": ""},
    ),
    # Token-guarded: the e-mail's link changes only the one preference row it names.
    "reminders:unsubscribe": Route(
        guard="token", kwargs=lambda w, r: {"token": r.unsubscribe_token()}, get=PUBLIC, post=PUBLIC
    ),
    # Token-guarded: the calendar app has no session; the unguessable key is the credential.
    "reminders:feed": Route(guard="token", kwargs=lambda w, r: {"token": r.feed_token()}, get=PUBLIC),
    "reminders:feed_settings": Route(kwargs=alice, get=MANAGERS),
    "reminders:feed_regenerate": Route(
        kwargs=alice, get=POST_ONLY, post=circle_only(patient=MOVED, caregiver=NOT_FOUND, clinician=NOT_FOUND)
    ),
    # Staff only; everyone else, signed in or not, is told nothing is there.
    "reminders:status": Route(guard="staff", get=expect(NOT_FOUND)),
}


def _invitation_to_the_stranger(role: str) -> Route:
    """An invitation to alice's circle as `role`, sent to mallory's address (in other letter case)
    and forwarded to everyone: only mallory's own account accepts it (ACCESS-INVITE)."""
    return Route(
        guard="token",
        kwargs=lambda w, r: {"token": r.invitation_token_for(role, w.mallory.email.upper())},
        get=PUBLIC,
        post=expect(Refused(OK), anonymous=Refused(OK), stranger=MOVED),
    )


# Attacks that need records other than a route's default kwargs: the same walk, under a name
# of their own. {case: (URL name, Route)}.
CASES: dict[str, tuple[str, Route]] = {
    # ACCESS-SELF: alice's own membership. The parent (and the caregiver, the clinician) are
    # not managers of an adult's record: 404. alice herself is told she cannot remove herself.
    "revoke alice's own (self) membership": (
        "membership_revoke",
        Route(
            kwargs=lambda w, r: {"patient_id": w.alice.pk, "membership_id": r.self_membership().pk},
            post=circle_only(patient=Refused(MOVED), caregiver=NOT_FOUND, clinician=NOT_FOUND),
        ),
    ),
    # (The parent removing alice's caregiver, inviting, or deleting alice's record are the
    # membership_revoke, circle and patient_delete rows of ROUTES: a 404 for her, nothing changes.)
    # ACCESS-INVITE, for each role.
    **{
        f"accept a {role} invitation sent to the stranger and forwarded to everyone": (
            "invitation_accept",
            _invitation_to_the_stranger(role),
        )
        for role in ("parent", "caregiver", "clinician")
    },
}

# The admin site is a namespace of its own: staff only, checked in test_admin_is_for_staff_only.
NAMESPACES_DECLARED_ELSEWHERE = {"admin"}


def all_url_names() -> dict[str, str]:
    """Every URL pattern of the URLconf, recursively through includes: {name: route}."""
    found: dict[str, str] = {}
    unnamed: list[str] = []

    def walk(patterns, namespace: str, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if namespace.split(":")[0] in NAMESPACES_DECLARED_ELSEWHERE:
                    continue
                if not p.name:
                    unnamed.append(route)
                    continue
                found[f"{namespace}:{p.name}" if namespace else p.name] = route

    walk(get_resolver().url_patterns, "", "")
    assert not unnamed, f"URL patterns without a name cannot be declared in the access matrix: {unnamed}"
    return found


def test_every_url_is_declared_in_the_access_matrix():
    missing = sorted(set(all_url_names()) - set(ROUTES))
    assert not missing, (
        f"URL(s) not declared in tests/security/test_access_matrix.py ROUTES: {', '.join(missing)}. "
        "Add an entry saying who may GET/POST each one."
    )


def test_no_stale_entries_in_the_access_matrix():
    stale = sorted(set(ROUTES) - set(all_url_names()))
    assert not stale, f"ROUTES names that no longer exist in the URLconf: {', '.join(stale)}"


def test_every_patient_url_is_declared_as_patient_guarded():
    """A URL with a patient id is never public or token-guarded by mistake."""
    for name, route in all_url_names().items():
        if "<int:patient_id>" in route and name in ROUTES:
            assert ROUTES[name].guard == "patient", f"{name} takes a patient id but is declared {ROUTES[name].guard}"
            for method in ("get", "post"):
                table = getattr(ROUTES[name], method)
                if table:
                    for who in ("other_clinician", "revoked_caregiver", "stranger"):
                        assert denied(table[who]), f"{name} {method.upper()} is declared open to {who}"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _assert_no_inline_code(page: str, what: str) -> None:
    """The CSP blocks inline scripts, styles and handlers: a rendered page that has one is broken."""
    for pattern, kind in (
        (INLINE_SCRIPT, "inline <script>"),
        (INLINE_STYLE, "style= attribute"),
        (EVENT_HANDLER, "on…= handler"),
    ):
        found = pattern.search(page)
        assert not found, f"{what}: {kind} in the rendered page: {found.group(0)[:120]}"


def _assert_private_headers(response, what: str) -> None:
    """Any answer may carry health data: no cache keeps it, and no page may ask for a device feature."""
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache_control, f"{what}: Cache-Control is {response.get('Cache-Control')!r}"
    assert "camera=()" in response.get("Permissions-Policy", ""), f"{what}: no Permissions-Policy header"


def _check(response, outcome, *, who: str, what: str) -> None:
    if outcome == LOGIN:
        assert response.status_code == 302, (
            f"{what} as {who}: expected a redirect to sign in, got {response.status_code}"
        )
        assert response["Location"].startswith(reverse("login")), (
            f"{what} as {who}: redirected to {response['Location']}"
        )
        return
    if isinstance(outcome, Refused):
        outcome = outcome.status
    allowed = outcome if isinstance(outcome, tuple) else (outcome,)
    assert response.status_code in allowed, f"{what} as {who}: expected {outcome}, got {response.status_code}"


def _request_as_everyone(world, people, records, client_for, name: str, method: str, route=None) -> None:
    route = route or ROUTES[name]
    table = getattr(route, method)
    if table is None:
        return
    assert set(table) == set(PEOPLE), f"{name} {method.upper()}: declare all of {PEOPLE}"
    url = reverse(name, kwargs=route.kwargs(world, records))
    for who in PEOPLE:
        outcome = table[who]
        with transaction.atomic():
            client = client_for(people[who])
            before = snapshot()
            if method == "get":
                response = client.get(url)
            else:
                response = client.post(url, route.data(world, records))
            _check(response, outcome, who=who, what=f"{method.upper()} {name} ({url})")
            _assert_private_headers(response, f"{method.upper()} {name} as {who}")
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                _assert_no_inline_code(response.content.decode(errors="replace"), f"{method.upper()} {name} as {who}")
                assert "script-src 'self'" in response.get("Content-Security-Policy", ""), f"{name}: no CSP header"
            if who in OUTSIDERS and route.guard in ("patient", "account") and response.status_code < 300:
                assert world.alice.display_name not in response.content.decode(errors="replace"), (
                    f"{method.upper()} {name} shows alice's name to {who}"
                )
            if denied(outcome) or method == "get":
                after = snapshot()
                changed = changed_tables(before, after)
                if method == "get" and not denied(outcome):
                    # Reading may create what a page needs (dose slots, a preference row with defaults),
                    # never change or remove a row.
                    changed = [t for t in changed if not only_insertions(before[t], after[t])]
                assert not changed, f"{method.upper()} {name} as {who} ({response.status_code}) changed {changed}"
            transaction.set_rollback(True)


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.get is not None))
def test_get_matrix(world, matrix_people, records, client_for, name):
    _request_as_everyone(world, matrix_people, records, client_for, name, "get")


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.post is not None))
def test_post_matrix(world, matrix_people, records, client_for, name):
    _request_as_everyone(world, matrix_people, records, client_for, name, "post")


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_matrix(world, matrix_people, records, client_for, case):
    name, route = CASES[case]
    for method in ("get", "post"):
        _request_as_everyone(world, matrix_people, records, client_for, name, method, route=route)


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.guard == "patient"))
def test_patient_urls_for_an_unknown_or_other_patient_are_404(world, matrix_people, records, client_for, name):
    """alice's own people, asking for zoe's record or a patient that does not exist, get a 404."""
    route = ROUTES[name]
    for patient_id in (world.zoe.pk, 987654):
        kwargs = {**route.kwargs(world, records), "patient_id": patient_id}
        url = reverse(name, kwargs=kwargs)
        for who in ("patient", "parent", "caregiver", "clinician"):
            client = client_for(matrix_people[who])
            before = snapshot()
            response = client.get(url) if route.get is not None else client.post(url, route.data(world, records))
            assert response.status_code in (404, 405), (
                f"{name} for patient {patient_id} as {who}: {response.status_code}"
            )
            if route.post is not None:
                response = client.post(url, route.data(world, records))
                assert response.status_code in (404, 405), f"POST {name} for patient {patient_id} as {who}"
            assert not changed_tables(before, snapshot())


NESTED_ROUTES = sorted(
    name
    for name, route in ROUTES.items()
    if route.guard == "patient"
    and "<int:patient_id>/" in all_url_names().get(name, "")
    and "_id>" in all_url_names().get(name, "").split("<int:patient_id>", 1)[1]
)


@pytest.mark.parametrize("name", NESTED_ROUTES)
def test_another_patients_record_under_alices_id_is_404(world, matrix_people, records, zoe_records, client_for, name):
    """alice's circle asks for zoe's slot, side effect, membership... under alice's patient id: 404, no change."""
    route = ROUTES[name]
    kwargs = {**route.kwargs(world, zoe_records), "patient_id": world.alice.pk}
    url = reverse(name, kwargs=kwargs)
    for who in ("patient", "parent", "caregiver", "clinician"):
        client = client_for(matrix_people[who])
        before = snapshot()
        if route.get is not None:
            assert client.get(url).status_code in (404, 405), f"GET {url} as {who}"
        if route.post is not None:
            assert client.post(url, route.data(world, zoe_records)).status_code == 404, f"POST {url} as {who}"
        assert not changed_tables(before, snapshot()), f"{name} as {who} changed zoe's records"


def test_invitation_with_an_unknown_token_is_404_for_everyone(world, client_for):
    url = reverse("invitation_accept", kwargs={"token": "not-a-real-token"})
    for who, user in world.users().items():
        assert client_for(user).get(url).status_code == 404, who
        assert client_for(user).post(url).status_code == 404, who


def test_admin_is_for_staff_only(world, client_for, django_user_model):
    from django.contrib import admin

    urls = [reverse("admin:index")] + [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry
    ]
    for who, user in world.users().items():
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and reverse("admin:login") in response["Location"], (who, url)
    staff = django_user_model.objects.create_superuser(email="staff@example.org", password="x-staff-password-1")
    # Staff signed in with the password alone are refused too: the admin needs two-factor.
    client = client_for(staff)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"], ("staff", url)
    device = two_factor.start_setup(staff)
    assert (
        client.post(reverse("two_factor"), {"action": "confirm", "code": f"{totp(device.bin_key):06d}"}).status_code
        == 302
    )
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_revoking_a_clinician_removes_the_patient_from_their_panel_at_once(world, records, client_for):
    client = client_for(world.carol)
    assert world.alice.display_name in client.get(reverse("doses:panel")).content.decode()
    world.alice.memberships.filter(user=world.carol).update(revoked_at=world.alice.created_at)
    page = client.get(reverse("doses:panel"))
    assert page.status_code == 200
    assert world.alice.display_name not in page.content.decode()
    assert client.get(reverse("doses:patient", args=[world.alice.pk])).status_code == 404


# --- ACCESS-DOWNLOAD: may a caregiver download the full record? (issue 16, point 10) ---

EXPORT_URLS = ("doses:export_csv", "doses:export_fhir")


def test_ACCESS_DOWNLOAD_a_caregiver_is_refused_the_full_record_by_default_with_a_page_that_says_why(
    world, records, client_for
):
    for name in EXPORT_URLS:
        response = client_for(world.bob).get(reverse(name, kwargs={"patient_id": world.alice.pk}))
        assert response.status_code == 403, name
        page = response.content.decode()
        assert "has not allowed caregivers to download the record" in page
        assert "Caregivers may download the full record" in page  # what to ask for
    # The overview offers no download buttons she could not use.
    overview = client_for(world.bob).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    assert reverse("doses:export_csv", args=[world.alice.pk]) not in overview


def test_ACCESS_DOWNLOAD_a_caregiver_downloads_the_record_once_the_patient_allows_it(world, records, client_for):
    from companion.models import AuditEvent

    response = client_for(world.alice_user).post(
        reverse("data_rights", args=[world.alice.pk]), {"caregivers_may_download": "on"}
    )
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.caregivers_may_download is True
    change = AuditEvent.objects.filter(patient_ref=world.alice.pk, action="changed").get()
    assert (change.actor, change.url_name) == (world.alice_user, "data_rights")
    for name in EXPORT_URLS:
        assert client_for(world.bob).get(reverse(name, kwargs={"patient_id": world.alice.pk})).status_code == 200
    # And off again: refused again.
    client_for(world.alice_user).post(reverse("data_rights", args=[world.alice.pk]), {})
    for name in EXPORT_URLS:
        assert client_for(world.bob).get(reverse(name, kwargs={"patient_id": world.alice.pk})).status_code == 403


def test_ACCESS_DOWNLOAD_on_a_childs_record_the_parent_decides_and_downloads(world, client_for):
    from companion.models import CareRole
    from tests.conftest import link, make_patient, make_user

    parent, helper = make_user("kim.parent@example.org", "Kim Parent"), make_user("lee@example.org", "Lee Helper")
    child = make_patient("Ada Child")
    link(child, parent, CareRole.PARENT)
    link(child, helper, CareRole.CAREGIVER)
    csv_url = reverse("doses:export_csv", args=[child.pk])
    assert client_for(parent).get(csv_url).status_code == 200
    assert client_for(helper).get(csv_url).status_code == 403
    assert client_for(parent).post(reverse("data_rights", args=[child.pk]), {"caregivers_may_download": "on"}).status_code == 302
    assert client_for(helper).get(csv_url).status_code == 200
    # The caregiver cannot turn it on herself.
    assert client_for(helper).post(reverse("data_rights", args=[child.pk]), {}).status_code == 404
