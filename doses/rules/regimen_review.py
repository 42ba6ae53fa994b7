"""Regimen checks: every rule a regimen, or a change to one, must pass, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .catalogue import DoseRuleError
from .dosing import (
    ADULT_DOSE_MG,
    ADULT_FROM_AGE_YEARS,
    PED_LABEL_MAX_MG_PER_KG,
    PED_MAX_MG_PER_KG,
    PED_MIN_MG_PER_KG,
    PED_START_RANGE,
    is_valid_ped_step,
    paediatric_dose,
    syringe_volumes,
    to_decimal,
)

REFUSE = "refuse"  # the service writes nothing; the message names the field
FLAG = "flag"  # allowed, shown before saving and stored for the clinician to see
FIXED_BASIS = "fixed"  # Regimen.DoseBasis values, repeated here because this module has no Django
WEIGHT_BASIS = "weight"
RA_INDICATION = "RA"  # companion.Indication.RHEUMATOID_ARTHRITIS
# DOSE-ADULT (label): in RA, doses above 100 mg/day gave no better response.
RA_MAX_DAILY_MG = ADULT_DOSE_MG


@dataclass(frozen=True)
class RegimenFinding:
    """One rule's verdict on a regimen: refuse it, or flag it for the clinician."""

    rule_id: str
    level: str  # REFUSE or FLAG
    text: str
    field: str | None = None  # the form field it concerns (None: the whole regimen)

    @property
    def refuses(self) -> bool:
        return self.level == REFUSE

    def as_dict(self) -> dict:
        return {"rule_id": self.rule_id, "level": self.level, "text": self.text, "field": self.field}


@dataclass(frozen=True)
class PreviousRegimen:
    """The regimen a change is measured against (the confirmed version in force)."""

    dose_basis: str
    daily_dose_mg: Decimal
    mg_per_kg: Decimal | None


def regimen_findings(
    *,
    dose_basis: str,
    daily_dose_mg,
    mg_per_kg,
    weight_kg,
    interval_days: int,
    administrations_per_day: int,
    times_of_day: Sequence[str],
    age_years: int,
    indication: str,
    by_clinician: bool,
    override_reason: str = "",
    previous: PreviousRegimen | None = None,
) -> list[RegimenFinding]:
    """Every regimen rule, refusals first. Numbers in, findings out; the service acts on them.

    Refuses (REFUSE): how often and how many a day (SCHED-DAILY, SCHED-RENAL, DOSE-PED-STEP),
    a fixed dose other than 100 mg once a day or before 18 (DOSE-ADULT), a weight-based dose
    outside 1-10 mg/kg (DOSE-PED-RANGE) or above 8 mg/kg without a clinician's recorded
    override (DOSE-PED-MAX), and an RA adult's weight-based dose above 100 mg/day unless a
    clinician enters it (DOSE-ADULT, label: higher doses gave no better response).
    Flags (FLAG): a first weight-based regimen outside 1-2 mg/kg (DOSE-PED-START), a change
    of mg/kg that is not a step of 0.5-1 mg/kg (DOSE-PED-STEP), and the RA adult above
    100 mg/day when a clinician enters it.
    """
    found: list[RegimenFinding] = []

    def refuse(rule_id: str, text: str, field: str | None) -> None:
        found.append(RegimenFinding(rule_id, REFUSE, text, field))

    def flag(rule_id: str, text: str, field: str | None) -> None:
        found.append(RegimenFinding(rule_id, FLAG, text, field))

    if interval_days not in (1, 2):
        refuse(
            "SCHED-DAILY", "Anakinra is given every day or every other day (SCHED-DAILY, SCHED-RENAL).", "interval_days"
        )
    if administrations_per_day not in (1, 2):
        refuse(
            "DOSE-PED-STEP",
            "A daily dose is given once, or split into two injections a day.",
            "administrations_per_day",
        )
    times = list(times_of_day)
    if not times:
        refuse("SCHED-DAILY", "Choose the time of day for the injection (SCHED-DAILY).", "time_1")
    elif administrations_per_day == 1 and len(times) > 1:
        refuse(
            "SCHED-DAILY",
            "Leave this empty for one injection a day, or choose two injections a day.",
            "time_2",
        )
    elif administrations_per_day == 2 and len(times) != 2:
        refuse(
            "DOSE-PED-STEP",
            "A split dose needs a second time of day: give one time of day for each injection of the day (DOSE-PED-STEP).",
            "time_2",
        )
    elif len(set(times)) != len(times):
        refuse("DOSE-PED-STEP", "The two injections of a split dose need two different times of day.", "time_2")

    if dose_basis == FIXED_BASIS:
        if age_years < ADULT_FROM_AGE_YEARS:
            refuse(
                "DOSE-ADULT",
                "The fixed 100 mg dose is for adults (18 and over, DOSE-ADULT). "
                "A child's dose is worked out from their weight (DOSE-PED-START): choose the weight-based dose.",
                "dose_basis",
            )
        if administrations_per_day == 2:
            refuse(
                "DOSE-ADULT",
                "The fixed adult dose is 100 mg once a day (DOSE-ADULT): it is not split into two injections.",
                "administrations_per_day",
            )
        if daily_dose_mg is not None and to_decimal(daily_dose_mg, "dose") != ADULT_DOSE_MG:
            refuse("DOSE-ADULT", "The fixed adult dose is 100 mg once a day (DOSE-ADULT).", "dose_basis")
        return _refusals_first(found)
    if dose_basis != WEIGHT_BASIS:
        refuse("DOSE-ADULT", "Choose the fixed adult dose or a weight-based dose.", "dose_basis")
        return _refusals_first(found)

    if weight_kg is None:
        refuse("DOSE-PED-RANGE", "Enter the weight in kilograms: a weight-based dose needs it.", "weight_kg")
    if mg_per_kg is None:
        refuse("DOSE-PED-RANGE", "Enter the dose in mg per kg per day.", "mg_per_kg")
    if weight_kg is None or mg_per_kg is None:
        return _refusals_first(found)
    try:
        dose = paediatric_dose(weight_kg, mg_per_kg)
    except DoseRuleError as refused:
        message = str(refused)
        field = "weight_kg" if "weight" in message.lower() and "per kg" not in message else "mg_per_kg"
        refuse(
            "DOSE-SYRINGE" if "0.01 mL" in message else "DOSE-PED-RANGE",
            message,
            None if "0.01 mL" in message else field,
        )
        return _refusals_first(found)
    if daily_dose_mg is not None and to_decimal(daily_dose_mg, "dose") != dose.mg:
        refuse(
            "DOSE-PED-RANGE",
            f"{dose.mg_per_kg} mg/kg × {dose.weight_kg} kg is {dose.mg} mg a day, not {daily_dose_mg} mg.",
            "mg_per_kg",
        )
    if dose.needs_clinician_override:  # DOSE-PED-MAX
        if not by_clinician:
            refuse(
                "DOSE-PED-MAX",
                f"{dose.mg_per_kg} mg/kg/day is above the labelled maximum of 8 mg/kg/day (DOSE-PED-MAX). Only a "
                "clinician can prescribe this, with a recorded reason. Ask your child's clinician to enter it.",
                "mg_per_kg",
            )
        elif not (override_reason or "").strip():
            refuse(
                "DOSE-PED-MAX",
                "Above 8 mg/kg/day needs your reason for the override; it is recorded (DOSE-PED-MAX).",
                "override_reason",
            )
    if indication == RA_INDICATION and age_years >= ADULT_FROM_AGE_YEARS and dose.mg > RA_MAX_DAILY_MG:
        text = (
            f"{dose.mg} mg a day is more than the 100 mg a day labelled for adults with rheumatoid arthritis "
            "(DOSE-ADULT; label: higher doses gave no better response)."
        )
        if by_clinician:
            flag("DOSE-ADULT", text + " Check it is intended.", "mg_per_kg")
        else:
            refuse("DOSE-ADULT", text + " Only a clinician can prescribe it.", "mg_per_kg")
    first_weight_based = previous is None or previous.mg_per_kg is None
    if first_weight_based and not (PED_START_RANGE[0] <= dose.mg_per_kg <= PED_START_RANGE[1]):
        flag(
            "DOSE-PED-START",
            f"{dose.mg_per_kg} mg/kg/day is outside the usual starting dose of 1-2 mg/kg/day (DOSE-PED-START). "
            "Check it was intended.",
            "mg_per_kg",
        )
    if not first_weight_based and not is_valid_ped_step(previous.mg_per_kg, dose.mg_per_kg):
        flag(
            "DOSE-PED-STEP",
            f"The change from {previous.mg_per_kg} to {dose.mg_per_kg} mg/kg/day is not a step of 0.5-1 mg/kg "
            "(DOSE-PED-STEP). Check it was intended.",
            "mg_per_kg",
        )
    return _refusals_first(found)


