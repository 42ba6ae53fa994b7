"""The regimen page's and the calculator's numbers, each with the rule (and its source) it comes from.

The label and value are plain words; the rules go once under the list's "Why?"
(`{% why facts %}`, issue 16), not after every row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from doses.rules import catalogue, dosing, regimen_review

from ..models import Regimen, RegimenProposal
from .advice import Advice

if TYPE_CHECKING:  # the calculator's form is only read here (its parsed dose)
    from ..forms.regimen import CalculatorForm


@dataclass(frozen=True)
class Fact:
    """One number on screen, with the rule (and its source) it comes from."""

    label: str
    value: str
    rule: catalogue.Rule


def _fact(label: str, value: str, rule_id: str) -> Fact:
    return Fact(label, value, catalogue.RULES[rule_id])


def regimen_facts(regimen: Regimen | RegimenProposal) -> list[Fact]:
    """The numbers of one regimen version (or a proposed one), each with its rule ID."""
    facts = []
    if regimen.dose_basis == Regimen.DoseBasis.FIXED_ADULT:
        facts.append(_fact("Daily dose", f"{regimen.daily_dose_mg} mg", "DOSE-ADULT"))
    else:
        facts.append(_fact("Daily dose", f"{regimen.daily_dose_mg} mg", "DOSE-PED-RANGE"))
        facts.append(
            _fact("Worked out from", f"{regimen.mg_per_kg} mg/kg/day × {regimen.weight_kg_basis} kg", "DOSE-PED-RANGE")
        )
        if regimen.needs_override:
            facts.append(_fact("Above the labelled maximum", "8 mg/kg/day", "DOSE-PED-MAX"))
    if regimen.administrations_per_day == 2:
        facts.append(_fact("Each injection", f"2 × {regimen.dose_per_administration_mg} mg", "DOSE-PED-STEP"))
    ml, discard, syringes = dosing.syringe_volumes(regimen.dose_per_administration_mg)
    facts.append(_fact("Volume per injection", f"{ml} mL", "DOSE-SYRINGE"))
    facts.append(_fact("Discard first", f"{discard} mL", "DOSE-SYRINGE"))
    if syringes > 1:
        facts.append(_fact("Syringes per injection", str(syringes), "DOSE-SYRINGE"))
    if regimen.interval_days == 1:
        facts.append(_fact("How often", "every day", "SCHED-DAILY"))
    else:
        facts.append(_fact("How often", "every other day", "SCHED-RENAL"))
    facts.append(_fact("Time of day", f"{', '.join(regimen.times_of_day)} ({regimen.patient.time_zone})", "SCHED-TZ"))
    return facts


def calculator_facts(form: CalculatorForm) -> list[Fact]:
    """The calculator's answer (the form's DOSE-PED-RANGE dose), each number with its rule."""
    dose = form.dose
    facts = [
        _fact("Daily dose", f"{dose.mg} mg ({dose.mg_per_kg} mg/kg/day × {dose.weight_kg} kg)", "DOSE-PED-RANGE"),
        _fact("Where this sits in the range", catalogue.without_rule_ids(dose.band), "DOSE-PED-RANGE"),
    ]
    administrations = form.administrations
    per_injection = regimen_review.split_dose_mg(dose.mg, administrations)
    ml, discard, syringes = dosing.syringe_volumes(per_injection)
    if administrations == 2:
        facts.append(_fact("Each injection", f"2 × {per_injection} mg", "DOSE-PED-STEP"))
    facts += [
        _fact("Volume to inject" + (" (each)" if administrations == 2 else ""), f"{ml} mL", "DOSE-SYRINGE"),
        _fact(
            "Discard before injecting" + (" (each)" if administrations == 2 else ""), f"{discard} mL", "DOSE-SYRINGE"
        ),
        _fact("That volume holds", f"about {dosing.ml_to_mg(ml)} mg", "DOSE-SYRINGE"),
        _fact("Syringes a day", str(syringes * administrations), "PREP-ONCE"),
    ]
    if form.suggestion is not None:
        interval_rule = "SCHED-RENAL" if form.suggestion.interval_days == 2 else "SCHED-DAILY"
        every = "every other day" if form.suggestion.interval_days == 2 else "every day"
        facts.append(_fact("Suggested how often", every, interval_rule))
    return facts


def calculator_warnings(form: CalculatorForm) -> list[Advice]:
    """The dose's warnings (above 8 mg/kg/day, more than a syringe, a tiny volume) in plain words."""
    return [Advice.plain(warning) for warning in form.dose.warnings]
