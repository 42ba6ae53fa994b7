"""Reads about holds and stops of treatment, for the patient page, the exports and FHIR."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from companion.models import Patient

from ..models import Regimen, TreatmentHold, TreatmentStop


@dataclass(frozen=True)
class HoldHistory:
    open_hold: TreatmentHold | None
    holds: list[TreatmentHold]  # newest first, the open one included
    stops: list[TreatmentStop]  # newest first
    stopped: TreatmentStop | None  # the stop in force (no regimen since)

    @property
    def status(self) -> str:
        """ "stopped", "on_hold", "hold_review" (an automatic hold pending review) or "active"."""
        if self.stopped is not None:
            return "stopped"
        if self.open_hold is not None:
            return "hold_review" if self.open_hold.pending_review else "on_hold"
        return "active"


def hold_history(patient: Patient) -> HoldHistory:
    """Every hold and stop of the patient, in two queries (plus one to tell whether a stop is in force)."""
    holds = list(TreatmentHold.objects.filter(patient=patient).select_related("started_by", "ended_by", "reviewed_by"))
    stops = list(TreatmentStop.objects.filter(patient=patient).select_related("stopped_by", "regimen"))
    stopped = None
    if stops and not Regimen.objects.current().filter(patient=patient).exists():
        stopped = stops[0]
    return HoldHistory(next((h for h in holds if h.ended_at is None), None), holds, stops, stopped)


def holds_overlapping(patient: Patient, start: date, end: date) -> list[TreatmentHold]:
    """Holds with a held day between two local days (exports and the report)."""
    today = patient.local_today()
    found = []
    for hold in TreatmentHold.objects.filter(patient=patient, starts_on__lte=end).select_related(
        "started_by", "ended_by"
    ):
        span = hold.held_span(today=today, zone=patient.zone)
        if span is not None and span[1] >= start:
            found.append(hold)
    return found
