"""Data rights: download everything, and delete the profile (and a self patient's account)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from companion import services as companion_services
from companion.models import AuditEvent, CareMembership, CareRole, Invitation, Patient, User
from doses.models import DoseSlot, Regimen, SideEffect
from reminders import services as reminder_services
from reminders.models import CalendarFeed
from tests.conftest import link, make_patient, start_adult_regimen

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_with_records(world):
    start_adult_regimen(world.alice, world.carol)
    SideEffect.objects.create(patient=world.alice, symptom="headache", started_on=date(2026, 11, 1))
    companion_services.invite_to_circle(
        patient=world.alice, email="friend@example.org", role=CareRole.CAREGIVER, invited_by=world.alice_user
    )
    feed = reminder_services.regenerate_feed(patient=world.alice, by=world.alice_user)
    return feed


def test_the_data_page_links_to_both_exports(world, client_for):
    page = client_for(world.alice_user).get(reverse("data_rights", args=[world.alice.pk])).content.decode()
    assert reverse("doses:export_csv", args=[world.alice.pk]) in page
    assert reverse("doses:export_fhir", args=[world.alice.pk]) in page
    assert reverse("patient_delete", args=[world.alice.pk]) in page


def test_both_exports_download_for_the_patient(world, client_for, alice_with_records):
    client = client_for(world.alice_user)
    csv = client.get(reverse("doses:export_csv", args=[world.alice.pk]))
    fhir = client.get(reverse("doses:export_fhir", args=[world.alice.pk]))
    assert csv.status_code == fhir.status_code == 200
    assert "attachment" in csv["Content-Disposition"]


def test_a_wrong_name_deletes_nothing_and_says_why(world, client_for, alice_with_records):
    response = client_for(world.alice_user).post(
        reverse("patient_delete", args=[world.alice.pk]), {"confirm_name": "Alice Exampel"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "That is not the name on the profile" in page
    assert 'value="Alice Exampel"' in page
    assert Patient.objects.filter(pk=world.alice.pk).exists()
    assert User.objects.filter(pk=world.alice_user.pk).exists()


def test_a_self_patient_deletes_her_records_and_account_and_is_signed_out(world, client_for, alice_with_records):
    feed = alice_with_records
    feed_url = reverse("reminders:feed", args=[feed.token])
    client = client_for(world.alice_user)
    response = client.post(reverse("patient_delete", args=[world.alice.pk]), {"confirm_name": " alice  example "})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    pid = world.alice.pk
    assert not Patient.objects.filter(pk=pid).exists()
    assert not User.objects.filter(pk=world.alice_user.pk).exists()
    for model in (Regimen, DoseSlot, SideEffect, CareMembership, Invitation, CalendarFeed):
        assert not model.objects.filter(patient_id=pid).exists(), model.__name__
    assert client.get(feed_url).status_code == 404
    # bob and carol keep their accounts, without access.
    assert User.objects.filter(pk__in=[world.bob.pk, world.carol.pk]).count() == 2
    assert client_for(world.bob).get(reverse("doses:today", args=[pid])).status_code == 404
    # The trail keeps that it happened, with the id only.
    deleted = AuditEvent.objects.get(patient_ref=pid, action="deleted")
    assert deleted.patient is None and deleted.actor is None and deleted.actor_email == "alice@example.org"


def test_a_parent_deletes_a_childs_profile_and_keeps_the_account(world, client_for):
    child = make_patient("Charlie Child", dob=date(2019, 2, 3))
    link(child, world.alice_user, CareRole.PARENT)
    link(child, world.bob, CareRole.CAREGIVER)
    response = client_for(world.alice_user).post(
        reverse("patient_delete", args=[child.pk]), {"confirm_name": "Charlie Child"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("patients")
    assert not Patient.objects.filter(pk=child.pk).exists()
    assert User.objects.filter(pk=world.alice_user.pk).exists()
    assert Patient.objects.filter(pk=world.alice.pk).exists()


def test_an_only_parent_cannot_delete_her_account_and_orphan_a_child(world, client_for):
    child = make_patient("Charlie Child", dob=date(2019, 2, 3))
    link(child, world.alice_user, CareRole.PARENT)
    response = client_for(world.alice_user).post(
        reverse("patient_delete", args=[world.alice.pk]), {"confirm_name": "Alice Example"}
    )
    assert response.status_code == 200
    assert "only parent or guardian on Charlie Child" in response.content.decode()
    assert Patient.objects.filter(pk=world.alice.pk).exists()
    assert User.objects.filter(pk=world.alice_user.pk).exists()


@pytest.mark.parametrize("who", ["caregiver", "clinician", "revoked_caregiver", "stranger"])
def test_no_one_else_can_delete_the_profile(world, client_for, who):
    response = client_for(world.users()[who]).post(
        reverse("patient_delete", args=[world.alice.pk]), {"confirm_name": "Alice Example"}
    )
    assert response.status_code == 404
    assert Patient.objects.filter(pk=world.alice.pk).exists()
