"""SCHED-RENAL and AE-LABS on the pages (issue 15, parts 1 and 2): the labs page takes a clinician's
kidney result and shows where each number comes from; the family sees it without the form; the
patient page shows the kidney function and the neutrophil trend; the panel flags every other
day to consider, and the regimen form opens prefilled to it for the clinician to confirm."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from doses.models import CareAlert, KidneyFunction, LabTest, Regimen
from doses.services import kidney as kidney_services
from doses.services import records as record_services
from tests.conftest import start_adult_regimen
from tests.doses.why_helpers import rule_ids_outside_why, why_text


def labs_url(world) -> str:
    return reverse("doses:labs", args=[world.alice.pk])


def kidney_url(world) -> str:
    return reverse("doses:kidney_result", args=[world.alice.pk])


def creatinine_post(world, **extra) -> dict:
    return {
        "kind": "creatinine",
        "measured_on": world.alice.local_today().isoformat(),
        "creatinine_value": "186",
        "creatinine_unit": "umol_l",
        "sex": "female",
        "weight_kg": "40",
        **extra,
    }


def low_clearance(world) -> KidneyFunction:
    return kidney_services.record_kidney_function(
        patient=world.alice,
        kind="clearance",
        measured_on=world.alice.local_today(),
        clearance_ml_min=Decimal("22"),
        by=world.carol,
    ).measurement


def test_SCHED_RENAL_clinician_enters_a_creatinine_and_sees_both_units_the_formula_and_the_source(world, client_for):
    start_adult_regimen(world.alice, world.carol)
    client = client_for(world.carol)
    response = client.post(kidney_url(world), creatinine_post(world), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    # 186 µmol/L = 2.10 mg/dL; age 46: (140 - 46) x 40 / (72 x 2.10) x 0.85 = 21.1 mL/min.
    assert "Creatinine clearance 21.1 mL/min" in page
    assert "estimated from serum creatinine" in page
    assert "2.10 mg/dL (186 µmol/L)" in page
    assert "(140 − 46 years) × 40 kg ÷ (72 × 2.10 mg/dL) × 0.85 (female) = 21.1 mL/min" in page
    assert "Cockcroft-Gault" in page
    assert "consider every other day" in page  # the alert, said at once
    assert CareAlert.objects.filter(patient=world.alice, kind=CareAlert.Kind.RENAL_INTERVAL).exists()


def test_SCHED_RENAL_a_creatinine_of_80_mg_per_dl_is_refused_with_a_hint_and_the_form_keeps_it(world, client_for):
    response = client_for(world.carol).post(
        kidney_url(world), creatinine_post(world, creatinine_value="80", creatinine_unit="mg_dl")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "80 looks like µmol/L: choose µmol/L as the unit" in page
    assert 'value="80"' in page
    assert not KidneyFunction.objects.exists()


def test_SCHED_RENAL_only_a_clinician_records_kidney_function(world, client_for):
    for user in (world.alice_user, world.bob):
        assert client_for(user).post(kidney_url(world), creatinine_post(world)).status_code == 404
    assert not KidneyFunction.objects.exists()


def test_SCHED_RENAL_the_family_sees_the_result_and_what_it_means_without_the_form(world, client_for):
    start_adult_regimen(world.alice, world.carol)
    low_clearance(world)
    page = client_for(world.alice_user).get(labs_url(world)).content.decode()
    assert "Creatinine clearance 22.0 mL/min" in page and "entered by the clinician" in page
    assert "Keep following the confirmed regimen until they change it" in page
    assert "Record kidney function" not in page and "Propose every other day" not in page


def test_SCHED_RENAL_the_patient_page_offers_every_other_day_prefilled_for_the_clinician(world, client_for):
    start_adult_regimen(world.alice, world.carol)
    low_clearance(world)
    client = client_for(world.carol)
    page = client.get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    assert "Every other day to consider" in page and "Propose every other day" in page
    proposal = client.get(
        reverse("doses:regimen_new", args=[world.alice.pk]),
        {"interval_days": "2", "change_reason": "Creatinine clearance 22.0 mL/min: every other day (SCHED-RENAL)."},
    )
    form = proposal.context["form"]
    assert form.initial["interval_days"] == "2"
    assert "SCHED-RENAL" in form.initial["change_reason"]
    assert "Creatinine clearance 22.0 mL/min (entered by the clinician" in proposal.content.decode()
    # Nothing changed until the clinician saves it.
    assert Regimen.objects.get(patient=world.alice).interval_days == 1


def test_SCHED_RENAL_the_panel_flags_a_low_clearance_on_a_daily_regimen(world, client_for):
    start_adult_regimen(world.alice, world.carol)
    low_clearance(world)
    page = client_for(world.carol).get(reverse("doses:panel")).content.decode()
    assert "Kidney function: every other day to consider" in page


def test_SCHED_RENAL_the_regimen_page_says_every_other_day_is_to_consider(world, client_for):
    start_adult_regimen(world.alice, world.carol)
    low_clearance(world)
    page = client_for(world.carol).get(reverse("doses:regimen", args=[world.alice.pk])).content.decode()
    assert "Propose every other day" in page


def test_AE_LABS_the_patient_page_shows_the_neutrophil_trend_with_the_threshold(world, client_for):
    start_adult_regimen(world.alice, world.carol)
    today = world.alice.local_today()
    for label, count, days_ago in (("Before starting", "3.40", 20), ("Month 1", "1.20", 1)):
        lab = LabTest.objects.get(patient=world.alice, label=label)
        record_services.record_lab_result(
            lab_test=lab, done_on=today - timedelta(days=days_ago), neutrophils_10e9_per_l=Decimal(count), by=world.bob
        )
    page = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    assert "Neutrophil trend" in page and {"AE-LABS", "AE-NEUTROPENIA"} <= set(why_text(page).split())
    assert "<polyline" in page
    assert "1.20 <strong>below 1.5</strong>" in page
    assert "down 2.20" in page
    assert "The latest count is below 1.5" in page


def test_AE_NEUTROPENIA_entering_a_low_baseline_says_the_clinician_was_alerted(world, client_for):
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today() + timedelta(days=4))
    lab = LabTest.objects.get(patient=world.alice, label="Before starting")
    response = client_for(world.bob).post(
        labs_url(world),
        {"lab_test": lab.pk, "done_on": world.alice.local_today().isoformat(), "neutrophils_10e9_per_l": "1.1"},
        follow=True,
    )
    page = response.content.decode()
    # The caregiver reads plain words; the rule is under "Why?" (issue 16).
    assert "is below 1.5 ×10⁹/L: the clinician has been alerted" in page and "AE-NEUTROPENIA" in why_text(page)
    assert rule_ids_outside_why(page) == []


def test_AE_NEUTROPENIA_the_automatic_hold_says_it_came_from_the_neutrophil_count(world, client_for):
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today() + timedelta(days=4))
    lab = LabTest.objects.get(patient=world.alice, label="Before starting")
    record_services.record_lab_result(
        lab_test=lab, done_on=world.alice.local_today(), neutrophils_10e9_per_l=Decimal("1.0"), by=world.bob
    )
    clinician_page = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    assert "Started automatically after a neutrophil count below 1.5 ×10⁹/L before the first dose" in clinician_page
    assert "E. coli" not in clinician_page
    today = client_for(world.alice_user).get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert "after a neutrophil count below 1.5 ×10⁹/L, before the first dose" in today
