"""The dose (DOSE-ADULT, DOSE-PED-*, DOSE-SYRINGE): milligrams, millilitres, syringes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

from .catalogue import DoseRuleError

ADULT_DOSE_MG = Decimal("100")  # DOSE-ADULT
SYRINGE_MG = Decimal("100")  # DOSE-SYRINGE: one pre-filled syringe holds 100 mg ...
SYRINGE_ML = Decimal("0.67")  # ... in 0.67 mL
# DOSE-SYRINGE: the graduated syringe is read to 0.01 mL (the label's volume 0.67 mL is
# given to two decimals). 0.01 mL is about 1.5 mg, the finest step a parent can draw.
ML_RESOLUTION = Decimal("0.01")
PED_MIN_MG_PER_KG = Decimal("1")  # DOSE-PED-RANGE
PED_MAX_MG_PER_KG = Decimal("10")  # DOSE-PED-RANGE
PED_LABEL_MAX_MG_PER_KG = Decimal("8")  # DOSE-PED-MAX
PED_START_RANGE = (Decimal("1"), Decimal("2"))  # DOSE-PED-START
MAX_PLAUSIBLE_WEIGHT_KG = Decimal("350")


ADULT_FROM_AGE_YEARS = 18  # DOSE-ADULT (label): the fixed RA dose is labelled from 18 years


def adult_dose_mg(age_years: int) -> Decimal:
    """DOSE-ADULT: 100 mg once a day for adults; a child's dose is weight-based (DOSE-PED-START)."""
    if age_years < ADULT_FROM_AGE_YEARS:
        raise DoseRuleError(
            "The fixed 100 mg dose is for adults (18 and over, DOSE-ADULT). "
            "A child's dose is worked out from their weight (DOSE-PED-START): choose the weight-based dose."
        )
    return ADULT_DOSE_MG


