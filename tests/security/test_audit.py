"""The audit trail: who viewed, changed or exported alice's record; append-only; shown to her and to staff."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from companion.admin import AuditEventAdmin
from companion.models import AppendOnlyError, AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def events(patient):
    return list(AuditEvent.objects.filter(patient_ref=patient.pk).order_by("id"))


def test_opening_a_patient_page_records_who_viewed_it(world, client_for):
    client_for(world.bob).get(reverse("circle", args=[world.alice.pk]))
    [event] = events(world.alice)
    assert (event.actor, event.patient, event.action, event.method) == (world.bob, world.alice, "viewed", "GET")
    assert event.path == reverse("circle", args=[world.alice.pk])
    assert event.actor_email == "bob@example.org"


def test_a_change_is_recorded_as_changed(world, client_for):
    client_for(world.alice_user).post(
        reverse("circle", args=[world.alice.pk]), {"email": "friend@example.org", "role": "caregiver"}
    )
    [event] = events(world.alice)
    assert (event.actor, event.action, event.method, event.status_code) == (world.alice_user, "changed", "POST", 302)


def test_an_export_is_recorded_as_exported(world, client_for):
    url = reverse("doses:export_csv", args=[world.alice.pk])
    response = client_for(world.carol).get(url)
    assert response.status_code == 200
    [event] = events(world.alice)
    assert (event.actor, event.action) == (world.carol, AuditAction.EXPORTED)


@pytest.mark.parametrize("who", ["anonymous", "other_clinician", "revoked_caregiver", "stranger"])
def test_refused_requests_record_nothing(world, client_for, who):
    client_for(world.users()[who]).get(reverse("circle", args=[world.alice.pk]))
    assert events(world.alice) == []


def test_pages_without_a_patient_record_nothing(world, client_for):
    client_for(world.alice_user).get(reverse("patients"))
    assert AuditEvent.objects.count() == 0


def test_an_event_cannot_be_changed_or_deleted(world, client_for):
    client_for(world.bob).get(reverse("circle", args=[world.alice.pk]))
    event = AuditEvent.objects.get()
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event = AuditEvent.objects.get()
    assert event.action == "viewed"


def test_the_admin_is_read_only_for_the_trail(world, django_user_model):
    staff = django_user_model.objects.create_superuser(email="staff@example.org", password="x-staff-password-1")
    request = RequestFactory().get("/")
    request.user = staff
    model_admin = AuditEventAdmin(AuditEvent, admin.site)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_patient_sees_who_looked_at_her_record(world, client_for):
    client_for(world.bob).get(reverse("circle", args=[world.alice.pk]))
    client_for(world.carol).get(reverse("doses:export_fhir", args=[world.alice.pk]))
    response = client_for(world.alice_user).get(reverse("audit_trail", args=[world.alice.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Bob Caregiver" in page and "Dr Carol Clinician" in page
    # In words (issue 16, point 10), not the action code or the path of the request.
    table = page[page.index("<table") : page.index("</table>")]
    assert "Opened the care circle" in table and "Health record downloaded (FHIR)" in table
    assert reverse("circle", args=[world.alice.pk]) not in table


def test_the_trail_says_what_a_change_was_in_words(world, client_for):
    client_for(world.alice_user).post(
        reverse("circle", args=[world.alice.pk]), {"email": "friend@example.org", "role": "caregiver"}
    )
    client_for(world.alice_user).post(reverse("patient_edit", args=[world.alice.pk]), {"display_name": ""})  # refused
    page = client_for(world.alice_user).get(reverse("audit_trail", args=[world.alice.pk])).content.decode()
    table = page[page.index("<table") : page.index("</table>")]
    assert "Invitation sent" in table
    assert "Opened the profile" in table  # the refused form changed nothing: the record was seen
    assert "/circle/" not in table and "POST" not in table


def test_the_trail_filters_by_a_member_of_the_circle(world, client_for):
    client_for(world.bob).get(reverse("circle", args=[world.alice.pk]))
    client_for(world.carol).get(reverse("doses:export_csv", args=[world.alice.pk]))
    url = reverse("audit_trail", args=[world.alice.pk])
    page = client_for(world.alice_user).get(url, {"person": world.bob.pk}).content.decode()
    table = page[page.index("<table") :]
    assert "Bob Caregiver" in table and "Dr Carol Clinician" not in table
    assert f'<option value="{world.bob.pk}" selected>' in page
    # Someone outside the circle is not a choice: the whole trail is shown instead.
    page = client_for(world.alice_user).get(url, {"person": world.mallory.pk}).content.decode()
    table = page[page.index("<table") :]
    assert "Bob Caregiver" in table and "Dr Carol Clinician" in table
    assert "Mallory" not in page


def test_staff_see_any_patients_trail(world, client_for, django_user_model):
    staff = django_user_model.objects.create_user(email="ops@example.org", password="x", is_staff=True)
    client_for(world.bob).get(reverse("circle", args=[world.alice.pk]))
    response = client_for(staff).get(reverse("audit_trail", args=[world.alice.pk]))
    assert response.status_code == 200
    assert "Bob Caregiver" in response.content.decode()


def test_the_trail_page_takes_the_same_number_of_queries_for_many_events(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("audit_trail", args=[world.alice.pk])

    def queries_for_page() -> int:
        client = client_for(world.alice_user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client_for(world.bob).get(reverse("circle", args=[world.alice.pk]))
    few = queries_for_page()
    for _ in range(15):
        client_for(world.bob).get(reverse("circle", args=[world.alice.pk]))
        client_for(world.carol).get(reverse("circle", args=[world.alice.pk]))
    assert queries_for_page() == few


def test_joining_a_circle_by_invitation_is_recorded(world, client_for):
    from companion import services

    issued = services.invite_to_circle(
        patient=world.alice, email="mallory@example.org", role="caregiver", invited_by=world.alice_user
    )
    client_for(world.mallory).post(reverse("invitation_accept", args=[issued.token]))
    [event] = events(world.alice)
    assert (event.actor, event.action, event.url_name) == (world.mallory, "changed", "invitation_accept")


def test_creating_a_profile_is_recorded(world, client_for):
    client_for(world.mallory).post(
        reverse("patient_new"),
        {
            "who": "self",
            "display_name": "Mallory Stranger",
            "date_of_birth": "1990-01-01",
            "time_zone": "Europe/London",
            "indication": "RA",
        },
    )
    event = AuditEvent.objects.get(actor=world.mallory)
    assert event.action == "changed" and event.patient.display_name == "Mallory Stranger"


def test_a_form_shown_again_with_a_message_is_not_a_change(world, client_for):
    client_for(world.alice_user).post(reverse("circle", args=[world.alice.pk]), {"email": "not-an-address"})
    [event] = events(world.alice)
    assert event.action == "viewed"
