"""A change to a patient's record and its audit row are stored together, or neither is (issue 12, point 5).

These tests commit for real (transaction=True): the request's own transaction is the one
under test, not the test's. The audit insert is made to fail in the database itself, by a
trigger, as a full disk or a killed connection would make it fail.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from companion.models import AuditEvent, Patient
from doses.models import CareAlert, SideEffect
from reminders.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = AuditEvent._meta.db_table


@contextmanager
def audit_inserts_fail():
    """Every INSERT into the audit table raises a database error, until the block ends."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_audit_down() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_audit_down BEFORE INSERT ON {TABLE} FOR EACH ROW EXECUTE FUNCTION test_audit_down()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_audit_down BEFORE INSERT ON {TABLE} "
                "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS test_audit_down ON {TABLE}")
                cursor.execute("DROP FUNCTION IF EXISTS test_audit_down()")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS test_audit_down")


def symptom(world, name: str = "nausea") -> dict:
    return {"symptom": name, "severity": "mild", "started_on": world.alice.local_today().isoformat()}


def post_symptom(client, world, name: str = "nausea"):
    return client.post(reverse("doses:side_effects", args=[world.alice.pk]), symptom(world, name))


def test_a_logged_symptom_is_stored_with_exactly_one_audit_row(world, client_for):
    response = post_symptom(client_for(world.bob), world)
    assert response.status_code == 302
    [side_effect] = SideEffect.objects.filter(patient=world.alice)
    [event] = AuditEvent.objects.filter(patient_ref=world.alice.pk)
    assert (event.actor, event.action, event.url_name) == (world.bob, "changed", "doses:side_effects")


def test_a_symptom_whose_audit_row_cannot_be_written_is_not_stored(world, client_for):
    client = client_for(world.bob)
    client.raise_request_exception = False
    with audit_inserts_fail():
        response = post_symptom(client, world)
    assert response.status_code == 500
    assert not SideEffect.objects.filter(patient=world.alice).exists()
    assert not AuditEvent.objects.exists()


def test_a_serious_symptom_whose_audit_fails_raises_no_alert_and_sends_no_message(world, client_for):
    # The alert's delivery is queued with on_commit inside the service: it must wait for the
    # request's commit, which never comes.
    client = client_for(world.bob)
    client.raise_request_exception = False
    with audit_inserts_fail():
        response = post_symptom(client, world, "fever")
    assert response.status_code == 500
    assert not CareAlert.objects.exists()
    assert not Delivery.objects.exists()


def test_a_serious_symptom_with_its_audit_row_alerts_the_care_team_after_commit(world, client_for):
    response = post_symptom(client_for(world.bob), world, "fever")
    assert response.status_code == 302
    [alert] = CareAlert.objects.filter(patient=world.alice)
    assert Delivery.objects.filter(subject_key=f"alert:{alert.pk}").exists()
    assert AuditEvent.objects.filter(patient_ref=world.alice.pk, action="changed").count() == 1


def test_a_refused_symptom_is_shown_again_and_recorded_as_viewed(world, client_for):
    response = client_for(world.bob).post(
        reverse("doses:side_effects", args=[world.alice.pk]), {**symptom(world), "symptom": "made_up"}
    )
    assert response.status_code == 200
    assert not SideEffect.objects.exists()
    [event] = AuditEvent.objects.all()
    assert event.action == "viewed"


NEW_PROFILE = {
    "who": "self",
    "display_name": "Mallory Stranger",
    "date_of_birth": "1990-01-01",
    "time_zone": "Europe/London",
    "indication": "RA",
}


def test_a_new_profile_whose_audit_row_cannot_be_written_is_not_created(world, client_for):
    # The view records this change itself (the URL has no patient id): same transaction too.
    client = client_for(world.mallory)
    client.raise_request_exception = False
    with audit_inserts_fail():
        response = client.post(reverse("patient_new"), NEW_PROFILE)
    assert response.status_code == 500
    assert not Patient.objects.filter(display_name="Mallory Stranger").exists()


def test_a_new_profile_is_created_with_exactly_one_audit_row(world, client_for):
    response = client_for(world.mallory).post(reverse("patient_new"), NEW_PROFILE)
    assert response.status_code == 302
    patient = Patient.objects.get(display_name="Mallory Stranger")
    [event] = AuditEvent.objects.filter(patient_ref=patient.pk)
    assert (event.actor, event.action) == (world.mallory, "changed")


def test_an_invitation_whose_audit_row_cannot_be_written_is_not_stored(world, client_for):
    client = client_for(world.alice_user)
    client.raise_request_exception = False
    with audit_inserts_fail():
        response = client.post(
            reverse("circle", args=[world.alice.pk]), {"email": "friend@example.org", "role": "caregiver"}
        )
    assert response.status_code == 500
    assert not world.alice.invitations.exists()
    assert mail.outbox == []  # the e-mail waits for a commit that never came
