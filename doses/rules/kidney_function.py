"""Kidney function as a measurement (SCHED-RENAL): pure rules, no Django.

A serum creatinine (mg/dL or µmol/L, converted both ways), a clearance entered by the
clinician (measured, or a child's), or end-stage renal disease / dialysis. For an adult
the creatinine clearance is estimated from the serum creatinine with Cockcroft-Gault, as
the label says ("creatinine clearance < 30 mL/min, estimated from serum creatinine, or
end-stage renal disease"); for a child the clinician enters the value (the formula is
for adults). What the rule then says stays a suggestion: the clinician decides.

Sources: ACR fact sheet and the US label (SCHED-RENAL); Cockcroft DW, Gault MH,
Nephron 1976;16:31-41 for the formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .catalogue import DoseRuleError
from .dose_timing import dosing_interval_days

# SCHED-RENAL: creatinine is reported in mg/dL (US) or µmol/L (SI). 1 mg/dL = 88.42 µmol/L
# (the molar mass of creatinine, 113.12 g/mol).
UMOL_L_PER_MG_DL = Decimal("88.42")
MG_DL, UMOL_L = "mg_dl", "umol_l"
UNIT_LABELS = {MG_DL: "mg/dL", UMOL_L: "µmol/L"}

# Plausibility (input limits of the app, not of the sources): a serum creatinine from
# 0.1 mg/dL (a small child) to 25 mg/dL (end-stage renal disease before dialysis);
# the same in µmol/L. A number outside is a unit or field mix-up, refused with a hint.
MIN_CREATININE_MG_DL = Decimal("0.1")
MAX_CREATININE_MG_DL = Decimal("25")
MIN_CREATININE_UMOL_L = Decimal("9")
MAX_CREATININE_UMOL_L = Decimal("2210")
# A creatinine clearance from 2 mL/min (below that: dialysis, which has its own choice) to
# 250 mL/min (the profile's former limit: above is not a human clearance).
MIN_CLEARANCE_ML_MIN = Decimal("2")
MAX_CLEARANCE_ML_MIN = Decimal("250")

# The weight the estimate uses, in kg (the profile's own limits: 0.5 to 350 kg).
MIN_WEIGHT_KG = Decimal("0.5")
MAX_WEIGHT_KG = Decimal("350")

# Cockcroft-Gault: CrCl (mL/min) = (140 - age) x weight (kg) / (72 x SCr (mg/dL)), x 0.85 if female.
COCKCROFT_GAULT_AGE_FROM = 140
COCKCROFT_GAULT_DIVISOR = 72
COCKCROFT_GAULT_FEMALE_FACTOR = Decimal("0.85")
FORMULA_TEXT = "CrCl = (140 − age) × weight (kg) ÷ (72 × serum creatinine (mg/dL)), × 0.85 if female"

CHILD_NEEDS_CLEARANCE = (
    "The Cockcroft-Gault estimate is for adults. For a child, the clinician enters the creatinine clearance "
    "(SCHED-RENAL)."
)


class KidneyValueRefused(DoseRuleError):
    """A kidney value that cannot be real; `field` names the input it is about."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def _number(value, what: str, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except Exception as exc:  # noqa: BLE001 - any unparsable input is the user's mistake
        raise KidneyValueRefused(f"The {what} must be a number.", field) from exc
    if not number.is_finite():
        raise KidneyValueRefused(f"The {what} must be a number.", field)
    return number


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def creatinine_mg_dl(value, unit: str) -> Decimal:
    """SCHED-RENAL: a serum creatinine as typed, in mg/dL (2 decimals), or a refusal with a hint.

    A creatinine of 80 "mg/dL" is surely µmol/L (or an eGFR typed in the wrong field), and
    1.2 "µmol/L" is surely mg/dL: both are refused, saying which unit the number looks like.
    """
    number = _number(value, "serum creatinine", "creatinine_value")
    if unit not in UNIT_LABELS:
        raise KidneyValueRefused("Choose the unit of the creatinine: mg/dL or µmol/L.", "creatinine_unit")
    if number <= 0:
        raise KidneyValueRefused("A serum creatinine must be more than 0.", "creatinine_value")
    shown = _plain(number)
    if unit == MG_DL:
        if number > MAX_CREATININE_MG_DL:
            hint = f" {shown} looks like µmol/L: choose µmol/L as the unit." if number <= MAX_CREATININE_UMOL_L else ""
            raise KidneyValueRefused(
                f"A serum creatinine of {shown} mg/dL is not plausible (adults usually 0.6 to 1.2 mg/dL; "
                f"at most about {_plain(MAX_CREATININE_MG_DL)} mg/dL even before dialysis).{hint} If {shown} is an "
                "eGFR or a clearance in mL/min, it is not a creatinine: a clinician enters a clearance instead.",
                "creatinine_value",
            )
        if number < MIN_CREATININE_MG_DL:
            raise KidneyValueRefused(
                f"A serum creatinine of {shown} mg/dL is too low to be real; check the report and its unit.",
                "creatinine_value",
            )
        mg = number
    else:
        if number < MIN_CREATININE_UMOL_L:
            hint = f" {shown} looks like mg/dL: choose mg/dL as the unit." if number >= MIN_CREATININE_MG_DL else ""
            raise KidneyValueRefused(
                f"A serum creatinine of {shown} µmol/L is not plausible (adults usually 53 to 106 µmol/L).{hint}",
                "creatinine_value",
            )
        if number > MAX_CREATININE_UMOL_L:
            raise KidneyValueRefused(
                f"A serum creatinine of {shown} µmol/L is not plausible (at most about "
                f"{_plain(MAX_CREATININE_UMOL_L)} µmol/L); check the report and its unit.",
                "creatinine_value",
            )
        mg = number / UMOL_L_PER_MG_DL
    return mg.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def creatinine_umol_l(mg_dl: Decimal) -> Decimal:
    """SCHED-RENAL: mg/dL to µmol/L (whole µmol/L, as labs report it)."""
    return (Decimal(mg_dl) * UMOL_L_PER_MG_DL).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def clearance_ml_min(value) -> Decimal:
    """SCHED-RENAL: a creatinine clearance a clinician typed (mL/min, 1 decimal), or a refusal with a hint."""
    number = _number(value, "creatinine clearance", "clearance_ml_min")
    shown = _plain(number)
    if number < 0:
        raise KidneyValueRefused("A creatinine clearance cannot be negative.", "clearance_ml_min")
    if number < MIN_CLEARANCE_ML_MIN:
        raise KidneyValueRefused(
            f"A creatinine clearance of {shown} mL/min is not plausible. On dialysis, choose “End-stage renal "
            f"disease / dialysis”; if {shown} is a serum creatinine in mg/dL, enter it as a serum creatinine.",
            "clearance_ml_min",
        )
    if number > MAX_CLEARANCE_ML_MIN:
        hint = (
            f" {shown} looks like a serum creatinine in µmol/L: enter it as a serum creatinine."
            if number <= MAX_CREATININE_UMOL_L
            else ""
        )
        raise KidneyValueRefused(
            f"A creatinine clearance above {_plain(MAX_CLEARANCE_ML_MIN)} mL/min is not plausible.{hint}",
            "clearance_ml_min",
        )
    return number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CockcroftGault:
    """SCHED-RENAL: a clearance estimated from serum creatinine, with the inputs it came from."""

    age_years: int
    weight_kg: Decimal
    female: bool
    creatinine_mg_dl: Decimal
    clearance_ml_min: Decimal  # rounded to 0.1 mL/min: the value shown is the value the rule compares


