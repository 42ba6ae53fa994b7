from django.apps import AppConfig


class DosesConfig(AppConfig):
    name = "doses"
    verbose_name = "Regimen, doses and side effects"

    def ready(self) -> None:
        # companion tells us a weight changed through a signal (it imports nothing above it);
        # doses checks the weight-based dose in force (DOSE-PED-RANGE, DOSE-PED-MAX). Imported
        # here: services import models, which cannot load before the app registry is ready.
        from companion import signals

        from .services import regimens

        signals.weight_changed.connect(regimens.on_weight_changed, dispatch_uid="doses_weight_changed")

        # Every write to a patient's record gives the patient page a new fragment-cache key.
        from django.db.models.signals import post_delete, post_save

        from companion.models import Patient

        from . import models, record_version

        for model in (
            Patient,
            models.Regimen,
            models.DoseSlot,
            models.Injection,
            models.SideEffect,
            models.SupplyEvent,
            models.OtherMedicine,
            models.LabTest,
            models.TreatmentHold,
            models.TreatmentStop,
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    record_version.on_record_saved_or_deleted,
                    sender=model,
                    dispatch_uid=f"record_version_{signal is post_save}_{model._meta.label}",
                )
