from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from companion import signals


class DosesConfig(AppConfig):
    name = "doses"
    verbose_name = "Regimen, doses and side effects"

    def ready(self) -> None:
        # companion tells us about its writes through signals (it imports nothing above it):
        # a weight changed (DOSE-PED-RANGE, DOSE-PED-MAX), a profile saved (SCHED-TZ, the
        # panel's summary). doses/receivers.py does doses' part of each; it is imported here,
        # not at the top: it imports models, which cannot load before the app registry is ready.
        from companion.models import Patient

        from . import (
            models,
            receivers,
            record_version,
            tasks,  # noqa: F401 - registers doses.tasks.refresh_adherence_summary (published by name)
        )

        signals.weight_changed.connect(receivers.on_weight_changed, dispatch_uid="doses_weight_changed")
        signals.patient_profile_saved.connect(receivers.on_patient_profile_saved, dispatch_uid="doses_profile_saved")

        # Every write to a patient's record gives the patient page a new fragment-cache key.
        for model in (
            Patient,
            models.Regimen,
            models.DoseSlot,
            models.Injection,
            models.SideEffect,
            models.SupplyEvent,
            models.OtherMedicine,
            models.LabTest,
            models.KidneyFunction,
            models.TreatmentHold,
            models.TreatmentStop,
            models.RegimenProposal,  # the open proposal on the patient page is read once per version
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    record_version.on_record_saved_or_deleted,
                    sender=model,
                    dispatch_uid=f"record_version_{signal is post_save}_{model._meta.label}",
                )
