"""URLs of the doses app. Each view module owns one section; keep sections together."""

from django.urls import path

from .views import dashboard, regimen, today

app_name = "doses"

urlpatterns = [
    # --- today page and injection log (views/today.py, views/log.py) ---
    path("patients/<int:patient_id>/", today.today, name="today"),
    # --- side effects, supply, fridge, medicines, vaccines, labs (views/records.py) ---
    # --- regimen and calculator (views/regimen.py) ---
    path("patients/<int:patient_id>/regimen/", regimen.regimen, name="regimen"),
    path("patients/<int:patient_id>/regimen/new/", regimen.regimen_new, name="regimen_new"),
    path(
        "patients/<int:patient_id>/regimen/<int:regimen_id>/confirm/",
        regimen.regimen_confirm,
        name="regimen_confirm",
    ),
    path("patients/<int:patient_id>/calculator/", regimen.calculator, name="calculator"),
    path("calculator/", regimen.calculator_any, name="calculator_any"),
    # --- clinician panel, patient page, exports (views/dashboard.py) ---
    path("panel/", dashboard.panel, name="panel"),
    path("patients/<int:patient_id>/overview/", dashboard.patient, name="patient"),
    path("patients/<int:patient_id>/report/", dashboard.report, name="report"),
    path("patients/<int:patient_id>/export/doses.csv", dashboard.export_csv, name="export_csv"),
    path("patients/<int:patient_id>/export/fhir.json", dashboard.export_fhir, name="export_fhir"),
]
