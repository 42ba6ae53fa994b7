"""The patient page's ABC adherence measures (doses/adherence.py): read once, computed by the pure functions.

Timing adherence and drug holidays are over the page's range, from the doses the page's
records already hold; persistence and initiation are over the whole record, from one more
query (every dose scheduled by now: its local day and status), whatever the length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import adherence
from ..models import DoseSlot
from .patient_page import PatientRecords


@dataclass(frozen=True)
class AbcMeasures:
    timing: adherence.TimingAdherence
    holidays: adherence.DrugHolidays
    persistence: adherence.Persistence
    initiation: adherence.Initiation
    window_hours: int = int(adherence.TIMING_WINDOW.total_seconds() // 3600)
    gap_days: int = adherence.PERSISTENCE_GAP_DAYS
    holiday_min_doses: int = adherence.DRUG_HOLIDAY_MIN_DOSES

    @property
    def held_day_count(self) -> int:
        return len(self.persistence.held_days)


def abc_measures(records: PatientRecords, *, now: datetime) -> AbcMeasures:
    in_range = [dose for day in records.calendar_days for dose in day.doses]
    whole = DoseSlot.objects.filter(patient=records.patient, scheduled_at__lte=now).values_list("local_date", "status")
    persisted = adherence.persistence(whole, today=records.today)
    prescribed_from = min((r.starts_on for r in records.regimens), default=None)
    return AbcMeasures(
        timing=adherence.timing_adherence(in_range, now=now),
        holidays=adherence.drug_holidays(in_range, now=now),
        persistence=persisted,
        initiation=adherence.initiation(
            prescribed_from=prescribed_from, first_dose_on=persisted.first_dose_on, held=persisted.held_days
        ),
    )
