"""URLs of the doses app. Each view module owns one section; keep sections together."""

from django.urls import path

from .views import dashboard, holds, log, records, regimen, today

app_name = "doses"

urlpatterns = [
    # --- today page and injection log (views/today.py, views/log.py) ---
    path("patients/<int:patient_id>/", today.today, name="today"),
    path("patients/<int:patient_id>/log/", log.log_injection, name="log"),
    path("patients/<int:patient_id>/doses/<int:slot_id>/not-taken/", log.not_taken, name="not_taken"),
    path("patients/<int:patient_id>/syringes/discard/", log.discard, name="discard"),
    # --- side effects, supply, fridge, medicines, vaccines, labs (views/records.py) ---
    path("patients/<int:patient_id>/side-effects/", records.side_effects, name="side_effects"),
    path(
        "patients/<int:patient_id>/side-effects/<int:side_effect_id>/",
        records.side_effect_detail,
        name="side_effect_detail",
    ),
    path(
        "patients/<int:patient_id>/side-effects/<int:side_effect_id>/resolve/",
        records.side_effect_resolve,
        name="side_effect_resolve",
    ),
    path("patients/<int:patient_id>/supply/", records.supply, name="supply"),
    path("patients/<int:patient_id>/supply/count/", records.supply_correct, name="supply_correct"),
    path("patients/<int:patient_id>/fridge/", records.fridge, name="fridge"),
    path(
        "patients/<int:patient_id>/fridge/<int:fridge_syringe_id>/close/",
        records.fridge_close,
        name="fridge_close",
    ),
    path("patients/<int:patient_id>/medicines/", records.medicines, name="medicines"),
    path(
        "patients/<int:patient_id>/medicines/<int:medicine_id>/stop/",
        records.medicine_stop,
        name="medicine_stop",
    ),
    path("patients/<int:patient_id>/vaccinations/", records.vaccinations, name="vaccinations"),
    path("patients/<int:patient_id>/before-you-start/", records.baseline, name="baseline"),
    path("patients/<int:patient_id>/labs/", records.labs, name="labs"),
    path("patients/<int:patient_id>/labs/kidney/", records.kidney_result, name="kidney_result"),
    # --- regimen and calculator (views/regimen.py) ---
    path("patients/<int:patient_id>/regimen/", regimen.regimen, name="regimen"),
    path("patients/<int:patient_id>/regimen/new/", regimen.regimen_new, name="regimen_new"),
    path(
        "patients/<int:patient_id>/regimen/<int:regimen_id>/confirm/",
        regimen.regimen_confirm,
        name="regimen_confirm",
    ),
    path(
        "patients/<int:patient_id>/regimen/proposals/<int:proposal_id>/confirm/",
        regimen.proposal_confirm,
        name="proposal_confirm",
    ),
    path(
        "patients/<int:patient_id>/regimen/proposals/<int:proposal_id>/decline/",
        regimen.proposal_decline,
        name="proposal_decline",
    ),
    path(
        "patients/<int:patient_id>/regimen/proposals/<int:proposal_id>/withdraw/",
        regimen.proposal_withdraw,
        name="proposal_withdraw",
    ),
    path("patients/<int:patient_id>/calculator/", regimen.calculator, name="calculator"),
    path("calculator/", regimen.calculator_any, name="calculator_any"),
    # --- clinician panel, patient page, exports (views/dashboard.py) ---
    path("panel/", dashboard.panel, name="panel"),
    path("patients/<int:patient_id>/overview/", dashboard.patient, name="patient"),
    path("patients/<int:patient_id>/report/", dashboard.report, name="report"),
    path("patients/<int:patient_id>/export/doses.csv", dashboard.export_csv, name="export_csv"),
    path("patients/<int:patient_id>/export/fhir.json", dashboard.export_fhir, name="export_fhir"),
    # --- holds and stops of treatment (views/holds.py; clinicians) ---
    path("patients/<int:patient_id>/treatment/hold/", holds.hold, name="treatment_hold"),
    path("patients/<int:patient_id>/treatment/resume/", holds.resume, name="treatment_resume"),
    path("patients/<int:patient_id>/treatment/stop/", holds.stop, name="treatment_stop"),
]