def _refusals_first(found: list[RegimenFinding]) -> list[RegimenFinding]:
    return sorted(found, key=lambda f: f.level != REFUSE)


def dose_at_weight_findings(
    *, daily_dose_mg, weight_kg, confirmed_mg_per_kg, override_recorded: bool
) -> list[RegimenFinding]:
    """DOSE-PED-RANGE / DOSE-PED-MAX: a new weight moves a weight-based dose in force.

    The dose stays the prescribed mg; at the new weight it is daily_dose_mg / weight mg/kg.
    Outside 1-10 mg/kg (DOSE-PED-RANGE) or above 8 mg/kg (DOSE-PED-MAX, unless a recorded
    clinician override covers that much) the clinician is alerted.
    """
    weight = to_decimal(weight_kg, "weight")
    if weight <= 0:
        return []
    per_kg = (to_decimal(daily_dose_mg, "dose") / weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    words = f"{daily_dose_mg} mg a day at {weight} kg is {per_kg} mg/kg/day"
    if per_kg < PED_MIN_MG_PER_KG or per_kg > PED_MAX_MG_PER_KG:
        return [
            RegimenFinding(
                "DOSE-PED-RANGE", FLAG, f"{words}, outside the range of 1-10 mg/kg/day (DOSE-PED-RANGE).", "weight_kg"
            )
        ]
    covered = override_recorded and confirmed_mg_per_kg is not None and per_kg <= Decimal(confirmed_mg_per_kg)
    if per_kg > PED_LABEL_MAX_MG_PER_KG and not covered:
        return [
            RegimenFinding(
                "DOSE-PED-MAX", FLAG, f"{words}, above the labelled maximum of 8 mg/kg/day (DOSE-PED-MAX).", "weight_kg"
            )
        ]
    return []


def split_dose_mg(daily_mg: Decimal, administrations_per_day: int) -> Decimal:
    """DOSE-PED-STEP: the daily dose may be split into two administrations a day."""
    if administrations_per_day not in (1, 2):
        raise DoseRuleError("A daily dose is given once, or split into two injections a day.")
    # Rounded down to 0.1 mg so the two halves never add up to more than the daily dose.
    return (Decimal(daily_mg) / administrations_per_day).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def discard_before_injecting_ml(dose_mg) -> Decimal:
    """DOSE-SYRINGE: for a dose below 100 mg, expel this much from the 0.67 mL syringe first."""
    mg = to_decimal(dose_mg, "dose")
    # Above 100 mg the last of several syringes is part-used: same rule (PREP-ONCE).
    return syringe_volumes(mg)[1]
