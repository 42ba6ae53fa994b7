"""How doses hears companion: the receivers of companion/signals.py, connected in DosesConfig.ready().

companion imports nothing above it, so it announces its writes; doses does its part of
them here. Each receiver calls one service.
"""

from __future__ import annotations

from companion.models import Patient

from .services.regimens import check_dose_at_new_weight
from .services.slots import reschedule_after_time_zone_change
from .services.summaries import refresh_adherence_summary_on_commit


def on_weight_changed(sender, *, patient_id: int, **kwargs) -> None:
    """weight_changed (sent on commit): DOSE-PED-RANGE / DOSE-PED-MAX at the new weight."""
    check_dose_at_new_weight(patient_id=patient_id)


def on_patient_profile_saved(sender, *, patient: Patient, time_zone_changed: bool, **kwargs) -> None:
    """patient_profile_saved (sent inside the save's transaction).

    SCHED-TZ: a new time zone moves the doses still to come, in the same transaction as the
    profile. The panel's summary shows adult/child and the patient's local day: refreshed
    once the save commits.
    """
    if time_zone_changed:
        reschedule_after_time_zone_change(patient=patient)
    refresh_adherence_summary_on_commit(patient.pk)
