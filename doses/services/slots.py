"""Dose slots: materialised from the regimen (doses/schedule.py), moved when the time zone changes."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from companion.models import Patient

from .. import schedule
from ..models import (
    DoseSlot,
    Regimen,
    SlotStatus,
)
from .summaries import refresh_adherence_summary_on_commit


def materialise_slots(*, regimen: Regimen, from_day: date, to_day: date) -> int:
    """Create the regimen's dose slots between two local days. Idempotent (doses/schedule.py)."""
    return schedule.materialise([schedule.Plan(regimen, from_day, to_day)])


def reschedule_after_time_zone_change(*, patient: Patient, now: datetime | None = None) -> int:
    """SCHED-TZ (travel): doses still to come move to the same local clock time in the new zone.

    Call after `patient.time_zone` changes. Pending slots after `now` are replaced by slots
    at the same wall-clock time in the patient's new zone; taken, missed and overdue ones
    stay. A new slot less than half a dose interval after the last slot already due is
    left out, so travelling never puts two doses close together (MISS-NODOUBLE).
    """
    now = now or timezone.now()
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        DoseSlot.objects.filter(patient=patient, status=SlotStatus.PENDING, scheduled_at__gt=now).delete()
        last_due = (
            DoseSlot.objects.filter(patient=patient, scheduled_at__lte=now)
            .order_by("-scheduled_at")
            .values_list("scheduled_at", flat=True)
            .first()
        )
        today = patient.local_today(now)
        horizon = schedule.horizon(today)
        in_force = list(Regimen.objects.filter(patient=patient).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today)))
        for regimen in in_force:
            regimen.patient = patient
        created = schedule.materialise(
            [schedule.Plan(regimen, today, horizon, after=now, last_due=last_due) for regimen in in_force]
        )
        refresh_adherence_summary_on_commit(patient.pk)  # the local day moved with the time zone
    return created


def materialise_upcoming_slots(*, patient: Patient, now: datetime | None = None) -> Regimen | None:
    """Make sure the current regimen's doses exist from yesterday to the horizon. Idempotent.

    The beat job does this hourly; pages that show doses call it too, so they work
    even when no worker runs. Yesterday is included so a late dose still shows.
    """
    regimen = Regimen.objects.current().filter(patient=patient).first()
    if regimen is None:
        return None
    regimen.patient = patient
    schedule.materialise([schedule.upcoming_plan(regimen, now)])
    return regimen
