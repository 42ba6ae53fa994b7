from django.apps import AppConfig

from companion import signals


class DosesConfig(AppConfig):
    name = "doses"
    verbose_name = "Regimen, doses and side effects"

    def ready(self) -> None:
        # companion tells us about its writes through signals (it imports nothing above it):
        # a weight changed (DOSE-PED-RANGE, DOSE-PED-MAX), a profile saved (SCHED-TZ, the
        # panel's summary). doses/receivers.py does doses' part of each; it is imported here,
        # not at the top: it imports models, which cannot load before the app registry is ready.
        from . import receivers

        signals.weight_changed.connect(receivers.on_weight_changed, dispatch_uid="doses_weight_changed")
        signals.patient_profile_saved.connect(receivers.on_patient_profile_saved, dispatch_uid="doses_profile_saved")
