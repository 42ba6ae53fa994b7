"""The record in a date range for the CSV, FHIR and printable exports."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone

from companion.models import Patient

from ..models import (
    DoseSlot,
    SideEffect,
)
from .patient_page import DateRange


def export_doses(patient: Patient, date_range: DateRange, *, now: datetime | None = None) -> QuerySet[DoseSlot]:
    """Doses in the range that are due by now (pending future doses are not a record yet)."""
    now = now or timezone.now()
    return (
        DoseSlot.objects.filter(
            patient=patient, local_date__gte=date_range.start, local_date__lte=date_range.end, scheduled_at__lte=now
        )
        .select_related("injection", "regimen")
        .order_by("scheduled_at")
    )


def export_side_effects(patient: Patient, date_range: DateRange) -> QuerySet[SideEffect]:
    range_from, _ = date_range.bounds(patient.zone)
    return (
        SideEffect.objects.filter(patient=patient, started_on__lte=date_range.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=range_from))
        .order_by("started_on", "pk")
    )
