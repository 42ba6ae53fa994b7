"""A parent never outranks an adult patient on her own record (ACCESS-ADULT, ACCESS-SELF, ACCESS-DELETE).

alice is an adult with her own account; pam is a parent on alice's record. pam acts as a
caregiver there: she views and logs, but cannot remove alice (or anyone), invite, edit the
profile, enter a regimen or delete the record. On a child's record (no SELF membership) the
parent manages and deletes as before.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404
from django.urls import reverse

from companion import services
from companion.access import Capability, is_adults_record, patient_for, patients_visible_to
from companion.models import CareMembership, CareRole, Patient
from tests.conftest import link, make_patient, make_user

from .conftest import changed_tables, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def pam(world):
    parent = make_user("pam.parent@example.org", "Pam Parent")
    link(world.alice, parent, CareRole.PARENT)
    return parent


@pytest.fixture
def child(world):
    """Kit, a child with no account: alice is her parent, bob her caregiver."""
    kit = make_patient("Kit Child", dob=date(2019, 2, 3))
    link(kit, world.alice_user, CareRole.PARENT)
    link(kit, world.bob, CareRole.CAREGIVER)
    return kit


def self_membership(world) -> CareMembership:
    return world.alice.memberships.get(role=CareRole.SELF)


def test_ACCESS_SELF_a_parent_on_an_adults_record_cannot_revoke_her_own_membership(world, pam, client_for):
    own = self_membership(world)
    before = snapshot()
    response = client_for(pam).post(reverse("membership_revoke", args=[world.alice.pk, own.pk]))
    assert response.status_code == 404
    with pytest.raises(services.MembershipRefused, match="own access to their record cannot be removed"):
        services.revoke_membership(membership=own, by=pam)
    assert not changed_tables(before, snapshot())
    assert client_for(world.alice_user).get(reverse("doses:today", args=[world.alice.pk])).status_code == 200


def test_ACCESS_ADULT_a_parent_on_an_adults_record_cannot_remove_anyone_else(world, pam, client_for):
    bob_link = world.alice.memberships.get(user=world.bob)
    before = snapshot()
    assert client_for(pam).post(reverse("membership_revoke", args=[world.alice.pk, bob_link.pk])).status_code == 404
    with pytest.raises(services.MembershipRefused, match="Only the person who manages this record"):
        services.revoke_membership(membership=bob_link, by=pam)
    assert not changed_tables(before, snapshot())


def test_ACCESS_DELETE_a_parent_on_an_adults_record_cannot_delete_it(world, pam, client_for):
    before = snapshot()
    response = client_for(pam).post(reverse("patient_delete", args=[world.alice.pk]), {"confirm_name": "Alice Example"})
    assert response.status_code == 404
    with pytest.raises(services.DeletionRefused, match="Only Alice Example can delete this profile"):
        services.delete_patient(patient=world.alice, by=pam)
    assert not changed_tables(before, snapshot())
    assert Patient.objects.filter(pk=world.alice.pk).exists()


def test_ACCESS_DELETE_only_a_parent_deletes_a_childs_record_through_the_service(world, child):
    for someone in (world.bob, world.carol, world.mallory):
        with pytest.raises(services.DeletionRefused, match="Only a parent or guardian"):
            services.delete_patient(patient=child, by=someone)
    assert Patient.objects.filter(pk=child.pk).exists()
    assert services.delete_patient(patient=child, by=world.alice_user) is False  # her own account stays
    assert not Patient.objects.filter(pk=child.pk).exists()


def test_ACCESS_ADULT_a_parent_on_an_adults_record_views_and_logs_but_does_not_manage(world, pam, client_for):
    client = client_for(pam)
    alice = world.alice.pk
    for name in ("doses:today", "doses:log", "doses:side_effects", "circle"):
        assert client.get(reverse(name, args=[alice])).status_code == 200, name
    for name in ("patient_edit", "data_rights", "audit_trail", "patient_delete", "doses:regimen_new"):
        assert client.get(reverse(name, args=[alice])).status_code == 404, name
    before = snapshot()
    response = client.post(reverse("circle", args=[alice]), {"email": "new.parent@example.org", "role": "parent"})
    assert response.status_code == 404  # cannot change who manages alice's record
    assert not changed_tables(before, snapshot())


def test_ACCESS_ADULT_a_parent_invitation_on_an_adults_record_gives_only_a_caregivers_powers(world):
    issued = services.invite_to_circle(
        patient=world.alice, email="mum@example.org", role=CareRole.PARENT, invited_by=world.alice_user
    )
    mum = make_user("mum@example.org", "Mum")
    assert services.accept_invitation(token=issued.token, user=mum).role == CareRole.PARENT
    assert patient_for(mum, world.alice.pk, Capability.LOG).access_role == CareRole.CAREGIVER
    for capability in (Capability.MANAGE, Capability.PRESCRIBE):
        with pytest.raises(Http404):
            patient_for(mum, world.alice.pk, capability)
        assert world.alice not in patients_visible_to(mum, capability)
    assert world.alice in patients_visible_to(mum, Capability.VIEW)


def test_ACCESS_ADULT_the_circle_page_offers_removal_only_where_it_would_be_done(world, pam, client_for, child):
    def removal_links(user, patient) -> set[int]:
        page = client_for(user).get(reverse("circle", args=[patient.pk])).content.decode()
        return {
            m.pk for m in patient.memberships.all() if reverse("membership_revoke", args=[patient.pk, m.pk]) in page
        }

    others = set(world.alice.memberships.active().exclude(role=CareRole.SELF).values_list("pk", flat=True))
    assert removal_links(world.alice_user, world.alice) == others  # never her own
    page = client_for(pam).get(reverse("circle", args=[world.alice.pk])).content.decode()
    assert removal_links(pam, world.alice) == set()
    assert "Invite someone" not in page
    # A parent on a child's record still removes the others.
    bob_on_kit = child.memberships.get(user=world.bob)
    assert removal_links(world.alice_user, child) == {bob_on_kit.pk}
    client_for(world.alice_user).post(reverse("membership_revoke", args=[child.pk, bob_on_kit.pk]))
    bob_on_kit.refresh_from_db()
    assert bob_on_kit.revoked_at is not None


def test_ACCESS_ADULT_the_adult_removes_her_parent(world, pam, client_for):
    pam_link = world.alice.memberships.get(user=pam)
    response = client_for(world.alice_user).post(reverse("membership_revoke", args=[world.alice.pk, pam_link.pk]))
    assert response.status_code == 302
    pam_link.refresh_from_db()
    assert pam_link.revoked_at is not None
    assert client_for(pam).get(reverse("doses:today", args=[world.alice.pk])).status_code == 404


def test_ACCESS_SELF_the_patient_is_told_she_cannot_remove_her_own_access(world, client_for):
    own = self_membership(world)
    before = snapshot()
    response = client_for(world.alice_user).post(
        reverse("membership_revoke", args=[world.alice.pk, own.pk]), follow=True
    )
    assert "You cannot remove yourself" in response.content.decode()
    assert not changed_tables(before, snapshot())


def test_ACCESS_ADULT_whose_record_counts_as_an_adults(world, child):
    assert is_adults_record(world.alice)  # her own account and SELF membership
    assert not is_adults_record(child)
    # A teenager who runs her own record is not outranked by a parent either.
    teen = make_patient("Tess Teen", dob=date(2010, 6, 1))
    link(teen, make_user("tess@example.org", "Tess"), CareRole.SELF)
    assert is_adults_record(teen)
    # Over 18 with no account of her own: the parent who made the record still manages it,
    # or nobody could (there is no way to hand it over yet).
    grown = make_patient("Gus Grown", dob=date(2000, 1, 1))
    link(grown, world.alice_user, CareRole.PARENT)
    assert not is_adults_record(grown)
    assert patient_for(world.alice_user, grown.pk, Capability.MANAGE) == grown


def test_ACCESS_SELF_staff_cannot_change_a_role_in_place_in_the_admin(world, client_for, django_user_model):
    """The admin is a write path too: alice's own link cannot be turned into a caregiver's there."""
    staff = django_user_model.objects.create_superuser(email="staff@example.org", password="x-staff-password-1")
    own = self_membership(world)
    url = reverse("admin:companion_caremembership_change", args=[own.pk])
    response = client_for(staff).post(
        url,
        {
            "patient": world.alice.pk,
            "user": world.alice_user.pk,
            "role": CareRole.CAREGIVER,
            "receives_reminders": "on",
            "revoked_at_0": "",
            "revoked_at_1": "",
        },
    )
    assert response.status_code == 302  # saved, without the role
    own.refresh_from_db()
    assert own.role == CareRole.SELF
