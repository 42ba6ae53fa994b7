"""Bad input on the foundation's forms: a clear message, the typed values kept, nothing saved."""

import zoneinfo
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.form_fields import RecordDateTimeField
from companion.models import Patient, User

from ..conftest import PASSWORD, link_in

pytestmark = pytest.mark.django_db

GOOD_PROFILE = {
    "who": "parent",
    "display_name": "Sam Child",
    "date_of_birth": "2020-03-04",
    "weight_kg": "18.5",
    "weight_measured_on": "2026-11-01",
    "time_zone": "Europe/London",
    "indication": "CAPS",
    "creatinine_clearance_ml_min": "",
}


def test_sign_up_with_a_taken_email_creates_nothing_and_does_not_say_it_is_taken(world, client):
    """Issue 12: saying "already exists" told anyone which addresses have an account; the page is now
    the one every sign-up gets (tests/companion/test_sign_up.py), and the account is e-mailed instead."""
    before = User.objects.count()
    response = client.post(
        reverse("signup"),
        {"full_name": "Copy Cat", "email": "ALICE@example.org", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert "already exists" not in response.content.decode()
    assert "Check your e-mail" in response.content.decode()
    assert User.objects.count() == before


def test_sign_up_then_create_a_child_profile(client, worker_after_commit):
    with worker_after_commit():
        response = client.post(
            reverse("signup"),
            {"full_name": "New Parent", "email": "parent@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    response = client.post(link_in(mail.outbox[0], "/accounts/signup/confirm/"), {"password": PASSWORD})
    assert response.status_code == 302
    response = client.post(reverse("patient_new"), GOOD_PROFILE)
    assert response.status_code == 302
    child = Patient.objects.get(display_name="Sam Child")
    assert child.account is None
    assert child.memberships.get().role == "parent"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("weight_kg", "0", "at least 0.5 kg"),
        ("weight_kg", "500", "not plausible"),
        ("weight_kg", "-3", "at least 0.5 kg"),
        ("time_zone", "Mars/Olympus_Mons", "Select a valid choice"),
        ("date_of_birth", "not a date", "Enter a valid date"),
    ],
)
def test_bad_profile_values_are_refused_with_a_message(world, client_for, field, value, message):
    client = client_for(world.bob)
    before = Patient.objects.count()
    response = client.post(reverse("patient_new"), {**GOOD_PROFILE, field: value})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="Sam Child"' in page  # what was typed is kept
    assert Patient.objects.count() == before


def test_a_weight_needs_the_date_it_was_measured(world, client_for):
    response = client_for(world.bob).post(reverse("patient_new"), {**GOOD_PROFILE, "weight_measured_on": ""})
    assert "Say when the weight was measured" in response.content.decode()
    assert not Patient.objects.filter(display_name="Sam Child").exists()


def test_a_second_self_profile_is_refused(world, client_for):
    response = client_for(world.alice_user).post(reverse("patient_new"), {**GOOD_PROFILE, "who": "self"})
    assert response.status_code == 200
    assert "already have your own profile" in response.content.decode()
    assert not Patient.objects.filter(display_name="Sam Child").exists()


# A valid address of 262 characters (64-character local part, 63-character labels): every
# validator of an EmailField without max_length accepts it; the column holds 254.
LONG_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".org"


def test_an_invitation_to_an_address_longer_than_254_characters_is_refused_with_a_message(world, client_for):
    """It was a DataError (a 500) on PostgreSQL, and stored whole on SQLite."""
    from django.core import mail

    from companion.models import Invitation

    response = client_for(world.alice_user).post(
        reverse("circle", args=[world.alice.pk]), {"email": LONG_EMAIL, "role": "caregiver"}
    )
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_signing_in_with_an_address_longer_than_an_account_can_have_is_refused_with_a_message(world, client):
    """It went on to axes, which stored it with the failed attempt: a DataError on PostgreSQL."""
    from axes.models import AccessAttempt

    response = client.post(reverse("login"), {"username": "x" * 300 + "@example.org", "password": "wrong"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not AccessAttempt.objects.filter(username__startswith="x" * 300).exists()


@pytest.mark.parametrize("field", ["date_of_birth", "weight_measured_on"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_a_profile_date_outside_1900_to_2100_is_refused_with_a_message(world, client_for, field, value):
    before = Patient.objects.count()
    response = client_for(world.bob).post(reverse("patient_new"), {**GOOD_PROFILE, field: value})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Enter a date between 1900 and 2100; {value} is outside that." in page
    assert 'value="Sam Child"' in page  # what was typed is kept
    assert Patient.objects.count() == before


def test_the_first_and_last_days_a_record_can_hold_are_accepted(world, client_for):
    client = client_for(world.bob)
    response = client.post(reverse("patient_new"), {**GOOD_PROFILE, "date_of_birth": "1900-01-01"})
    assert response.status_code == 302
    assert Patient.objects.get(display_name="Sam Child").date_of_birth.isoformat() == "1900-01-01"


@settings(max_examples=300, deadline=None)
@given(typed=st.datetimes(), zone=st.sampled_from(sorted(zoneinfo.available_timezones())))
def test_any_moment_typed_in_any_zone_is_refused_with_a_message_or_safe_to_compute_with(typed, zone):
    """A dose time is read in the patient's zone, turned into UTC and given a window of hours
    either side. Any moment typed either gets the message or survives that arithmetic."""
    field = RecordDateTimeField()
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        try:
            moment = field.clean(typed.isoformat(timespec="minutes"))
        except ValidationError as error:
            assert "Enter a date between 1900 and 2100" in error.messages[0]
            return
    in_utc = moment.astimezone(UTC)
    assert in_utc - timedelta(days=3) < in_utc + timedelta(days=3)
    assert in_utc.year >= 1899  # nothing before 1900 local time (the form refuses the future itself)
