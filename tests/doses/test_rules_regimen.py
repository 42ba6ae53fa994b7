"""The pure regimen checks (regimen_review.regimen_findings, dose_at_weight_findings) and the drawn volume (DOSE-PED-MAX)."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from doses.rules import catalogue, dosing, regimen_review


def findings(**changes):
    arguments = {
        "dose_basis": regimen_review.WEIGHT_BASIS,
        "daily_dose_mg": None,
        "mg_per_kg": D("2"),
        "weight_kg": D("20"),
        "interval_days": 1,
        "administrations_per_day": 1,
        "times_of_day": ["08:00"],
        "age_years": 5,
        "indication": "CAPS",
        "by_clinician": False,
    }
    arguments.update(changes)
    return [(f.rule_id, f.level, f.field) for f in regimen_review.regimen_findings(**arguments)]


PREVIOUS_2 = regimen_review.PreviousRegimen(regimen_review.WEIGHT_BASIS, D("40"), D("2"))


def test_DOSE_PED_MAX_2_9_kg_at_8_mg_per_kg_is_drawn_as_0_15_ml_not_0_16():
    dose = dosing.paediatric_dose(D("2.9"), D("8"))
    assert dose.mg == D("23.2")
    assert dose.ml == D("0.15")  # 0.16 mL would hold 23.88 mg = 8.24 mg/kg
    assert dosing.syringe_volumes(dose.mg)[0] == D("0.15")
    assert Fraction(dose.ml) * 100 / Fraction("0.67") / Fraction("2.9") <= 8


def test_DOSE_SYRINGE_the_nearest_mark_is_kept_when_it_does_not_pass_the_dose():
    assert dosing.mg_to_ml(D("36")) == D("0.24")  # 0.2412 mL
    assert dosing.mg_to_ml(D("100")) == D("0.67")
    assert dosing.mg_to_ml(D("200")) == D("1.34")


@given(
    weight=st.decimals(min_value=D("0.5"), max_value=D("350"), places=1),
    mg_per_kg=st.decimals(min_value=D("1"), max_value=D("10"), places=2),
    administrations=st.sampled_from([1, 2]),
)
def test_DOSE_PED_MAX_property_the_drawn_mg_per_kg_never_exceeds_the_prescribed_mg_per_kg(
    weight, mg_per_kg, administrations
):
    try:
        dose = dosing.paediatric_dose(weight, mg_per_kg)
        per_injection = regimen_review.split_dose_mg(dose.mg, administrations)
        ml = dosing.syringe_volumes(per_injection)[0]
    except catalogue.DoseRuleError:
        assume(False)  # too small to measure: refused (DOSE-SYRINGE)
    drawn_mg = Fraction(ml) * 100 / Fraction("0.67") * administrations
    assert drawn_mg / Fraction(weight) <= Fraction(mg_per_kg)
    assert drawn_mg <= Fraction(dose.mg)
    # ... and it is the largest 0.01 mL mark that does not pass it.
    one_more = (Fraction(ml) + Fraction(1, 100)) * 100 / Fraction("0.67")
    assert one_more > Fraction(per_injection)


def test_DOSE_ADULT_refusals_name_their_field():
    assert findings(dose_basis=regimen_review.FIXED_BASIS, age_years=17) == [("DOSE-ADULT", regimen_review.REFUSE, "dose_basis")]
    assert findings(
        dose_basis=regimen_review.FIXED_BASIS, age_years=40, administrations_per_day=2, times_of_day=["08:00", "20:00"]
    ) == [("DOSE-ADULT", regimen_review.REFUSE, "administrations_per_day")]
    assert findings(dose_basis=regimen_review.FIXED_BASIS, age_years=40, daily_dose_mg=D("200")) == [
        ("DOSE-ADULT", regimen_review.REFUSE, "dose_basis")
    ]
    assert findings(dose_basis=regimen_review.FIXED_BASIS, age_years=18) == []


def test_DOSE_ADULT_an_RA_adult_above_100_mg_a_day_is_refused_for_a_non_clinician_and_flagged_for_a_clinician():
    adult = {"age_years": 40, "indication": "RA", "weight_kg": D("80"), "mg_per_kg": D("1.5")}  # 120 mg
    assert findings(**adult) == [("DOSE-ADULT", regimen_review.REFUSE, "mg_per_kg")]
    assert findings(**adult, by_clinician=True) == [("DOSE-ADULT", regimen_review.FLAG, "mg_per_kg")]
    assert findings(**adult | {"indication": "CAPS"}) == []  # the cap is the RA label's
    assert findings(**adult | {"weight_kg": D("50")}) == []  # 75 mg


def test_DOSE_PED_START_flags_only_a_first_weight_based_regimen_outside_1_to_2():
    assert findings(mg_per_kg=D("2.5")) == [("DOSE-PED-START", regimen_review.FLAG, "mg_per_kg")]
    assert findings(mg_per_kg=D("1")) == []
    fixed_before = regimen_review.PreviousRegimen(regimen_review.FIXED_BASIS, D("100"), None)
    assert findings(mg_per_kg=D("3"), previous=fixed_before) == [("DOSE-PED-START", regimen_review.FLAG, "mg_per_kg")]
    assert findings(mg_per_kg=D("3"), previous=PREVIOUS_2) == []  # a change: DOSE-PED-STEP decides


def test_DOSE_PED_STEP_flags_a_change_that_is_not_a_step_of_half_to_one_mg_per_kg():
    assert findings(mg_per_kg=D("4"), previous=PREVIOUS_2) == [("DOSE-PED-STEP", regimen_review.FLAG, "mg_per_kg")]
    assert findings(mg_per_kg=D("2.2"), previous=PREVIOUS_2) == [("DOSE-PED-STEP", regimen_review.FLAG, "mg_per_kg")]
    assert findings(mg_per_kg=D("1.5"), previous=PREVIOUS_2) == []
    assert findings(mg_per_kg=D("2"), previous=PREVIOUS_2, weight_kg=D("22")) == []  # a new weight, same mg/kg


def test_DOSE_PED_MAX_above_8_refused_without_a_clinician_and_without_a_reason():
    assert ("DOSE-PED-MAX", regimen_review.REFUSE, "mg_per_kg") in findings(mg_per_kg=D("9"))
    assert ("DOSE-PED-MAX", regimen_review.REFUSE, "override_reason") in findings(mg_per_kg=D("9"), by_clinician=True)
    assert not any(
        f[1] == regimen_review.REFUSE for f in findings(mg_per_kg=D("9"), by_clinician=True, override_reason="DIRA flare")
    )


def test_SCHED_DAILY_times_and_intervals_are_checked_in_the_same_place():
    assert findings(times_of_day=[]) == [("SCHED-DAILY", regimen_review.REFUSE, "time_1")]
    assert findings(administrations_per_day=2, times_of_day=["08:00"]) == [("DOSE-PED-STEP", regimen_review.REFUSE, "time_2")]
    assert findings(administrations_per_day=2, times_of_day=["08:00", "08:00"]) == [
        ("DOSE-PED-STEP", regimen_review.REFUSE, "time_2")
    ]
    assert findings(interval_days=3) == [("SCHED-DAILY", regimen_review.REFUSE, "interval_days")]


def test_refusals_come_before_flags():
    levels = [f[1] for f in findings(mg_per_kg=D("9"), times_of_day=[])]
    assert levels == sorted(levels, key=lambda level: level != regimen_review.REFUSE)


def test_DOSE_PED_RANGE_and_MAX_the_dose_in_force_at_a_new_weight():
    def at(weight, mg=D("40"), per_kg=D("2"), override=False):
        return [
            (f.rule_id, f.level)
            for f in regimen_review.dose_at_weight_findings(
                daily_dose_mg=mg, weight_kg=D(weight), confirmed_mg_per_kg=per_kg, override_recorded=override
            )
        ]

    assert at("20") == [] and at("5") == []  # 2 and 8 mg/kg
    assert at("4.9") == [("DOSE-PED-MAX", regimen_review.FLAG)]  # 8.16 mg/kg
    assert at("3.9") == [("DOSE-PED-RANGE", regimen_review.FLAG)]  # 10.26 mg/kg
    assert at("41") == [("DOSE-PED-RANGE", regimen_review.FLAG)]  # 0.98 mg/kg
    assert at("4.5", mg=D("40"), per_kg=D("9"), override=True) == []  # 8.89, covered by a 9 mg/kg override
    assert at("4.2", mg=D("40"), per_kg=D("9"), override=True) == [("DOSE-PED-MAX", regimen_review.FLAG)]  # 9.52
