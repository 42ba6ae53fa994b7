"""Bad input on the foundation's forms: a clear message, the typed values kept, nothing saved."""

import pytest
from django.core import mail
from django.urls import reverse

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
        ("creatinine_clearance_ml_min", "-5", "cannot be negative"),
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
