"""The anakinra rules as plain functions.

No HTTP, no ORM: numbers, dates and datetimes in, answers out. Views, forms, tasks
and tests all call these; nothing re-implements a rule. Every rule carries its ID
from shared/RULES.md and the source document it comes from.

Sources: DermNet NZ (dermnet-anakinra.txt), ACR patient fact sheet
(acr-anakinra-fact-sheet.txt), MedlinePlus (medlineplus-anakinra.txt), and the US
prescribing information ("label") that DermNet cites.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal


class DoseRuleError(ValueError):
    """A value the rules refuse. The message is written for a parent, not a programmer."""


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    source: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("DOSE-ADULT", "Adults: 100 mg once a day by injection under the skin.", "DermNet, ACR, label"),
        Rule("DOSE-PED-START", "Children: weight-based, starting at 1-2 mg/kg/day.", "ACR"),
        Rule("DOSE-PED-RANGE", "Children: 1-10 mg/kg/day; outside that range is refused.", "DermNet"),
        Rule("DOSE-PED-MAX", "NOMID/DIRA maximum 8 mg/kg/day; above needs a clinician override.", "label"),
        Rule("DOSE-PED-STEP", "Adjust in steps of 0.5-1 mg/kg; the daily dose may be split in two.", "label"),
        Rule(
            "DOSE-SYRINGE",
            "One syringe holds 100 mg in 0.67 mL; smaller doses discard the rest first.",
            "MedlinePlus, label",
        ),
        Rule("SCHED-DAILY", "Inject once a day, at the same time every day.", "MedlinePlus"),
        Rule("SCHED-RENAL", "Decreased kidney function (CrCl < 30 mL/min): every other day.", "ACR, label"),
        Rule("SCHED-TZ", "'The same time every day' is the patient's local clock time.", "MedlinePlus"),
        Rule("MISS-TAKE", "Take a missed dose as soon as you remember.", "MedlinePlus"),
        Rule("MISS-SKIP", "If it is almost time for the next dose, skip the missed one.", "MedlinePlus"),
        Rule("MISS-NODOUBLE", "Never take a double dose to make up for a missed one.", "MedlinePlus"),
        Rule("SITE-SELF", "Self-injection: front or outer thigh, or the stomach.", "MedlinePlus, ACR"),
        Rule(
            "SITE-OTHER",
            "Someone else injecting may also use the back of the upper arms and the buttocks.",
            "MedlinePlus",
        ),
        Rule("SITE-ROTATE", "Use a new spot each time, about 2.5 cm (1 inch) from the last.", "MedlinePlus, ACR"),
        Rule("SITE-VEIN", "Do not inject near a vein you can see under the skin.", "MedlinePlus"),
        Rule("PREP-WARM", "Keep in the fridge; let it reach room temperature before use.", "ACR, MedlinePlus"),
        Rule("PREP-24H", "Do not use a syringe that has been at room temperature more than 24 hours.", "MedlinePlus"),
        Rule("PREP-LOOK", "Do not shake; do not use if discoloured, cloudy or with particles.", "MedlinePlus"),
        Rule("PREP-ONCE", "Each syringe is used once; put used syringes in a sharps container.", "MedlinePlus"),
        Rule("SUPPLY-BOX", "Seven syringes a box, one per day of the week.", "MedlinePlus"),
        Rule("STORE", "Refrigerate, do not freeze, protect from light, out of reach of children.", "MedlinePlus"),
        Rule(
            "AE-COMMON",
            "Common side effects: tell the doctor if severe or not going away.",
            "ACR, MedlinePlus, DermNet",
        ),
        Rule("AE-ISR-DURATION", "Injection-site reactions usually stop within 1-2 weeks.", "ACR"),
        Rule("AE-SERIOUS", "Some symptoms mean: call the doctor now.", "MedlinePlus, DermNet"),
        Rule("AE-INFECTION", "Serious infection: see the doctor; anakinra may be stopped.", "ACR, DermNet"),
        Rule("AE-ALLERGY", "Severe allergic reaction: stop and seek care.", "DermNet, MedlinePlus"),
        Rule(
            "AE-LABS",
            "Neutrophil count before starting, monthly for 3 months, then quarterly to 1 year.",
            "DermNet, MedlinePlus, label",
        ),
        Rule("AE-REPORT", "Serious side effects can be reported to FDA MedWatch (1-800-332-1088).", "MedlinePlus"),
        Rule(
            "AE-OVERDOSE", "Overdose: poison control 1-800-222-1222; collapse or trouble breathing: 911.", "MedlinePlus"
        ),
        Rule("IX-TNF", "Not with TNF blockers (etanercept, infliximab, adalimumab).", "DermNet, MedlinePlus"),
        Rule("IX-BIOLOGIC", "Not at the same time as other biologics.", "ACR"),
        Rule("IX-IMMUNO", "Tell the doctor about immunosuppressants; methotrexate is usual in RA.", "MedlinePlus, ACR"),
        Rule("IX-LIVE-VACCINE", "No live vaccines while on anakinra.", "DermNet, ACR, MedlinePlus"),
        Rule("PRE-CHILD-VACCINE", "Children: pneumococcal and Hib vaccination before starting.", "DermNet"),
        Rule("PRE-PREGNANCY", "Pregnancy or breast-feeding: discuss with the doctor.", "DermNet, MedlinePlus"),
        Rule("PRE-SURGERY", "Tell surgeons and dentists about anakinra.", "MedlinePlus"),
        Rule("ONSET", "RA: benefit in 4-6 weeks; autoinflammatory disease: within hours.", "ACR"),
        Rule("CAPS-EARLY", "CAPS: start early; treatment is usually lifelong.", "DermNet"),
    ]
}


# ---------------------------------------------------------------------------
# Dates a record can hold (an input limit of the app, not a rule of the sources)
# ---------------------------------------------------------------------------

# No date in anyone's record of this medicine lies outside 1900-2100: a date of birth, a
# dose, a symptom, a pick-up or a page's date range. Far outside it, Python's datetime
# overflows: 0001-01-01T00:00 in a zone east of UTC is before year 1 in UTC, and a dose
# window of hours around 9999-12-31 is past year 9999. Forms (companion/form_fields.py)
# and the pages' date ranges (selectors.parse_date_range) refuse such dates with a message;
# where a form already refuses the future in its own words, that message answers for 2999.
EARLIEST_RECORD_DATE = date(1900, 1, 1)
LATEST_RECORD_DATE = date(2100, 12, 31)

# A record says what happened, so nothing in it lies in the future. A moment may be up to a
# minute ahead of the server's clock (a phone's clock runs a little fast); a date is compared
# with the patient's local today (SCHED-TZ). The form shows this refusal on its field and the
# service says the same words again under its transaction: one message, written here.
CLOCK_SLACK = timedelta(minutes=1)


def future_date_refusal(day: date | None, today: date, what: str) -> str | None:
    """The refusal of a date after the patient's local `today` ("The start date cannot be in the future.")."""
    if day is not None and day > today:
        return f"The {what} cannot be in the future."
    return None


