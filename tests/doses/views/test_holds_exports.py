"""History, exports and FHIR show holds and stops (issue 13, part 3)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from doses.models import DoseSlot, HoldReason, SlotStatus
from doses.services import holds

pytestmark = pytest.mark.django_db


def _held(world):
    """alice held by carol since yesterday (an infection); yesterday's and today's doses are held."""
    now = timezone.now()
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.INFECTION, now=now - timedelta(days=1))


def _fhir(client, patient):
    response = client.get(reverse("doses:export_fhir", args=[patient.pk]))
    assert response.status_code == 200
    data = json.loads(response.content)
    Bundle.model_validate(data)  # raises on anything R4B does not allow
    return data


def _resources(data, kind):
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def test_fhir_request_is_on_hold_and_held_doses_are_not_done_with_a_reason(world, alice_on_regimen, client_for):
    _held(world)
    data = _fhir(client_for(world.carol), world.alice)
    (request,) = _resources(data, "MedicationRequest")
    assert request["status"] == "on-hold"
    assert "AE-INFECTION" in request["statusReason"]["text"]
    held = [
        a
        for a in _resources(data, "MedicationAdministration")
        if a["statusReason"][0]["coding"][0]["code"] == "held"
        if a["status"] == "not-done"
    ]
    assert held, "held doses are in the bundle as not-done, reason held"
    assert DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.HELD).exists()


def test_fhir_request_is_stopped_after_a_stop(world, alice_on_regimen, client_for):
    holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.ALLERGY)
    data = _fhir(client_for(world.carol), world.alice)
    (request,) = _resources(data, "MedicationRequest")
    assert request["status"] == "stopped"
    assert "by Dr Carol Clinician" in request["statusReason"]["text"]


def test_csv_shows_held_doses_and_the_hold_period(world, alice_on_regimen, client_for):
    _held(world)
    holds.resume_treatment(patient=world.alice, by=world.carol)
    response = client_for(world.carol).get(reverse("doses:export_csv", args=[world.alice.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert any(r["record"] == "dose" and r["status"] == "Held by the clinician" for r in rows)
    (hold,) = [r for r in rows if r["record"] == "hold"]
    assert hold["status"] == "Resumed" and hold["not_taken_reason"] == "Infection"
    assert hold["symptom"] == "AE-INFECTION"
    assert hold["started_on"] and hold["resolved_at"] == world.alice.local_today().isoformat()


def test_csv_and_report_show_a_stop(world, alice_on_regimen, client_for):
    holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.PREGNANCY, note="Planning pregnancy")
    client = client_for(world.carol)
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("doses:export_csv", args=[world.alice.pk])).content.decode()))
    )
    (stop,) = [r for r in rows if r["record"] == "stop"]
    assert stop["status"] == "Treatment stopped" and stop["description"] == "Planning pregnancy"
    assert stop["symptom"] == "Stopped by Dr Carol Clinician"
    report = client.get(reverse("doses:report", args=[world.alice.pk])).content.decode()
    assert "Treatment stopped" in report and "Planning pregnancy" in report
    assert "Stop treatment" not in report  # the printed report has no forms


def test_the_calendar_shows_held_days_in_their_own_state(world, alice_on_regimen, client_for):
    _held(world)
    page = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    assert "cal-held" in page
    assert "On hold (clinician or automatic hold)" in page  # the legend and the table
