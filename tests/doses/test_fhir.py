"""The FHIR export: an R4 (R4B models) Bundle that fhir.resources accepts, with what a clinician expects."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from doses import fhir
from doses.models import DoseSlot, SlotStatus
from doses.selectors import patient_page as patient_page_selectors
from tests.conftest import start_adult_regimen

from .dashboard_history import build_history


@pytest.fixture
def alice_history(world):
    # New York, so the zone offset in effectiveDateTime is never "Z".
    world.alice.time_zone = "America/New_York"
    world.alice.save()
    return build_history(world.alice, world.carol, days=40)


def _export(client, patient, **query):
    response = client.get(reverse("doses:export_fhir", args=[patient.pk]), query)
    assert response.status_code == 200, response.content[:300]
    return response, json.loads(response.content)


def _resources(data, kind):
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def test_export_is_a_bundle_that_fhir_resources_validates(world, alice_history, client_for):
    response, data = _export(client_for(world.carol), world.alice)
    assert response["Content-Type"].startswith("application/fhir+json")
    assert "attachment" in response["Content-Disposition"]
    bundle = Bundle.model_validate(data)  # raises on anything R4B does not allow
    assert bundle.type == "collection"
    kinds = {e.resource.get_resource_type() for e in bundle.entry}
    assert kinds == {"Patient", "MedicationRequest", "MedicationAdministration", "AdverseEvent"}
    # Every reference inside the bundle resolves to an entry of the bundle.
    full_urls = {e["fullUrl"] for e in data["entry"]}
    text = json.dumps(data)
    for url in {part.split('"')[0] for part in text.split('"reference": "')[1:]}:
        assert url in full_urls or url.startswith("#")  # "#batch": a contained Medication (TRACE-BATCH)


def test_each_decided_dose_is_a_medication_administration(world, alice_history, client_for):
    today = world.alice.local_today()
    start = today - timedelta(days=13)
    _, data = _export(client_for(world.carol), world.alice, start=start.isoformat(), end=today.isoformat())
    administrations = _resources(data, "MedicationAdministration")
    decided = DoseSlot.objects.filter(
        patient=world.alice, local_date__gte=start, local_date__lte=today, status__in=["taken", "missed", "not_taken"]
    )
    assert len(administrations) == decided.count() > 0
    completed = [a for a in administrations if a["status"] == "completed"]
    not_done = [a for a in administrations if a["status"] == "not-done"]
    assert completed and not_done
    dose = completed[0]["dosage"]
    assert dose["dose"] == {"value": 100.0, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert dose["site"]["text"]  # a body-map spot in words
    assert dose["route"]["coding"][0]["code"] == "34206005"  # subcutaneous
    # effectiveDateTime carries the patient's zone offset (SCHED-TZ).
    assert all(a["effectiveDateTime"][-6:] in ("-05:00", "-04:00") for a in administrations)
    reasons = {a["statusReason"][0]["coding"][0]["code"] for a in not_done}
    assert reasons <= {"missed", "side_effect"} and reasons
    assert all(a["statusReason"][0]["text"] for a in not_done)


def test_each_regimen_version_is_a_medication_request(world, alice_history, client_for):
    start_adult_regimen(world.alice, world.alice_user, starts_on=world.alice.local_today(), confirmed=False)
    _, data = _export(client_for(world.carol), world.alice)
    requests = sorted(_resources(data, "MedicationRequest"), key=lambda r: r["authoredOn"])
    assert [(r["status"], r["intent"]) for r in requests] == [("completed", "order"), ("active", "proposal")]
    assert requests[0]["dosageInstruction"][0]["timing"]["repeat"]["periodUnit"] == "d"
    assert requests[0]["medicationCodeableConcept"]["coding"][0]["display"] == "anakinra"


def test_side_effects_are_adverse_events_with_seriousness(world, alice_history, client_for):
    _, data = _export(client_for(world.carol), world.alice)
    events = {e["event"]["text"]: e for e in _resources(data, "AdverseEvent")}
    fever = events["Fever and chills"]
    assert fever["seriousness"]["coding"][0]["code"] == "serious"
    assert fever["outcome"]["coding"][0]["code"] == "ongoing"
    assert fever["actuality"] == "actual"
    site = events["Redness at the site (injection-site reaction)"]
    assert site["seriousness"]["coding"][0]["code"] == "non-serious"


def test_pending_doses_are_not_exported(world, client_for):
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today())
    assert DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.PENDING).exists()
    _, data = _export(client_for(world.carol), world.alice)
    assert _resources(data, "MedicationAdministration") == []


def test_bundle_builder_gives_stable_ids_for_the_same_rows(world, alice_history):
    date_range = patient_page_selectors.DateRange(world.alice.local_today() - timedelta(days=6), world.alice.local_today())
    first = fhir.patient_bundle(world.alice, date_range)
    second = fhir.patient_bundle(world.alice, date_range)
    assert [e.fullUrl for e in first.entry] == [e.fullUrl for e in second.entry]