def future_moment_refusal(
    moment: datetime | None, now: datetime, what: str, zone: zoneinfo.ZoneInfo | None = None
) -> str | None:
    """The refusal of a moment more than CLOCK_SLACK after `now`; with `zone`, it says what time it is now."""
    if moment is None or moment <= now + CLOCK_SLACK:
        return None
    if zone is None:
        return f"The {what} cannot be in the future."
    local = now.astimezone(zone)
    return f"The {what} cannot be in the future (it is now {local:%H:%M} on {local:%a %d %b})."


# ---------------------------------------------------------------------------
# Dose
# ---------------------------------------------------------------------------

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


def _decimal(value, what: str) -> Decimal:
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
    weight = _decimal(weight_kg, "weight")
    per_kg = _decimal(mg_per_kg, "dose per kilogram")
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
    step = abs(_decimal(new_mg_per_kg, "dose per kilogram") - _decimal(old_mg_per_kg, "dose per kilogram"))
    return step == 0 or Decimal("0.5") <= step <= Decimal("1")


# ---------------------------------------------------------------------------
# Regimen checks: every rule a regimen (or a change to one) must pass, in one place
# ---------------------------------------------------------------------------

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
        if daily_dose_mg is not None and _decimal(daily_dose_mg, "dose") != ADULT_DOSE_MG:
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
    if daily_dose_mg is not None and _decimal(daily_dose_mg, "dose") != dose.mg:
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
    weight = _decimal(weight_kg, "weight")
    if weight <= 0:
        return []
    per_kg = (_decimal(daily_dose_mg, "dose") / weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
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
    mg = _decimal(dose_mg, "dose")
    # Above 100 mg the last of several syringes is part-used: same rule (PREP-ONCE).
    return syringe_volumes(mg)[1]


# ---------------------------------------------------------------------------
# Schedule
# ---------------------------------------------------------------------------

RENAL_CLEARANCE_THRESHOLD_ML_MIN = Decimal("30")  # SCHED-RENAL


def dosing_interval_days(creatinine_clearance_ml_min) -> int:
    """SCHED-RENAL: every other day (2) when creatinine clearance is below 30 mL/min.

    Unknown (None) keeps the daily schedule (SCHED-DAILY); a person confirms any change.
    """
    if creatinine_clearance_ml_min is None:
        return 1
    clearance = _decimal(creatinine_clearance_ml_min, "creatinine clearance")
    if clearance < 0:
        raise DoseRuleError("Creatinine clearance cannot be negative. Check the lab result.")
    return 2 if clearance < RENAL_CLEARANCE_THRESHOLD_ML_MIN else 1


def local_slot(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """SCHED-TZ: the aware datetime for local clock time `at` on `day` in `zone`.

    A time that does not exist (the spring-forward gap) moves forward by the gap, to the
    same instant a wall clock would show after the change (or back, when forward would
    cross midnight); an ambiguous time (autumn) takes the first occurrence. Either way
    the dose stays on its own calendar day.
    """
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC to normalise a non-existent local time.
    moved = aware.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)
    if moved.date() != day:
        # A gap that ends at midnight (America/Nuuk springs from 23:00 to 00:00): moving
        # forward would land on the next day, which has its own dose. Move back instead.
        moved = naive.replace(tzinfo=zone, fold=1).astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)
    return moved


