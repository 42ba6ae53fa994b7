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
