"""Invitations to a care circle: single use, expiring, revocable, and access ends at once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from companion import services
from companion.models import CareMembership, CareRole, Invitation

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def invite(world, role=CareRole.CAREGIVER, email="new@example.org", now=None):
    return services.invite_to_circle(patient=world.alice, email=email, role=role, invited_by=world.alice_user, now=now)


def test_patient_invites_by_email_and_the_link_works(world, client_for, worker_after_commit):
    client = client_for(world.alice_user)
    with worker_after_commit():  # the e-mail is a Delivery the worker sends after commit
        response = client.post(
            reverse("circle", args=[world.alice.pk]), {"email": "Nurse@Example.org", "role": CareRole.CAREGIVER}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nurse@example.org"]
    # Minimal health data: no diagnosis or medicine name in the invitation e-mail.
    assert "anakinra" not in message.subject.lower()
    link = next(word for word in message.body.split() if "/invitations/" in word)
    nurse = make_user("nurse@example.org", "Nurse")
    client = client_for(nurse)
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert CareMembership.objects.active().filter(patient=world.alice, user=nurse, role=CareRole.CAREGIVER).exists()
    assert client.get(reverse("circle", args=[world.alice.pk])).status_code == 200


def test_an_invitation_cannot_be_used_twice(world):
    issued = invite(world)
    first = make_user("first@example.org", "First")
    second = make_user("second@example.org", "Second")
    services.accept_invitation(token=issued.token, user=first)
    with pytest.raises(services.InvitationError, match="already been used"):
        services.accept_invitation(token=issued.token, user=second)
    assert not CareMembership.objects.filter(user=second).exists()


def test_an_expired_invitation_is_refused(world, client_for):
    issued = invite(world, now=timezone.now() - Invitation.VALID_FOR - timedelta(minutes=1))
    late = make_user("late@example.org", "Late")
    with pytest.raises(services.InvitationError, match="expired"):
        services.accept_invitation(token=issued.token, user=late)
    response = client_for(late).post(reverse("invitation_accept", args=[issued.token]))
    assert "expired" in response.content.decode()
    assert not CareMembership.objects.filter(user=late).exists()


def test_a_withdrawn_invitation_is_refused(world, client_for):
    issued = invite(world)
    client_for(world.alice_user).post(reverse("invitation_revoke", args=[world.alice.pk, issued.invitation.pk]))
    someone = make_user("someone@example.org", "Someone")
    with pytest.raises(services.InvitationError, match="withdrawn"):
        services.accept_invitation(token=issued.token, user=someone)


def test_unknown_invitation_token_is_404(client):
    assert client.get(reverse("invitation_accept", args=["not-a-real-token"])).status_code == 404


def test_only_a_hash_of_the_token_is_stored(world):
    issued = invite(world)
    assert issued.token not in issued.invitation.token_hash
    assert Invitation.objects.filter(token_hash=Invitation.hash_token(issued.token)).exists()


def test_revoking_a_member_removes_access_at_once(world, client_for):
    bob_link = world.alice.memberships.get(user=world.bob)
    bob_client = client_for(world.bob)
    assert bob_client.get(reverse("circle", args=[world.alice.pk])).status_code == 200
    client_for(world.alice_user).post(reverse("membership_revoke", args=[world.alice.pk, bob_link.pk]))
    bob_link.refresh_from_db()
    assert bob_link.revoked_at is not None
    assert client_for(world.bob).get(reverse("circle", args=[world.alice.pk])).status_code == 404


def test_a_caregiver_cannot_invite(world, client_for):
    response = client_for(world.bob).post(
        reverse("circle", args=[world.alice.pk]), {"email": "x@example.org", "role": CareRole.CLINICIAN}
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()