def dose_days(starts_on: date, interval_days: int, from_day: date, to_day: date) -> Iterator[date]:
    """Local calendar days with a dose, anchored to the start date (SCHED-DAILY, SCHED-RENAL).

    Every-other-day series count from `starts_on`, so a missed dose never shifts them.
    """
    if interval_days not in (1, 2):
        raise DoseRuleError("Anakinra is given every day or every other day.")
    day = max(from_day, starts_on)
    offset = (day - starts_on).days % interval_days
    if offset:
        day += timedelta(days=interval_days - offset)
    while day <= to_day:
        yield day
        day += timedelta(days=interval_days)


def dose_slots(
    *,
    starts_on: date,
    interval_days: int,
    times_of_day: Sequence[time],
    zone: zoneinfo.ZoneInfo,
    from_day: date,
    to_day: date,
    ends_on: date | None = None,
) -> list[datetime]:
    """Every scheduled dose (aware, in the patient's zone) between two local days inclusive.

    SCHED-DAILY / SCHED-RENAL for the days, DOSE-PED-STEP for up to two times a day,
    SCHED-TZ for local wall-clock time. A regimen that ends on `ends_on` has no slot on
    or after that day (the next regimen starts there).
    """
    if not times_of_day:
        raise DoseRuleError("Choose the time of day for the injection.")
    if len(times_of_day) > 2:
        raise DoseRuleError("A daily dose is given once, or split into two injections a day.")
    if len(set(times_of_day)) != len(times_of_day):
        raise DoseRuleError("The two injections of a split dose need two different times of day.")
    last = to_day if ends_on is None else min(to_day, ends_on - timedelta(days=1))
    ordered = sorted(times_of_day)
    found: list[datetime] = []
    for day in dose_days(starts_on, interval_days, from_day, last):
        moments = [local_slot(day, at, zone) for at in ordered]
        if len(moments) == 2 and moments[0] >= moments[1]:
            moments = _separate_split_doses(day, ordered, moments, zone)
        found += moments
    return found


def _separate_split_doses(day: date, ordered: Sequence[time], moments: list[datetime], zone) -> list[datetime]:
    """SCHED-TZ / MISS-NODOUBLE: both times of a split dose fell on one instant because one
    of them does not exist that day (a DST gap) and was moved onto the other. Keep two
    distinct doses on the same local day, in order, and move only the one that does not
    exist: the first goes back across the gap (or to the first moment of the day, for a gap
    at midnight); the second, pushed back onto the first by a gap that ends at midnight
    (America/Nuuk jumps from 23:00 to 00:00), goes to the last minute of the day.
    """
    utc = zoneinfo.ZoneInfo("UTC")
    first, second = moments
    if first.timetz().replace(tzinfo=None) != ordered[0]:
        earlier = datetime.combine(day, ordered[0]).replace(tzinfo=zone, fold=1).astimezone(utc).astimezone(zone)
        for candidate in (earlier, local_slot(day, time(0), zone)):
            if candidate.date() == day and candidate < second:
                return [candidate, second]
    # Arithmetic in UTC: an aware datetime minus a timedelta would count wall-clock minutes.
    next_midnight = local_slot(day + timedelta(days=1), time(0), zone).astimezone(utc)
    last_minute = (next_midnight - timedelta(minutes=1)).astimezone(zone)
    if last_minute.date() == day and last_minute > first:
        return [first, last_minute]
    raise DoseRuleError("The two times of the split dose fall on one moment on this day; choose other times.")