def cockcroft_gault(*, age_years: int, weight_kg, female: bool, creatinine_mg_dl) -> CockcroftGault:
    """SCHED-RENAL (label: "creatinine clearance ... estimated from serum creatinine"), for adults:

    CrCl = (140 - age) x weight / (72 x SCr), x 0.85 for a female patient.
    The caller refuses a child first (CHILD_NEEDS_CLEARANCE): the formula is for adults.
    """
    weight = Decimal(str(weight_kg))
    scr = Decimal(str(creatinine_mg_dl))
    if not MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG:
        raise KidneyValueRefused(
            f"A weight of {_plain(weight)} kg is not plausible; enter the weight in kilograms.", "weight_kg"
        )
    if scr <= 0:
        raise KidneyValueRefused("A serum creatinine must be more than 0.", "creatinine_value")
    if not 0 <= age_years < COCKCROFT_GAULT_AGE_FROM:
        raise KidneyValueRefused(
            "The age on the day of the test is not plausible; check the date of birth.", "measured_on"
        )
    value = (COCKCROFT_GAULT_AGE_FROM - age_years) * weight / (COCKCROFT_GAULT_DIVISOR * scr)
    if female:
        value *= COCKCROFT_GAULT_FEMALE_FACTOR
    return CockcroftGault(
        age_years=age_years,
        weight_kg=weight,
        female=female,
        creatinine_mg_dl=scr,
        clearance_ml_min=value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
    )


def suggested_interval_days(clearance_ml_min, *, end_stage: bool = False) -> int:
    """SCHED-RENAL: every other day (2) with end-stage renal disease / dialysis or a clearance
    below 30 mL/min (dose_timing.dosing_interval_days); otherwise every day. A suggestion only."""
    if end_stage:
        return 2
    return dosing_interval_days(clearance_ml_min)


def every_other_day_to_consider(clearance_ml_min, *, end_stage: bool, interval_days: int | None) -> bool:
    """SCHED-RENAL: the kidney function suggests every other day while the regimen in force is daily.

    This is what the panel flags and what alerts the clinician; no interval is ever changed here.
    """
    if interval_days != 1:
        return False
    return suggested_interval_days(clearance_ml_min, end_stage=end_stage) == 2