def to_decimal(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except Exception as exc:  # noqa: BLE001 - any unparsable input is the user's mistake
        raise DoseRuleError(f"The {what} must be a number.") from exc
    if not number.is_finite():
        raise DoseRuleError(f"The {what} must be a number.")
    return number


def mg_to_ml(mg: Decimal) -> Decimal:
    """DOSE-SYRINGE / DOSE-PED-MAX: the volume to draw for `mg`, on the syringe's 0.01 mL marks.

    The nearest mark, except when the nearest lies above the dose: then the mark below it.
    So the volume drawn never holds more than the prescribed mg (and so never more than the
    confirmed mg/kg): 2.9 kg x 8 mg/kg = 23.2 mg is 0.1554 mL, drawn as 0.15 mL (7.72 mg/kg),
    not 0.16 mL (8.24 mg/kg, above the labelled maximum). In effect this is the mark at or
    below the exact volume; every page (regimen, calculator, log) asks this one function.
    """
    exact = Decimal(mg) * SYRINGE_ML / SYRINGE_MG
    nearest = exact.quantize(ML_RESOLUTION, rounding=ROUND_HALF_UP)
    if nearest > exact:  # the nearest mark would pass the prescribed dose (DOSE-PED-MAX)
        return exact.quantize(ML_RESOLUTION, rounding=ROUND_DOWN)
    return nearest


def ml_to_mg(ml: Decimal) -> Decimal:
    """DOSE-SYRINGE: the mg a measured volume holds (0.01 mL is about 1.5 mg), to 0.1 mg."""
    return (Decimal(ml) * SYRINGE_MG / SYRINGE_ML).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def syringe_volumes(dose_mg: Decimal) -> tuple[Decimal, Decimal, int]:
    """DOSE-SYRINGE / PREP-ONCE: (mL to inject, mL to discard first, syringes needed) for one dose.

    Each syringe holds 100 mg in 0.67 mL and is used once, so what is not injected from
    the last syringe is expelled before injecting. A volume that rounds to 0.00 mL cannot
    be drawn with the graduated syringe and is refused.
    """
    mg = Decimal(dose_mg)
    if mg <= 0:
        raise DoseRuleError("A dose must be more than 0 mg.")
    ml = mg_to_ml(mg)
    if ml <= 0:
        raise DoseRuleError(
            f"{mg} mg is less than the smallest amount the syringe can measure (0.01 mL, about 1.5 mg). "
            "Check the weight and the dose with your child's doctor (DOSE-SYRINGE)."
        )
    syringes = int((mg / SYRINGE_MG).to_integral_value(rounding=ROUND_CEILING))
    discard = (syringes * SYRINGE_ML - ml).quantize(ML_RESOLUTION)
    return ml, max(discard, Decimal("0.00")), syringes


@dataclass(frozen=True)
class PaediatricDose:
    weight_kg: Decimal
    mg_per_kg: Decimal
    mg: Decimal  # daily dose, to one decimal mg
    ml: Decimal  # volume to inject from one 100 mg / 0.67 mL syringe (0.01 mL marks)
    discard_ml: Decimal  # what to expel from the syringe before injecting
    syringes_per_day: int
    warnings: list[str] = field(default_factory=list)
    needs_clinician_override: bool = False
    band: str = ""  # where mg/kg sits in the documented range, in words
    rule_ids: tuple[str, ...] = ()
    delivered_mg: Decimal = Decimal("0")  # what the rounded volume actually holds (ml x 100 / 0.67)


def paediatric_dose(weight_kg, mg_per_kg) -> PaediatricDose:
    """Weight-based daily dose (DOSE-PED-START, DOSE-PED-RANGE, DOSE-PED-MAX, DOSE-SYRINGE).

    Refuses a weight of zero or less and mg/kg outside 1-10 (DOSE-PED-RANGE). Above
    8 mg/kg (DOSE-PED-MAX) the dose is computed but flagged: a clinician must override.
    The app never rounds a dose up or down to make it fit: it shows what the rules give.
    """
    weight = to_decimal(weight_kg, "weight")
    per_kg = to_decimal(mg_per_kg, "dose per kilogram")
    if weight <= 0:
        raise DoseRuleError(
            "The weight must be more than 0 kg. Please weigh your child again and enter it in kilograms."
        )
    if weight > MAX_PLAUSIBLE_WEIGHT_KG:
        raise DoseRuleError(f"A weight of {weight} kg is not plausible. Please check the number (in kilograms).")
    if per_kg < PED_MIN_MG_PER_KG or per_kg > PED_MAX_MG_PER_KG:
        raise DoseRuleError(
            f"{per_kg} mg per kg is outside the range of 1 to 10 mg per kg per day that the guidance allows "
            "(DOSE-PED-RANGE). Check the prescription with your child's doctor."
        )
    mg = weight_based_daily_mg(weight, per_kg)
    warnings: list[str] = []
    rule_ids = ["DOSE-PED-RANGE", "DOSE-SYRINGE"]
    needs_override = per_kg > PED_LABEL_MAX_MG_PER_KG
    if needs_override:
        rule_ids.append("DOSE-PED-MAX")
        warnings.append(
            f"{per_kg} mg/kg/day is above the labelled maximum of 8 mg/kg/day (DOSE-PED-MAX): "
            "a clinician override with a reason is required before this dose can be used."
        )
    if per_kg <= PED_START_RANGE[1]:
        rule_ids.append("DOSE-PED-START")
    ml, discard, syringes = syringe_volumes(mg)
    if mg > SYRINGE_MG:
        # A dose above one syringe needs more than one syringe a day (DOSE-SYRINGE, PREP-ONCE).
        warnings.append(
            f"{mg} mg is more than one 100 mg syringe: it needs {syringes} syringes a day. "
            "Ask your clinician exactly how to give it."
        )
    if ml < Decimal("0.05"):
        warnings.append("This volume is very small to measure; ask your clinician or pharmacist to show you.")
    return PaediatricDose(
        weight_kg=weight,
        mg_per_kg=per_kg,
        mg=mg,
        ml=ml,
        discard_ml=discard,
        syringes_per_day=syringes,
        warnings=warnings,
        needs_clinician_override=needs_override,
        band=paediatric_band(per_kg),
        rule_ids=tuple(rule_ids),
        delivered_mg=ml_to_mg(ml),
    )


def weight_based_daily_mg(weight_kg, mg_per_kg) -> Decimal:
    """DOSE-PED-RANGE / DOSE-PED-MAX: weight x mg/kg to 0.1 mg, rounded down, so the daily
    dose never holds more than the prescribed mg/kg (2.9 kg x 7.75 mg/kg = 22.475 -> 22.4 mg)."""
    return (Decimal(weight_kg) * Decimal(mg_per_kg)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def paediatric_band(mg_per_kg: Decimal) -> str:
    """DOSE-PED-RANGE: very young children often 6-10, older children and adults 1-3 mg/kg/day."""
    if mg_per_kg <= 2:
        return "usual starting dose (1-2 mg/kg/day, DOSE-PED-START)"
    if mg_per_kg <= 3:
        return "usual for older children and adults (1-3 mg/kg/day, DOSE-PED-RANGE)"
    if mg_per_kg < 6:
        return "between the usual bands (3-6 mg/kg/day, DOSE-PED-RANGE)"
    if mg_per_kg <= 8:
        return "often needed by very young children (6-10 mg/kg/day, DOSE-PED-RANGE)"
    return (
        "often needed by very young children (6-10 mg/kg/day, DOSE-PED-RANGE), but above the labelled "
        "maximum of 8 mg/kg/day (DOSE-PED-MAX)"
    )


def is_valid_ped_step(old_mg_per_kg, new_mg_per_kg) -> bool:
    """DOSE-PED-STEP: NOMID/DIRA doses change in steps of 0.5 to 1 mg/kg."""
    step = abs(to_decimal(new_mg_per_kg, "dose per kilogram") - to_decimal(old_mg_per_kg, "dose per kilogram"))
    return step == 0 or Decimal("0.5") <= step <= Decimal("1")