_UTC = zoneinfo.ZoneInfo("UTC")


def _utc(moment: datetime) -> datetime:
    # Elapsed time: arithmetic on two datetimes with the same ZoneInfo counts wall-clock
    # hours, so a 12-hour gap across a DST change would be 11 or 13 real hours (SCHED-TZ).
    return moment.astimezone(_UTC)


DEFAULT_SKIP_WITHIN_HOURS = 12.0  # MISS-SKIP: the configured "almost time" cut-off, by default


def default_skip_within(gap: timedelta, skip_within_hours: float = DEFAULT_SKIP_WITHIN_HOURS) -> timedelta:
    """MISS-SKIP: 'almost time for the next dose' = the next dose is due within this long.

    The configured cut-off (12 hours by default), but never more than half the gap
    between doses, so a twice-a-day split dose still has a window to take a late one.
    """
    return min(timedelta(hours=skip_within_hours), gap / 2)


def missed_dose_advice(
    scheduled_at: datetime,
    next_scheduled_at: datetime,
    now: datetime,
    skip_within: timedelta | None = None,
) -> str:
    """MISS-TAKE / MISS-SKIP: "take" a missed dose now, or "skip" it and keep the schedule.

    Take it as soon as you remember (MISS-TAKE) unless the next dose is due within
    `skip_within` (MISS-SKIP). Never "take both" (MISS-NODOUBLE): once the cut-off has
    passed the answer is "skip", and the next dose is the next one on the schedule.
    """
    for value in (scheduled_at, next_scheduled_at, now):
        if value.tzinfo is None:
            raise ValueError("missed_dose_advice needs timezone-aware datetimes (SCHED-TZ).")
    scheduled_at, next_scheduled_at = _utc(scheduled_at), _utc(next_scheduled_at)
    if next_scheduled_at <= scheduled_at:
        raise ValueError("The next dose must come after the missed one.")
    if skip_within is None:
        skip_within = default_skip_within(next_scheduled_at - scheduled_at)
    if skip_within < timedelta(0):
        raise ValueError("The skip cut-off cannot be negative.")
    return "skip" if now >= next_scheduled_at - skip_within else "take"


# MISS-TAKE / MISS-SKIP: Today keeps a dose that is late, missed or not taken, with its
# advice, for a day after it was due (after that the next doses speak for themselves).
MISSED_DOSE_SHOWN_FOR = timedelta(hours=24)


# MISS-NODOUBLE / SCHED-DAILY: a dose can be logged from this long before it is due (the
# app's DOSE_LOG_EARLY_HOURS setting). Before that the moment belongs to no dose, so the
# window of one dose never opens the moment the previous one closes.
DEFAULT_LOG_EARLY_HOURS = 2.0


@dataclass(frozen=True)
class DoseWindow:
    """The span of time in which an injection counts for one scheduled dose (MISS-NODOUBLE).

    All three moments are in UTC; show them in the patient's zone.
    """

    slot_at: datetime
    opens_at: datetime  # MISS-NODOUBLE: the dose can be logged from here (DOSE_LOG_EARLY_HOURS before)
    closes_at: datetime  # exclusive; also the missed-dose cut-off (MISS-SKIP)

    def __contains__(self, moment: datetime) -> bool:
        return self.opens_at <= moment < self.closes_at


def dose_window(
    slot_at: datetime,
    next_slot_at: datetime,
    previous_slot_at: datetime | None = None,
    skip_within: timedelta | None = None,
    log_early: timedelta | None = None,
) -> DoseWindow:
    """MISS-NODOUBLE / MISS-SKIP: the window of a slot.

    It closes at this slot's cut-off: the next slot minus the skip span (MISS-SKIP), the
    configured `skip_within` (12 hours by default) capped at half the gap to the next slot
    (`default_skip_within`). It opens `log_early` (2 hours by default) before the slot, but
    never before the previous slot's window closes (same formula, same gap): windows never
    overlap, and between them lie moments that count for no dose (MISS-NODOUBLE).
    """
    slot_at, next_slot_at = _utc(slot_at), _utc(next_slot_at)
    configured = timedelta(hours=DEFAULT_SKIP_WITHIN_HOURS) if skip_within is None else skip_within
    hours = configured.total_seconds() / 3600
    early = timedelta(hours=DEFAULT_LOG_EARLY_HOURS) if log_early is None else log_early
    if early < timedelta(0):
        raise ValueError("The time a dose can be logged early cannot be negative.")
    closes_at = next_slot_at - default_skip_within(next_slot_at - slot_at, hours)
    if previous_slot_at is None:
        previous_close = slot_at - default_skip_within(next_slot_at - slot_at, hours)
    else:
        previous_close = slot_at - default_skip_within(slot_at - _utc(previous_slot_at), hours)
    return DoseWindow(slot_at=slot_at, opens_at=max(slot_at - early, previous_close), closes_at=closes_at)


