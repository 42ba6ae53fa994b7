from django.apps import AppConfig


class DosesConfig(AppConfig):
    name = "doses"
    verbose_name = "Regimen, doses and side effects"
