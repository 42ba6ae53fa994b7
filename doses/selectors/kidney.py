"""Kidney function and neutrophil results as the pages read them (SCHED-RENAL, AE-LABS, AE-NEUTROPENIA)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from companion.models import Patient
from doses.rules import kidney_function as kidney_rules
from doses.rules import lab_checks as neutrophil_rules

from ..models import KidneyFunction, LabTest, Regimen


@dataclass(frozen=True)
class KidneyStatus:
    """The patient's current kidney function: the latest result, or the clearance typed on the
    profile before results were recorded (no date, no source: `legacy`)."""

    measurement: KidneyFunction | None
    legacy_clearance_ml_min: Decimal | None = None

    @property
    def known(self) -> bool:
        return self.measurement is not None or self.legacy_clearance_ml_min is not None

    @property
    def legacy(self) -> bool:
        return self.measurement is None and self.legacy_clearance_ml_min is not None

    @property
    def end_stage(self) -> bool:
        return self.measurement is not None and self.measurement.is_end_stage

    @property
    def clearance_ml_min(self) -> Decimal | None:
        if self.measurement is not None:
            return self.measurement.clearance_ml_min
        return self.legacy_clearance_ml_min

    @property
    def suggested_interval_days(self) -> int:
        return kidney_rules.suggested_interval_days(self.clearance_ml_min, end_stage=self.end_stage)


def kidney_status(patient: Patient) -> KidneyStatus:
    """SCHED-RENAL: the latest kidney function result of `patient` (one query)."""
    latest = KidneyFunction.objects.filter(patient=patient).select_related("recorded_by").first()
    return KidneyStatus(latest, None if latest else patient.creatinine_clearance_ml_min)


def kidney_history(patient: Patient) -> list[KidneyFunction]:
    return list(KidneyFunction.objects.filter(patient=patient).select_related("recorded_by"))


def latest_kidney_by_patient(patient_ids) -> dict[int, tuple[str, Decimal | None]]:
    """{patient id: (kind, clearance)} of each patient's latest result, in one query (the panel)."""
    latest = KidneyFunction.objects.filter(patient=OuterRef("pk")).order_by("-measured_on", "-recorded_at", "-pk")
    rows = (
        Patient.objects.filter(pk__in=patient_ids)
        .annotate(kind=Subquery(latest.values("kind")[:1]), clearance=Subquery(latest.values("clearance_ml_min")[:1]))
        .values_list("pk", "kind", "clearance", "creatinine_clearance_ml_min")
    )
    found = {}
    for pk, kind, clearance, legacy in rows:
        if kind is not None:
            found[pk] = (kind, clearance)
        elif legacy is not None:
            found[pk] = (KidneyFunction.Kind.CLEARANCE, legacy)
    return found


def every_other_day_to_consider(patient: Patient, status: KidneyStatus | None = None) -> bool:
    """SCHED-RENAL: the kidney function suggests every other day and the regimen in force is daily."""
    status = status or kidney_status(patient)
    current = Regimen.objects.current().filter(patient=patient).values_list("interval_days", flat=True).first()
    return kidney_rules.every_other_day_to_consider(
        status.clearance_ml_min, end_stage=status.end_stage, interval_days=current
    )


def neutrophil_results(patient: Patient) -> list[neutrophil_rules.TrendPoint]:
    """AE-LABS: the counts done, oldest first, each with its change (the trend)."""
    rows = (
        LabTest.objects.filter(patient=patient, done_on__isnull=False, neutrophils_10e9_per_l__isnull=False)
        .order_by("done_on", "pk")
        .values_list("label", "done_on", "neutrophils_10e9_per_l")
    )
    return neutrophil_rules.neutrophil_trend(list(rows))


def latest_neutrophils_by_patient(patient_ids) -> dict[int, Decimal]:
    """{patient id: the latest count done}, in one query (the panel's AE-NEUTROPENIA flag)."""
    latest = LabTest.objects.filter(
        patient=OuterRef("pk"), done_on__isnull=False, neutrophils_10e9_per_l__isnull=False
    ).order_by("-done_on", "-pk")
    rows = (
        Patient.objects.filter(pk__in=patient_ids)
        .annotate(count=Subquery(latest.values("neutrophils_10e9_per_l")[:1]))
        .filter(count__isnull=False)
        .values_list("pk", "count")
    )
    return dict(rows)