def slot_for_moment(
    slots: Sequence[datetime],
    moment: datetime,
    skip_within_hours: float = DEFAULT_SKIP_WITHIN_HOURS,
    log_early_hours: float = DEFAULT_LOG_EARLY_HOURS,
) -> datetime | None:
    """MISS-NODOUBLE: which scheduled dose an injection at `moment` belongs to, if any.

    `slots` must be sorted and include the slot after the one sought. None: the moment is
    after one dose's cut-off and before the next one can be logged.
    """
    for index in range(len(slots) - 1):
        previous = slots[index - 1] if index else None
        window = dose_window(
            slots[index],
            slots[index + 1],
            previous,
            timedelta(hours=skip_within_hours),
            timedelta(hours=log_early_hours),
        )
        if moment in window:
            return slots[index]
    return None


def minimum_gap(first_slot_at: datetime, second_slot_at: datetime, skip_within_hours: float) -> timedelta:
    """MISS-NODOUBLE / MISS-SKIP: the least time between the injections of two doses.

    The skip span between them (`default_skip_within`): 12 hours for a daily or every-other-
    day dose, 6 hours for a split dose 12 hours apart. A dose taken late, just before its
    cut-off, therefore pushes the next one back: never two doses minutes apart.
    """
    return default_skip_within(abs(_utc(second_slot_at) - _utc(first_slot_at)), skip_within_hours)


def earliest_log_at(window: DoseWindow, previous_injection_at: datetime | None, gap: timedelta) -> datetime:
    """MISS-NODOUBLE: the first moment a dose can be logged: its window's opening, or
    `gap` (minimum_gap) after the previous injection if that is later."""
    if previous_injection_at is None:
        return window.opens_at
    return max(window.opens_at, _utc(previous_injection_at) + gap)


def latest_log_before(next_injection_at: datetime, gap: timedelta) -> datetime:
    """MISS-NODOUBLE (back-logging a dose): it must lie `gap` before the next injection logged."""
    return _utc(next_injection_at) - gap


# ---------------------------------------------------------------------------
# Labs (AE-LABS)
# ---------------------------------------------------------------------------


# AE-LABS: the sources say "keep lab appointments" and when the counts fall due
# (neutrophil_check_dates); how far ahead the app points at the next one is its own choice,
# made here once. Today and the labs page mean different things, so two names:
LAB_ON_TODAY_WITHIN_DAYS = 7  # Today lists a count not done and due within a week: time to book it
LAB_DUE_SOON_WITHIN_DAYS = 14  # the labs page marks a count due within two weeks "Due soon" (half a month)
# (The e-mail reminder's lead time is the LAB_REMINDER_DAYS_BEFORE setting, 3 days by default.)
# AE-LABS: the form takes counts in 10^9/L; 100 or more is far above any real count: a unit mix-up.
MAX_NEUTROPHILS_10E9_PER_L = Decimal("100")

LAB_DONE, LAB_OVERDUE, LAB_DUE_SOON, LAB_LATER = "done", "overdue", "due", "later"


def lab_state(due_on: date, done_on: date | None, today: date) -> str:
    """AE-LABS: a scheduled count is done, overdue, due soon (LAB_DUE_SOON_WITHIN_DAYS) or later."""
    if done_on:
        return LAB_DONE
    if due_on < today:
        return LAB_OVERDUE
    if due_on <= today + timedelta(days=LAB_DUE_SOON_WITHIN_DAYS):
        return LAB_DUE_SOON
    return LAB_LATER


def lab_on_today_until(today: date) -> date:
    """AE-LABS: Today lists every count not done and due on or before this day (overdue included)."""
    return today + timedelta(days=LAB_ON_TODAY_WITHIN_DAYS)


