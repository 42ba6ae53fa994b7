"""A patient's record for a date range as a FHIR R4 `Bundle` (type "collection").

Built with the `fhir.resources` models so every resource is validated as it is made.
`fhir.resources` 8 defaults to FHIR R5; its R4B models (`fhir.resources.R4B`) are the
closest it has to R4: R4B (4.3) changed no resource used here (Patient,
MedicationRequest, MedicationAdministration, AdverseEvent) in a way that matters for
these fields, so the JSON reads as R4.

Contents: the Patient; one MedicationRequest per regimen version (the current one
"on-hold" while treatment is held, a stopped one "stopped", each with a statusReason); one
MedicationAdministration per dose in the range that is decided (taken = "completed", with
its batch (lot) and expiry in a contained Medication, TRACE-BATCH;
not taken, missed or held = "not-done" with a statusReason; doses still pending are not a
record yet and are left out); one AdverseEvent per side effect open during the range.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils import timezone
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.patient import Patient as FhirPatient

from companion.models import Patient
from doses.rules import syringe_supply

from . import sites
from .models import NotTakenReason, Regimen, SlotStatus, TreatmentHold, TreatmentStop
from .selectors import exports as export_selectors
from .selectors import patient_page as patient_page_selectors

# Stable resource ids: the same row always gets the same urn:uuid in every export.
NAMESPACE = uuid.UUID("6f1c3c1e-7a51-4c43-9d55-2b8f2b7f0a10")
LOCAL_SYSTEM = "https://anakinra-companion.example/fhir/CodeSystem"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"

ANAKINRA = {
    # RxNorm ingredient concept for anakinra; the text says which product is meant.
    "coding": [{"system": RXNORM, "code": "72435", "display": "anakinra"}],
    "text": "anakinra 100 mg/0.67 mL pre-filled syringe (Kineret)",
}
SUBCUTANEOUS = {"coding": [{"system": SNOMED, "code": "34206005", "display": "Subcutaneous route"}]}
MISSED_REASON = "missed"
HELD_REASON = "held"  # a dose on a day treatment was on hold (doses/services/holds.py)


def urn(kind: str, pk) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{pk}')}"


def _local(moment: datetime, patient: Patient) -> str:
    """An effectiveDateTime with the patient's zone offset (SCHED-TZ), to the second."""
    return timezone.localtime(moment, patient.zone).replace(microsecond=0).isoformat()


def patient_resource(patient: Patient) -> FhirPatient:
    return FhirPatient(
        id=str(uuid.uuid5(NAMESPACE, f"patient/{patient.pk}")),
        identifier=[{"system": f"{LOCAL_SYSTEM}/patient-id", "value": str(patient.pk)}],
        name=[{"text": patient.display_name}],
        birthDate=patient.date_of_birth,
    )


