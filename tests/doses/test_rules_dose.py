"""Dose rules (DOSE-*) in doses/rules/dosing.py: plain functions, no database."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from doses.rules import catalogue, dosing, regimen_review
from doses.rules.catalogue import DoseRuleError
from doses.rules.dosing import paediatric_dose

D = Decimal


def test_DOSE_ADULT_is_100_mg_once_a_day_from_18_years():
    assert dosing.adult_dose_mg(18) == D("100")
    assert dosing.adult_dose_mg(70) == D("100")
    assert catalogue.RULES["DOSE-ADULT"].source == "DermNet, ACR, label"


def test_DOSE_ADULT_is_refused_for_a_child_with_a_pointer_to_the_weight_based_dose():
    with pytest.raises(DoseRuleError, match="weight"):
        dosing.adult_dose_mg(12)


def test_DOSE_PED_START_one_to_two_mg_per_kg_is_the_usual_starting_band():
    dose = paediatric_dose(20, 2)
    assert dose.mg == D("40.0")
    assert "DOSE-PED-START" in dose.rule_ids
    assert "starting" in dose.band
    assert "DOSE-PED-START" not in paediatric_dose(20, 4).rule_ids


@pytest.mark.parametrize("mg_per_kg", ["0.5", "0.99", "11", "10.01", "-2"])
def test_DOSE_PED_RANGE_outside_1_to_10_mg_per_kg_is_refused_with_a_clear_message(mg_per_kg):
    with pytest.raises(DoseRuleError, match="1 to 10 mg per kg"):
        paediatric_dose(20, mg_per_kg)


@pytest.mark.parametrize("mg_per_kg", ["1", "10"])
def test_DOSE_PED_RANGE_accepts_both_ends_of_the_range(mg_per_kg):
    assert paediatric_dose(10, mg_per_kg).mg == D(mg_per_kg) * 10


@pytest.mark.parametrize(
    ("mg_per_kg", "words"),
    [("1.5", "starting"), ("2.5", "older children"), ("4", "between"), ("7", "very young"), ("9.5", "labelled")],
)
def test_DOSE_PED_RANGE_band_names_where_the_dose_sits(mg_per_kg, words):
    assert words in paediatric_dose(10, mg_per_kg).band


@pytest.mark.parametrize("weight", [0, "0", -1, "-12.5", 1000, "351"])
def test_DOSE_PED_RANGE_weight_zero_negative_or_implausible_is_refused(weight):
    with pytest.raises(DoseRuleError) as refused:
        paediatric_dose(weight, 2)
    assert "kg" in str(refused.value)


@pytest.mark.parametrize("weight", ["", "abc", "nan", None])
def test_DOSE_PED_RANGE_weight_that_is_not_a_number_is_refused(weight):
    with pytest.raises(DoseRuleError, match="number"):
        paediatric_dose(weight, 2)


def test_DOSE_PED_MAX_above_8_mg_per_kg_is_computed_but_needs_a_clinician_override():
    dose = paediatric_dose(10, "8.5")
    assert dose.mg == D("85.0")
    assert dose.needs_clinician_override
    assert any("clinician override" in w and "DOSE-PED-MAX" in w for w in dose.warnings)
    assert "DOSE-PED-MAX" in dose.rule_ids


def test_DOSE_PED_MAX_exactly_8_mg_per_kg_needs_no_override():
    dose = paediatric_dose(10, 8)
    assert not dose.needs_clinician_override
    assert dose.warnings == []


@pytest.mark.parametrize(
    ("old", "new", "ok"), [(2, 3, True), (2, "2.5", True), (2, 2, True), (2, 4, False), (2, "2.2", False)]
)
def test_DOSE_PED_STEP_changes_go_in_steps_of_half_to_one_mg_per_kg(old, new, ok):
    assert dosing.is_valid_ped_step(old, new) is ok


def test_DOSE_PED_STEP_daily_dose_may_be_split_in_two_without_exceeding_the_day():
    assert regimen_review.split_dose_mg(D("60"), 2) == D("30.0")
    halves = regimen_review.split_dose_mg(D("25.5"), 2)
    assert halves * 2 <= D("25.5")
    with pytest.raises(DoseRuleError):
        regimen_review.split_dose_mg(D("60"), 3)


def test_DOSE_SYRINGE_100_mg_is_one_full_syringe_with_nothing_to_discard():
    assert dosing.mg_to_ml(D("100")) == D("0.67")
    assert regimen_review.discard_before_injecting_ml(100) == D("0.00")


def test_DOSE_SYRINGE_a_30_mg_dose_is_0_20_ml_with_0_47_ml_to_discard_first():
    dose = paediatric_dose(15, 2)
    assert (dose.mg, dose.ml, dose.discard_ml, dose.syringes_per_day) == (D("30.0"), D("0.20"), D("0.47"), 1)
    assert dose.delivered_mg == D("29.9")  # 0.20 mL on the 0.01 mL marks
    assert regimen_review.discard_before_injecting_ml(30) == D("0.47")


def test_DOSE_SYRINGE_a_dose_above_one_syringe_needs_two_and_says_so():
    dose = paediatric_dose(30, 5)
    assert dose.mg == D("150.0") and dose.syringes_per_day == 2
    # 150 mg is 1.005 mL: the nearest mark (1.01 mL) would hold more than 150 mg, so 1.00 mL (DOSE-PED-MAX).
    assert dose.ml == D("1.00") and dose.discard_ml == D("0.34")
    assert any("2 syringes" in w for w in dose.warnings)
    assert regimen_review.discard_before_injecting_ml(150) == D("0.34")


def test_DOSE_SYRINGE_a_volume_too_small_to_measure_is_refused():
    with pytest.raises(DoseRuleError, match="0.01 mL"):
        paediatric_dose("0.5", 1)


weights = st.decimals(min_value=D("0.5"), max_value=D("350"), places=1)
per_kg = st.decimals(min_value=D("1"), max_value=D("10"), places=2)


def measurable(weight: D, mg_per_kg: D) -> bool:
    """The dose in mg (to 0.1 mg, as shown) gives at least one 0.01 mL mark of the syringe.

    Found by hypothesis: 0.7 kg x 1.07 mg/kg = 0.749 mg is shown as 0.7 mg, which is
    0.0047 mL and rounds to 0.00 mL, so the rounded mg, not the exact product, decides.
    """
    mg = (weight * mg_per_kg).quantize(D("0.1"), rounding=ROUND_DOWN)
    return dosing.mg_to_ml(mg) > 0


@given(weight=weights, mg_per_kg=per_kg)
def test_DOSE_SYRINGE_property_ml_matches_mg_to_the_syringe_resolution(weight, mg_per_kg):
    assume(measurable(weight, mg_per_kg))  # a dose that rounds to 0.00 mL is refused (test above)
    dose = paediatric_dose(weight, mg_per_kg)
    # DOSE-PED-MAX: the mg and the volume are rounded down, never above what was prescribed.
    assert D("0") <= weight * mg_per_kg - dose.mg < D("0.1")
    assert D("0") <= dose.mg * D("0.67") / 100 - dose.ml < dosing.ML_RESOLUTION
    assert dose.ml == dose.ml.quantize(dosing.ML_RESOLUTION)
    assert dose.ml + dose.discard_ml == dose.syringes_per_day * D("0.67")
    if dose.mg <= 100:
        assert D("0.01") <= dose.ml <= D("0.67")
        assert dose.syringes_per_day == 1
        assert dose.discard_ml + dose.ml == D("0.67")
    assert dose.needs_clinician_override is (mg_per_kg > 8)


@given(weight=weights, mg_per_kg=per_kg)
def test_DOSE_PED_RANGE_property_in_range_never_raises_unless_unmeasurable(weight, mg_per_kg):
    try:
        paediatric_dose(weight, mg_per_kg)
    except DoseRuleError as refused:
        assert "0.01 mL" in str(refused)
        assert not measurable(weight, mg_per_kg)


def test_every_dose_rule_id_is_in_the_rules_table_with_a_source():
    for rule_id in ["DOSE-ADULT", "DOSE-PED-START", "DOSE-PED-RANGE", "DOSE-PED-MAX", "DOSE-PED-STEP", "DOSE-SYRINGE"]:
        assert catalogue.RULES[rule_id].source


def test_DOSE_SYRINGE_a_dose_shown_as_0_7_mg_is_refused_as_unmeasurable():
    with pytest.raises(DoseRuleError, match="0.01 mL"):
        paediatric_dose("0.7", "1.07")