def neutrophil_count_refusal(value: Decimal) -> str | None:
    """AE-LABS: a neutrophil count that cannot be real (below 0, or 100 x 10^9/L and above)."""
    if value < 0 or value >= MAX_NEUTROPHILS_10E9_PER_L:
        return "Enter the neutrophil count in 10⁹ cells per litre, as on the lab report (usually between 1 and 10)."
    return None


def neutrophil_check_dates(first_dose_on: date) -> list[tuple[date, str]]:
    """AE-LABS (label): before starting, monthly for 3 months, then quarterly up to 1 year."""

    def months_later(months: int) -> date:
        month_index = first_dose_on.month - 1 + months
        year = first_dose_on.year + month_index // 12
        month = month_index % 12 + 1
        for day in (first_dose_on.day, 30, 29, 28):
            try:
                return date(year, month, day)
            except ValueError:
                continue
        raise AssertionError("unreachable")

    checks = [(first_dose_on, "Before starting")]
    checks += [(months_later(m), f"Month {m}") for m in (1, 2, 3)]
    checks += [(months_later(m), f"Month {m}") for m in (6, 9, 12)]
    return checks


def rule_ids_in(texts: Iterable[str]) -> set[str]:
    """The rule IDs mentioned in some texts (used by tests that every ID is covered)."""
    return {rule_id for rule_id in RULES for text in texts if rule_id in text}


# ---------------------------------------------------------------------------
# Supply (SUPPLY-BOX, PREP-ONCE) — added by the records helper
# ---------------------------------------------------------------------------

SYRINGES_PER_BOX = 7  # SUPPLY-BOX: seven syringes a box, one per day of the week (MedlinePlus)
# SUPPLY-BOX plausibility (input limits of the app, not of the sources): 20 boxes is 140
# syringes, months of supply, at one pick-up; nobody keeps 1000 syringes at home.
MAX_BOXES_PER_PICKUP = 20
MAX_SYRINGES_ON_HAND = 1000


def syringes_per_dose(dose_mg) -> int:
    """PREP-ONCE / DOSE-SYRINGE: each syringe holds 100 mg and is used once, so a dose
    needs ceil(dose / 100 mg) syringes (leftover solution is discarded, never reused)."""
    mg = _decimal(dose_mg, "dose")
    if mg <= 0:
        raise DoseRuleError("A dose must be more than 0 mg.")
    return int((mg / SYRINGE_MG).to_integral_value(rounding="ROUND_CEILING"))


def days_of_supply(syringes_on_hand: int, *, dose_mg, administrations_per_day: int, interval_days: int) -> int:
    """SUPPLY-BOX: whole days the syringes on hand last at the current regimen.

    Counted in doses the stock can fully cover: every other day (SCHED-RENAL) doubles
    the days per dose; a split dose (DOSE-PED-STEP) uses a syringe per administration.
    """
    if syringes_on_hand <= 0:
        return 0
    per_day_doses = syringes_per_dose(dose_mg) * administrations_per_day
    whole_dose_days = syringes_on_hand // per_day_doses
    return whole_dose_days * interval_days


# ---------------------------------------------------------------------------
# Pre-injection checks (PREP-WARM, PREP-24H, PREP-LOOK, PREP-ONCE, SITE-VEIN)
# — added by the injection-log helper
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PrepCheck:
    key: str
    rule_id: str
    question: str  # phrased so that "yes" is the safe answer
    if_no: str  # what to do when the answer is "no"
    discard: bool  # True: "no" means this syringe must not be used at all


