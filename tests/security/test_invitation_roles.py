"""A clinician's invitation (it carries the power to confirm regimens) works only for the invited address."""

import pytest
from django.urls import reverse

from companion import services
from companion.models import CareMembership, CareRole
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def invite_clinician(world):
    return services.invite_to_circle(
        patient=world.alice, email="Dr.New@Clinic.example", role=CareRole.CLINICIAN, invited_by=world.alice_user
    )


def test_a_forwarded_clinician_invitation_is_refused_for_another_account(world, client_for):
    issued = invite_clinician(world)
    response = client_for(world.mallory).post(reverse("invitation_accept", args=[issued.token]))
    assert response.status_code == 200
    assert "Sign in with that address" in response.content.decode()
    assert not CareMembership.objects.filter(patient=world.alice, user=world.mallory).exists()
    issued.invitation.refresh_from_db()
    assert issued.invitation.accepted_at is None  # still usable by the right person


def test_the_invited_clinician_accepts(world, client_for):
    issued = invite_clinician(world)
    doctor = make_user("dr.new@clinic.example", "Dr New")
    response = client_for(doctor).post(reverse("invitation_accept", args=[issued.token]))
    assert response.status_code == 302
    assert CareMembership.objects.active().filter(patient=world.alice, user=doctor, role=CareRole.CLINICIAN).exists()


def test_a_caregiver_invitation_still_works_from_any_account(world, client_for):
    issued = services.invite_to_circle(
        patient=world.alice, email="helper@example.org", role=CareRole.CAREGIVER, invited_by=world.alice_user
    )
    response = client_for(world.mallory).post(reverse("invitation_accept", args=[issued.token]))
    assert response.status_code == 302
    assert CareMembership.objects.active().filter(patient=world.alice, user=world.mallory).exists()
