"""Kidney function results (SCHED-RENAL): recorded by a clinician, never changing a regimen.

A result that suggests every other day (clearance below 30 mL/min, or end-stage renal
disease / dialysis) while the regimen in force is daily alerts the clinicians; the regimen
page then offers the change prefilled, and a clinician confirms it (views/regimen.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from companion.models import Patient
from doses.rules import kidney_function as kidney_rules
from doses.rules import record_limits

from ..models import CareAlert, KidneyFunction
from ..selectors import kidney as kidney_selectors
from .alerts import raise_care_alert
from .holds import MAX_NOTE_CHARS
from .refusals import RecordRefused
from .summaries import refresh_adherence_summary_on_commit


@dataclass(frozen=True)
class KidneyRecorded:
    measurement: KidneyFunction
    alert: CareAlert | None  # SCHED-RENAL: every other day to consider on a daily regimen


def _refused(error: kidney_rules.KidneyValueRefused) -> RecordRefused:
    return RecordRefused(str(error), error.field, "SCHED-RENAL")


@transaction.atomic
def record_kidney_function(
    *,
    patient: Patient,
    kind: str,
    measured_on: date,
    by,
    creatinine_value: Decimal | None = None,
    creatinine_unit: str = "",
    sex: str = "",
    weight_kg: Decimal | None = None,
    clearance_ml_min: Decimal | None = None,
    note: str = "",
    now: datetime | None = None,
) -> KidneyRecorded:
    """SCHED-RENAL: store one kidney function result, estimating an adult's clearance from serum
    creatinine (Cockcroft-Gault, with the age on the day, the weight and the sex it used).

    The caller checks the CONFIRM capability (clinicians). Refusals name the form field.
    """
    now = now or timezone.now()
    if kind not in KidneyFunction.Kind.values:
        raise RecordRefused("Choose what the result is.", "kind", "SCHED-RENAL")
    if measured_on is None:
        raise RecordRefused("Say when the blood was taken.", "measured_on", "SCHED-RENAL")
    if refusal := record_limits.future_date_refusal(measured_on, patient.local_today(now), "test date"):
        raise RecordRefused(refusal, "measured_on", "SCHED-RENAL")
    if measured_on < patient.date_of_birth:
        raise RecordRefused("The test date is before the date of birth.", "measured_on", "SCHED-RENAL")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE_CHARS:
        raise RecordRefused(f"Please keep the note to {MAX_NOTE_CHARS} characters.", "note", "SCHED-RENAL")
    fields: dict = {}
    try:
        if creatinine_value is not None and kind != KidneyFunction.Kind.END_STAGE:
            fields.update(
                creatinine_value=Decimal(creatinine_value),
                creatinine_unit=creatinine_unit,
                creatinine_mg_dl=kidney_rules.creatinine_mg_dl(creatinine_value, creatinine_unit),
            )
        if kind == KidneyFunction.Kind.CREATININE:
            if creatinine_value is None:
                raise RecordRefused("Enter the serum creatinine from the lab report.", "creatinine_value")
            if patient.is_child(measured_on):
                raise RecordRefused(kidney_rules.CHILD_NEEDS_CLEARANCE, "kind", "SCHED-RENAL")
            if sex not in KidneyFunction.Sex.values:
                raise RecordRefused(
                    "Choose the patient's sex: the Cockcroft-Gault formula multiplies by 0.85 for a female patient.",
                    "sex",
                    "SCHED-RENAL",
                )
            weight = weight_kg if weight_kg is not None else patient.weight_kg
            if weight is None:
                raise RecordRefused(
                    "Enter the patient's weight: the Cockcroft-Gault formula needs it.", "weight_kg", "SCHED-RENAL"
                )
            estimate = kidney_rules.cockcroft_gault(
                age_years=patient.age_on(measured_on),
                weight_kg=weight,
                female=sex == KidneyFunction.Sex.FEMALE,
                creatinine_mg_dl=fields["creatinine_mg_dl"],
            )
            fields.update(
                clearance_ml_min=estimate.clearance_ml_min,
                age_years=estimate.age_years,
                weight_kg=estimate.weight_kg,
                sex=sex,
            )
        elif kind == KidneyFunction.Kind.CLEARANCE:
            if clearance_ml_min is None:
                raise RecordRefused("Enter the creatinine clearance in mL/min.", "clearance_ml_min", "SCHED-RENAL")
            fields["clearance_ml_min"] = kidney_rules.clearance_ml_min(clearance_ml_min)
    except kidney_rules.KidneyValueRefused as error:
        raise _refused(error) from error
    measurement = KidneyFunction.objects.create(
        patient=patient, kind=kind, measured_on=measured_on, note=note, recorded_by=by, recorded_at=now, **fields
    )
    status = kidney_selectors.KidneyStatus(measurement)
    alert = None
    # SCHED-RENAL: flagged to the clinician, never applied: the regimen page offers the change.
    if kidney_selectors.every_other_day_to_consider(patient, status):
        if measurement.is_end_stage:
            what = "End-stage renal disease / dialysis"
        else:
            source = "estimated from serum creatinine" if measurement.is_estimated else "entered by the clinician"
            what = f"Creatinine clearance {measurement.clearance_ml_min} mL/min ({source})"
        alert = raise_care_alert(
            patient=patient,
            kind=CareAlert.Kind.RENAL_INTERVAL,
            rule_id="SCHED-RENAL",
            summary=f"{what} on {measured_on:%d %b %Y}, on a daily regimen: consider every other day (SCHED-RENAL).",
            now=now,
        )
    refresh_adherence_summary_on_commit(patient.pk, now=now)
    return KidneyRecorded(measurement, alert)