PREP_CHECKS: tuple[PrepCheck, ...] = (
    # ACR, MedlinePlus: store in the fridge, warm to room temperature before use.
    PrepCheck(
        "warm",
        "PREP-WARM",
        "Has the syringe warmed up to room temperature?",
        "Wait until the syringe has warmed up to room temperature, then inject (PREP-WARM).",
        False,
    ),
    # MedlinePlus: do not use a syringe that has been at room temperature for more than 24 hours.
    PrepCheck(
        "under_24h",
        "PREP-24H",
        "Has it been out of the fridge for less than 24 hours?",
        "Do not use this syringe: it has been at room temperature for more than 24 hours (PREP-24H).",
        True,
    ),
    # MedlinePlus: do not use if discoloured, cloudy, or if something is floating in it.
    PrepCheck(
        "clear",
        "PREP-LOOK",
        "Is the liquid clear: not cloudy, not discoloured, nothing floating in it?",
        "Do not use this syringe: the liquid is cloudy, discoloured or has something floating in it (PREP-LOOK).",
        True,
    ),
    # MedlinePlus: do not shake; if foamy, let it sit a few minutes until it clears.
    PrepCheck(
        "not_foamy",
        "PREP-LOOK",
        "Is the liquid free of foam? (Never shake it; let any foam settle.)",
        "Do not shake the syringe. If it is foamy, let it sit for a few minutes until it clears (PREP-LOOK).",
        False,
    ),
    # MedlinePlus: each syringe is used once; leftover solution is not injected.
    PrepCheck(
        "unused",
        "PREP-ONCE",
        "Is it a new syringe that has not been used before?",
        "Do not use this syringe: each syringe is used only once (PREP-ONCE). Put it in the sharps container.",
        True,
    ),
    # MedlinePlus: do not inject near a vein that you can see under the skin.
    PrepCheck(
        "no_vein",
        "SITE-VEIN",
        "Is the chosen spot away from any vein you can see under the skin?",
        "Choose another spot, about 2.5 cm (1 inch) away, where no vein shows under the skin (SITE-VEIN).",
        False,
    ),
)
PREP_CHECKS_BY_KEY: dict[str, PrepCheck] = {check.key: check for check in PREP_CHECKS}


@dataclass(frozen=True)
class PrepOutcome:
    discard: tuple[PrepCheck, ...]  # failed checks that mean "do not use this syringe"
    wait: tuple[PrepCheck, ...]  # failed checks that a short wait or another spot fixes

    @property
    def ok(self) -> bool:
        return not self.discard and not self.wait


def prep_check_outcome(answers: dict[str, bool]) -> PrepOutcome:
    """PREP-*: which checks failed, split into "discard this syringe" and "wait / move".

    A missing answer counts as failed: the checklist is answered before every injection.
    """
    failed = [check for check in PREP_CHECKS if not answers.get(check.key)]
    return PrepOutcome(
        discard=tuple(c for c in failed if c.discard),
        wait=tuple(c for c in failed if not c.discard),
    )


# ---------------------------------------------------------------------------
# The log records what really happened (AE-OVERDOSE, PREP-24H, SUPPLY-BOX)
# ---------------------------------------------------------------------------

# AE-OVERDOSE: a dose above the prescribed one can be recorded (it really happened), but a
# number above five full syringes (DOSE-SYRINGE: 100 mg each) is far more likely a typing
# slip (1000 for 100) than an injection; it is refused with a message to check it.
MAX_RECORDABLE_DOSE_SYRINGES = 5
MAX_RECORDABLE_DOSE_MG = MAX_RECORDABLE_DOSE_SYRINGES * SYRINGE_MG


class AbovePrescribedNotConfirmed(DoseRuleError):
    """AE-OVERDOSE: the dose typed is above the prescribed one and nobody confirmed it was really given."""


def check_recorded_dose(dose_mg, prescribed_mg, *, confirmed_above_prescribed: bool) -> bool:
    """AE-OVERDOSE: may this dose be recorded for a slot of `prescribed_mg`? True when it is above it.

    At most the prescribed dose: recorded as usual. Above it: recorded, flagged, only once the
    person confirms that it really was injected (never a silent "more than prescribed").
    Above MAX_RECORDABLE_DOSE_MG, or 0 mg or less: refused.
    """
    dose = _decimal(dose_mg, "dose")
    prescribed = _decimal(prescribed_mg, "prescribed dose")
    if dose <= 0:
        raise DoseRuleError("The dose must be more than 0 mg.")
    if dose > MAX_RECORDABLE_DOSE_MG:
        raise DoseRuleError(
            f"{dose:f} mg is more than {MAX_RECORDABLE_DOSE_SYRINGES} full syringes ({MAX_RECORDABLE_DOSE_MG:f} mg): "
            "please check the number you typed (AE-OVERDOSE, DOSE-SYRINGE)."
        )
    if dose <= prescribed:
        return False
    if not confirmed_above_prescribed:
        raise AbovePrescribedNotConfirmed(
            f"{dose:f} mg is more than the prescribed {prescribed:f} mg for this dose. If that much was really "
            "injected, tick the box below to record it as it happened (AE-OVERDOSE); otherwise correct the number."
        )
    return True


# PREP-24H (MedlinePlus): a syringe out of the fridge is used within 24 hours, counted in
# elapsed hours (add it in UTC, so a DST change does not move the limit).
ROOM_TEMPERATURE_USE_WITHIN = timedelta(hours=24)
# PREP-24H plausibility: a syringe "taken out" more than a week ago is a typing slip; its
# 24 hours are long over anyway.
FRIDGE_BACKDATE_LIMIT = timedelta(days=7)
# AE-OVERDOSE: Today repeats the overdose advice (poison control, 911) for a day after a dose
# above the prescribed one was recorded.
OVERDOSE_ADVICE_SHOWN_FOR = timedelta(hours=24)


