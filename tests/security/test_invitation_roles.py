"""Every invitation works only for the invited address (ACCESS-INVITE).

A clinician's carries the power to confirm regimens; a parent's, on a child's record, the
power to manage it; a caregiver's, a view of the health record. None may go to whoever holds
a forwarded link.
"""

from datetime import date

import pytest
from django.urls import reverse

from companion import services
from companion.models import CareMembership, CareRole
from tests.conftest import link, make_patient, make_user

from .conftest import changed_tables, snapshot

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


@pytest.mark.parametrize("role", [CareRole.PARENT, CareRole.CAREGIVER])
def test_ACCESS_INVITE_a_forwarded_parent_or_caregiver_invitation_is_refused_for_another_account(
    world, client_for, role
):
    """Was: a caregiver (and parent) link worked from any account that opened it."""
    child = make_patient("Kit Child", dob=date(2019, 2, 3))
    link(child, world.alice_user, CareRole.PARENT)
    issued = services.invite_to_circle(
        patient=child, email="helper@example.org", role=role, invited_by=world.alice_user
    )
    before = snapshot()
    response = client_for(world.mallory).post(reverse("invitation_accept", args=[issued.token]))
    assert response.status_code == 200
    assert "Sign in with that address" in response.content.decode()
    assert not changed_tables(before, snapshot())  # no membership, and the invitation is still open
    helper = make_user("helper@example.org", "Helper")
    assert client_for(helper).post(reverse("invitation_accept", args=[issued.token])).status_code == 302
    assert CareMembership.objects.active().filter(patient=child, user=helper, role=role).exists()
