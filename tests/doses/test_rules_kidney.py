"""SCHED-RENAL as a measurement (issue 15, part 1): units, Cockcroft-Gault, plausibility. Pure, hand-computed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from doses.rules import kidney_function as kidney


def test_SCHED_RENAL_creatinine_in_umol_per_litre_is_converted_to_mg_per_dl_and_back():
    # 186 µmol/L / 88.42 = 2.1036 mg/dL; 2.10 mg/dL x 88.42 = 185.7 -> 186 µmol/L.
    assert kidney.creatinine_mg_dl("186", kidney.UMOL_L) == Decimal("2.10")
    assert kidney.creatinine_mg_dl("1.2", kidney.MG_DL) == Decimal("1.20")
    assert kidney.creatinine_umol_l(Decimal("2.10")) == Decimal("186")
    assert kidney.creatinine_umol_l(Decimal("1.00")) == Decimal("88")


def test_SCHED_RENAL_cockcroft_gault_for_a_woman_of_62_at_70_kg_and_2_1_mg_per_dl():
    # (140 - 62) x 70 / (72 x 2.1) = 5460 / 151.2 = 36.111; x 0.85 = 30.69 -> 30.7 mL/min.
    estimate = kidney.cockcroft_gault(age_years=62, weight_kg=Decimal("70"), female=True, creatinine_mg_dl="2.1")
    assert estimate.clearance_ml_min == Decimal("30.7")
    male = kidney.cockcroft_gault(age_years=62, weight_kg=Decimal("70"), female=False, creatinine_mg_dl="2.1")
    assert male.clearance_ml_min == Decimal("36.1")


def test_SCHED_RENAL_an_estimate_of_22_ml_per_min_suggests_every_other_day_on_a_daily_regimen():
    # (140 - 80) x 55 / (72 x 1.75) = 3300 / 126 = 26.19; x 0.85 = 22.26 -> 22.3 mL/min.
    estimate = kidney.cockcroft_gault(age_years=80, weight_kg=Decimal("55"), female=True, creatinine_mg_dl="1.75")
    assert estimate.clearance_ml_min == Decimal("22.3")
    assert kidney.suggested_interval_days(estimate.clearance_ml_min) == 2
    assert kidney.every_other_day_to_consider(estimate.clearance_ml_min, end_stage=False, interval_days=1)
    assert not kidney.every_other_day_to_consider(estimate.clearance_ml_min, end_stage=False, interval_days=2)
    assert not kidney.every_other_day_to_consider(Decimal("30.0"), end_stage=False, interval_days=1)


def test_SCHED_RENAL_end_stage_renal_disease_suggests_every_other_day_without_a_number():
    assert kidney.suggested_interval_days(None, end_stage=True) == 2
    assert kidney.every_other_day_to_consider(None, end_stage=True, interval_days=1)
    assert kidney.suggested_interval_days(None) == 1  # not known: daily (SCHED-DAILY)


@pytest.mark.parametrize(
    ("value", "unit", "says"),
    [
        ("80", kidney.MG_DL, "80 looks like µmol/L"),  # µmol/L typed as mg/dL
        ("60", kidney.MG_DL, "eGFR"),  # an eGFR typed into the creatinine field
        ("1.2", kidney.UMOL_L, "1.2 looks like mg/dL"),  # mg/dL typed as µmol/L
        ("0", kidney.MG_DL, "more than 0"),
        ("-1", kidney.UMOL_L, "more than 0"),
        ("abc", kidney.MG_DL, "must be a number"),
        ("5000", kidney.UMOL_L, "not plausible"),
    ],
)
def test_SCHED_RENAL_implausible_creatinine_is_refused_with_a_hint(value, unit, says):
    with pytest.raises(kidney.KidneyValueRefused) as refused:
        kidney.creatinine_mg_dl(value, unit)
    assert says in str(refused.value)
    assert refused.value.field == "creatinine_value"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("300", "looks like a serum creatinine in µmol/L"),  # a creatinine (µmol/L) typed as a clearance
        ("1.2", "serum creatinine in mg/dL"),
        ("-5", "cannot be negative"),
        ("9999", "not plausible"),
    ],
)
def test_SCHED_RENAL_implausible_clearance_is_refused_with_a_hint(value, says):
    with pytest.raises(kidney.KidneyValueRefused) as refused:
        kidney.clearance_ml_min(value)
    assert says in str(refused.value)


def test_SCHED_RENAL_a_plausible_clearance_is_kept_to_one_decimal():
    assert kidney.clearance_ml_min("22") == Decimal("22.0")
    assert kidney.clearance_ml_min("29.96") == Decimal("30.0")


def test_SCHED_RENAL_cockcroft_gault_refuses_an_implausible_weight():
    with pytest.raises(kidney.KidneyValueRefused) as refused:
        kidney.cockcroft_gault(age_years=50, weight_kg=Decimal("700"), female=False, creatinine_mg_dl="1")
    assert refused.value.field == "weight_kg"