def use_by_after(taken_out_at: datetime) -> datetime:
    """PREP-24H: when a syringe taken out of the fridge at `taken_out_at` must be used by (in UTC)."""
    return _utc(taken_out_at) + ROOM_TEMPERATURE_USE_WITHIN


def is_past_use_by(use_by: datetime, moment: datetime) -> bool:
    """PREP-24H: at `moment`, a syringe with this use-by time (24 h out of the fridge) must not be used."""
    return use_by <= moment


def syringes_taken(needed: int, on_hand: int) -> tuple[int, int]:
    """SUPPLY-BOX: (syringes taken from the count, shortfall) for a dose or discard needing `needed`.

    The count never goes below zero: what is not on hand is not taken. The dose or discard
    is still recorded (it happened); the shortfall means the count is wrong and asks for a count.
    """
    if needed < 0:
        raise DoseRuleError("A dose or discard uses syringes; it cannot add them.")
    taken = min(needed, max(on_hand, 0))
    return taken, needed - taken


def count_needed(*, total: int, counted: bool, last_counted_at, last_shortfall_at) -> bool:
    """SUPPLY-BOX: should the person count their syringes? Once a count exists (a pick-up or a
    correction), when the ledger sums below zero (records from before the rule) or a dose or
    discard found too few syringes at or after the last count."""
    if not counted:
        return False
    if total < 0:
        return True
    return last_shortfall_at is not None and (last_counted_at is None or last_shortfall_at >= last_counted_at)


# ---------------------------------------------------------------------------
# TRACE-BATCH: the batch (lot) number and expiry of every box (EU SmPC: for every biologic,
# record the product name and the batch number of what was given, so it can be traced)
# ---------------------------------------------------------------------------

# GS1 Application Identifier (10), the batch/lot on a medicine pack's barcode: at most 20
# characters. Letters, digits and the separators printed on boxes (-, /, .).
BATCH_NUMBER_MAX_CHARS = 20
_BATCH_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/.")
BATCH_NOT_RECORDED = "batch not recorded"  # a dose from a box picked up before batches were recorded


def clean_batch_number(typed: str) -> str:
    """TRACE-BATCH: the lot number as printed, spaces dropped (a box prints "LOT 12 34" or "1234")."""
    text = "".join((typed or "").split())
    if text[:3].upper() == "LOT":  # people copy the label's "LOT" too
        text = text[3:].lstrip(":")
    return text


def batch_number_refusal(batch_number: str) -> str | None:
    """TRACE-BATCH: why a lot number cannot be right, or None (after clean_batch_number)."""
    if not batch_number:
        return "Enter the batch (lot) number printed on the box (after “Lot” or “Batch”)."
    if len(batch_number) > BATCH_NUMBER_MAX_CHARS:
        return (
            f"A batch number has at most {BATCH_NUMBER_MAX_CHARS} characters (it has {len(batch_number)}); "
            "please check it against the box."
        )
    if not set(batch_number) <= _BATCH_CHARACTERS:
        return "A batch number has only letters, digits, “-”, “/” and “.”; please check it against the box."
    return None


def is_expired(expires_on: date, on: date) -> bool:
    """TRACE-BATCH: a box may be used up to and including the expiry date printed on it."""
    return on > expires_on


def expired_box_refusal(*, batch_number: str, expires_on: date | None, on: date) -> str | None:
    """TRACE-BATCH: a dose from a box past its expiry on the day it is given cannot be logged."""
    if expires_on is None or not is_expired(expires_on, on):
        return None
    return (
        f"The box of batch {batch_number} expired on {expires_on:%d %b %Y}, before {on:%d %b %Y}: "
        "do not inject from it. Choose the box the syringe came from, or discard this syringe and "
        "take one from a box that has not expired (TRACE-BATCH)."
    )


def first_expiring_box(boxes, on: date):
    """TRACE-BATCH: which box on hand a syringe comes from by default: the one that expires first
    and has not expired on `on` (first-expiring, first-out). `boxes` have `.batch_expires_on`
    and `.left` (syringes left); None when no such box is on hand."""
    usable = [b for b in boxes if b.left > 0 and not is_expired(b.batch_expires_on, on)]
    return min(usable, key=lambda b: b.batch_expires_on, default=None)
