"""The permission helper and the foundation's pages, for each member of the test world."""

import pytest
from django.http import Http404
from django.urls import reverse

from companion.access import Capability, patient_for, patients_visible_to
from companion.models import CareRole

pytestmark = pytest.mark.django_db

# Who may see alice's circle page: the patient and everyone linked; all others get 404,
# and anonymous visitors are sent to sign in.
CIRCLE_EXPECTED = {
    "anonymous": 302,
    "patient": 200,
    "caregiver": 200,
    "clinician": 200,
    "other_clinician": 404,
    "revoked_caregiver": 404,
    "stranger": 404,
}


@pytest.mark.parametrize("who,status", CIRCLE_EXPECTED.items())
def test_circle_page_is_seen_only_by_the_circle(world, client_for, who, status):
    response = client_for(world.users()[who]).get(reverse("circle", args=[world.alice.pk]))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who,status", {**CIRCLE_EXPECTED, "caregiver": 404, "clinician": 404}.items())
def test_only_the_patient_edits_the_profile(world, client_for, who, status):
    response = client_for(world.users()[who]).get(reverse("patient_edit", args=[world.alice.pk]))
    assert response.status_code == status


def test_a_caregiver_cannot_revoke_anyone(world, client_for):
    carol_link = world.alice.memberships.get(user=world.carol)
    response = client_for(world.bob).post(reverse("membership_revoke", args=[world.alice.pk, carol_link.pk]))
    assert response.status_code == 404
    carol_link.refresh_from_db()
    assert carol_link.revoked_at is None


def test_unknown_patient_id_is_404_not_500(world, client_for):
    response = client_for(world.alice_user).get(reverse("circle", args=[999999]))
    assert response.status_code == 404


def test_helper_gives_capabilities_by_role(world):
    assert patient_for(world.bob, world.alice.pk, Capability.LOG) == world.alice
    with pytest.raises(Http404):
        patient_for(world.bob, world.alice.pk, Capability.MANAGE)
    assert patient_for(world.carol, world.alice.pk, Capability.CONFIRM).access_role == CareRole.CLINICIAN
    with pytest.raises(Http404):
        patient_for(world.carol, world.alice.pk, Capability.LOG)


def test_visible_patients_are_only_linked_ones(world):
    assert list(patients_visible_to(world.carol)) == [world.alice]
    assert list(patients_visible_to(world.dave)) == [world.zoe]
    assert list(patients_visible_to(world.rita)) == []
    assert list(patients_visible_to(world.mallory)) == []


@pytest.mark.parametrize(
    "who,shows_panel",
    {"patient": False, "caregiver": False, "clinician": True, "other_clinician": True, "stranger": False}.items(),
)
def test_the_patient_panel_link_is_in_the_navigation_of_clinicians_only(world, client_for, who, shows_panel):
    page = client_for(world.users()[who]).get(reverse("patients")).content.decode()
    assert (f'href="{reverse("doses:panel")}"' in page) is shows_panel


def test_a_clinician_whose_only_link_was_revoked_no_longer_sees_the_panel_link(world, client_for):
    link = world.zoe.memberships.get(user=world.dave)
    link.revoked_at = link.created_at
    link.save()
    page = client_for(world.dave).get(reverse("patients")).content.decode()
    assert f'href="{reverse("doses:panel")}"' not in page