def medication_request(
    regimen: Regimen,
    patient_ref: str,
    patient: Patient,
    *,
    hold: TreatmentHold | None = None,
    stop: TreatmentStop | None = None,
) -> MedicationRequest:
    """`hold`: the open hold (the current version is "on-hold"); `stop`: this version was stopped ("stopped")."""
    current = regimen.ends_on is None
    confirmed = regimen.status == Regimen.Status.CONFIRMED
    notes = [f"Version {regimen.version}, {regimen.get_status_display().lower()}."]
    status = "active" if current else "completed"
    status_reason = None
    if current and hold is not None:
        status = "on-hold"
        status_reason = {
            "coding": [{"system": f"{LOCAL_SYSTEM}/hold-reason", "code": hold.reason}],
            "text": f"On hold since {_local(hold.starts_at, patient)} ({hold.get_reason_display()}, {hold.rule_id})"
            + (f" until {hold.until.isoformat()}" if hold.until else "")
            + ("; started automatically, pending a clinician's review" if hold.pending_review else ""),
        }
    elif stop is not None:
        status = "stopped"
        by = f" by {stop.stopped_by.display_name}" if stop.stopped_by else ""
        status_reason = {
            "coding": [{"system": f"{LOCAL_SYSTEM}/hold-reason", "code": stop.reason}],
            "text": f"Stopped on {stop.stopped_on.isoformat()}{by} ({stop.get_reason_display()})",
        }
    if regimen.change_reason:
        notes.append(f"Reason for change: {regimen.change_reason}")
    if regimen.override_reason:
        notes.append(f"Dose above 8 mg/kg/day, override reason (DOSE-PED-MAX): {regimen.override_reason}")
    timing_repeat = {
        "frequency": regimen.administrations_per_day,
        "period": regimen.interval_days,
        "periodUnit": "d",
        "timeOfDay": [f"{t}:00" if len(t) == 5 else t for t in regimen.times_of_day],
        "boundsPeriod": {"start": regimen.starts_on.isoformat()},
    }
    if regimen.ends_on:
        timing_repeat["boundsPeriod"]["end"] = regimen.ends_on.isoformat()
    return MedicationRequest(
        id=str(uuid.uuid5(NAMESPACE, f"regimen/{regimen.pk}")),
        # A version replaced by a newer one is "completed"; one a patient or parent
        # entered is a "proposal" until a clinician confirms it.
        status=status,
        statusReason=status_reason,
        intent="order" if confirmed else "proposal",
        medicationCodeableConcept=ANAKINRA,
        subject={"reference": patient_ref, "display": patient.display_name},
        authoredOn=_local(regimen.entered_at, patient),
        note=[{"text": " ".join(notes)}],
        dosageInstruction=[
            {
                "text": regimen.describe(),
                "timing": {"repeat": timing_repeat},
                "route": SUBCUTANEOUS,
                "doseAndRate": [
                    {"doseQuantity": _mg(regimen.dose_per_administration_mg)},
                ],
            }
        ],
    )


def _mg(value) -> dict:
    return {"value": float(value), "unit": "mg", "system": UCUM, "code": "mg"}


def _above_prescribed_note(injection) -> list[dict]:
    """AE-OVERDOSE: a dose recorded above the prescribed one says so, with the prescribed dose."""
    if not injection.above_prescribed:
        return []
    prescribed = f" (prescribed {injection.prescribed_mg} mg)" if injection.prescribed_mg is not None else ""
    return [{"text": f"Above the prescribed dose{prescribed}: recorded as injected after confirmation (AE-OVERDOSE)."}]


def _medication_given(injection) -> dict:
    """TRACE-BATCH: the product given with its batch (lot) and expiry. R4's MedicationAdministration
    has no lot of its own: it refers to a contained Medication whose `batch` holds them. A dose
    whose batch was not recorded keeps the plain code (and says so in a note)."""
    if not injection.batch_number:
        return {}
    batch = {"lotNumber": injection.batch_number}
    if injection.batch_expires_on:
        batch["expirationDate"] = injection.batch_expires_on.isoformat()
    medication = Medication(id="batch", code=ANAKINRA, batch=batch)
    return {
        "medicationCodeableConcept": None,
        "contained": [medication],
        "medicationReference": {"reference": "#batch", "display": f"{ANAKINRA['text']}, lot {injection.batch_number}"},
    }


def medication_administration(slot, patient_ref: str, request_ref: str, patient: Patient) -> MedicationAdministration:
    base = {
        "id": str(uuid.uuid5(NAMESPACE, f"slot/{slot.pk}")),
        "medicationCodeableConcept": ANAKINRA,
        "subject": {"reference": patient_ref, "display": patient.display_name},
        "request": {"reference": request_ref},
    }
    if slot.status == SlotStatus.TAKEN:
        injection = slot.injection
        try:
            site_text = sites.spot_label(injection.site_spot)
        except ValueError:
            site_text = injection.site_spot
        return MedicationAdministration(
            **{**base, **_medication_given(injection)},
            status="completed",
            effectiveDateTime=_local(injection.taken_at, patient),
            note=[{"text": f"Scheduled {_local(slot.scheduled_at, patient)}; {injection.get_injected_by_display()}."}]
            + _above_prescribed_note(injection)
            + ([] if injection.batch_number else [{"text": f"Batch: {syringe_supply.BATCH_NOT_RECORDED} (TRACE-BATCH)."}]),
            dosage={
                "site": {
                    "coding": [{"system": f"{LOCAL_SYSTEM}/injection-spot", "code": injection.site_spot}],
                    "text": site_text,
                },
                "route": SUBCUTANEOUS,
                "dose": _mg(injection.dose_mg),
            },
        )
    if slot.status == SlotStatus.HELD:
        reason = {
            "coding": [{"system": f"{LOCAL_SYSTEM}/not-taken-reason", "code": HELD_REASON}],
            "text": "Held: treatment was on hold, so this dose was not due",
        }
    elif slot.status == SlotStatus.NOT_TAKEN:
        code = slot.not_taken_reason or NotTakenReason.OTHER
        reason = {
            "coding": [{"system": f"{LOCAL_SYSTEM}/not-taken-reason", "code": code}],
            "text": f"Not taken: {NotTakenReason(code).label}",
        }
    else:
        reason = {
            "coding": [{"system": f"{LOCAL_SYSTEM}/not-taken-reason", "code": MISSED_REASON}],
            "text": "Missed: no dose was logged before the dose window closed",
        }
    return MedicationAdministration(
        **base,
        status="not-done",
        statusReason=[reason],
        effectiveDateTime=_local(slot.scheduled_at, patient),
        dosage={"route": SUBCUTANEOUS, "dose": _mg(slot.dose_mg)},
    )


