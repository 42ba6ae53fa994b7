"""Invitations to a care circle: single use, expiring, revocable, and access ends at once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from companion import services
from companion.models import CareMembership, CareRole, Invitation, User

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
    issued = invite(world, email="first@example.org")
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


@pytest.mark.parametrize("role", Invitation.INVITABLE_ROLES)
def test_ACCESS_INVITE_an_invitation_of_any_role_is_refused_for_another_account_and_stays_open(world, role):
    issued = invite(world, role=role, email="invited@example.org")
    with pytest.raises(services.InvitationError, match="sent to a different e-mail address"):
        services.accept_invitation(token=issued.token, user=world.mallory)
    assert not CareMembership.objects.filter(patient=world.alice, user=world.mallory).exists()
    issued.invitation.refresh_from_db()
    assert issued.invitation.accepted_at is None and issued.invitation.accepted_by is None
    # Not consumed: the person it was sent to can still use it.
    invited = make_user("invited@example.org", "Invited")
    membership = services.accept_invitation(token=issued.token, user=invited)
    assert membership.role == role and membership.patient == world.alice


def test_ACCESS_INVITE_the_refusal_does_not_say_whether_the_invited_address_has_an_account(world, client_for):
    to_an_account = invite(world, email="bob@example.org")  # bob has an account
    to_no_account = invite(world, email="nobody.yet@example.org")
    refusals = []
    for issued in (to_an_account, to_no_account):
        with pytest.raises(services.InvitationError) as refused:
            services.accept_invitation(token=issued.token, user=world.mallory)
        refusals.append(str(refused.value))
        page = client_for(world.mallory).post(reverse("invitation_accept", args=[issued.token])).content.decode()
        assert services.WRONG_ACCOUNT_MESSAGE.split(".")[0] in page
        assert "bob@example.org" not in page and "nobody.yet@example.org" not in page
    assert refusals[0] == refusals[1]
    assert "bob@example.org" not in refusals[0]


def test_ACCESS_INVITE_the_page_says_it_is_for_another_address_before_offering_to_accept(world, client_for):
    issued = invite(world, role=CareRole.PARENT, email="dad@example.org")
    url = reverse("invitation_accept", args=[issued.token])
    page = client_for(world.mallory).get(url).content.decode()
    assert "sent to a different e-mail address" in page
    assert "Accept invitation" not in page
    page = client_for(make_user("dad@example.org", "Dad")).get(url).content.decode()
    assert "Accept invitation" in page and "different e-mail address" not in page


def test_ACCESS_INVITE_the_address_compares_as_accounts_store_it(world):
    """Typed in capitals, and an account whose address was stored in capitals (not through the
    manager, as the admin may): one address. (A guard: this also held on main, unbound.)"""
    issued = invite(world, email="Helper@Example.ORG")
    helper = User.objects.create(email="HELPER@example.org", full_name="Helper")
    membership = services.accept_invitation(token=issued.token, user=helper)
    assert membership.user == helper


def test_ACCESS_INVITE_the_email_says_to_accept_with_the_invited_address_and_not_to_forward(
    world, client_for, worker_after_commit
):
    with worker_after_commit():
        client_for(world.alice_user).post(
            reverse("circle", args=[world.alice.pk]), {"email": "Grandpa@Example.org", "role": CareRole.PARENT}
        )
    body = mail.outbox[0].body
    assert "signed in with this e-mail address (grandpa@example.org)" in body
    assert "do not forward it" in body