def adverse_event(side_effect, patient_ref: str, suspect_ref: str | None, patient: Patient) -> AdverseEvent:
    what = side_effect.description or side_effect.symptom.replace("_", " ")
    if side_effect.is_site_reaction:
        what += " (injection-site reaction)"
    resource = {
        "id": str(uuid.uuid5(NAMESPACE, f"side-effect/{side_effect.pk}")),
        "actuality": "actual",
        "subject": {"reference": patient_ref, "display": patient.display_name},
        "event": {"coding": [{"system": f"{LOCAL_SYSTEM}/symptom", "code": side_effect.symptom}], "text": what},
        "date": side_effect.started_on.isoformat(),
        "recordedDate": _local(side_effect.logged_at, patient),
        "seriousness": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
                    "code": "serious" if side_effect.is_serious else "non-serious",
                }
            ]
        },
        "severity": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity", "code": side_effect.severity}
            ]
        },
        "outcome": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                    "code": "resolved" if side_effect.resolved_at else "ongoing",
                }
            ]
        },
    }
    if suspect_ref:
        resource["suspectEntity"] = [{"instance": {"reference": suspect_ref}}]
    return AdverseEvent(**resource)


def patient_bundle(patient: Patient, date_range: patient_page_selectors.DateRange, *, now: datetime | None = None) -> Bundle:
    now = now or timezone.now()
    patient_ref = urn("patient", patient.pk)
    entries = [BundleEntry(fullUrl=patient_ref, resource=patient_resource(patient))]
    regimens = list(Regimen.objects.filter(patient=patient).order_by("version"))
    open_hold = TreatmentHold.objects.open().filter(patient=patient).first()
    stops = {s.regimen_id: s for s in TreatmentStop.objects.filter(patient=patient).select_related("stopped_by")}
    for regimen in regimens:
        resource = medication_request(regimen, patient_ref, patient, hold=open_hold, stop=stops.get(regimen.pk))
        entries.append(BundleEntry(fullUrl=urn("regimen", regimen.pk), resource=resource))
    exported_slots = set()
    for slot in export_selectors.export_doses(patient, date_range, now=now).exclude(status=SlotStatus.PENDING):
        exported_slots.add(slot.pk)
        entries.append(
            BundleEntry(
                fullUrl=urn("slot", slot.pk),
                resource=medication_administration(slot, patient_ref, urn("regimen", slot.regimen_id), patient),
            )
        )
    current = next((r for r in regimens if r.ends_on is None), None)
    for side_effect in export_selectors.export_side_effects(patient, date_range).select_related("injection"):
        suspect = None
        if side_effect.injection_id and side_effect.injection.slot_id in exported_slots:
            suspect = urn("slot", side_effect.injection.slot_id)
        elif current is not None:
            suspect = urn("regimen", current.pk)
        entries.append(
            BundleEntry(
                fullUrl=urn("side-effect", side_effect.pk),
                resource=adverse_event(side_effect, patient_ref, suspect, patient),
            )
        )
    return Bundle(
        id=str(uuid.uuid4()),
        type="collection",
        timestamp=_local(now, patient),
        meta={"tag": [{"system": f"{LOCAL_SYSTEM}/export-range", "code": f"{date_range.start}/{date_range.end}"}]},
        entry=entries,
    )
