"""The rules' catalogue (ID, summary, source) and the refusal every rule raises."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


class DoseRuleError(ValueError):
    """A value the rules refuse. The message is written for a parent, not a programmer."""


# The sources' short names (shared/RULES.md) as a patient reads them under "Why?".
SOURCE_NAMES = {
    "DermNet": "DermNet NZ",
    "ACR": "American College of Rheumatology fact sheet",
    "MedlinePlus": "MedlinePlus",
    "label": "US prescribing information (Kineret label)",
    "EU SmPC": "EU product information (Kineret SmPC)",
}


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    source: str

    @property
    def source_words(self) -> str:
        """'MedlinePlus, label' as 'MedlinePlus, US prescribing information (Kineret label)'."""
        return ", ".join(SOURCE_NAMES.get(name.strip(), name.strip()) for name in self.source.split(","))


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
        Rule("TRACE-BATCH", "Record the product and the batch (lot) number of what was given.", "EU SmPC"),
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
        Rule(
            "AE-NEUTROPENIA",
            "Not started with neutrophils below 1.5 x 10^9/L; a low count in treatment goes to the clinician.",
            "EU SmPC",
        ),
        Rule(
            "AE-REPORT",
            "Serious side effects can be reported to the medicines regulator of the patient's country.",
            "MedlinePlus",
        ),
        Rule(
            "AE-OVERDOSE",
            "Overdose: call poison control; collapse or trouble breathing: call the emergency number.",
            "MedlinePlus",
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


def rule_ids_in(texts: Iterable[str]) -> set[str]:
    """The rule IDs mentioned in some texts (used by tests that every ID is covered)."""
    return {rule_id for rule_id in RULES for text in texts if rule_id in text}


# A rule ID as pages cite it: "MISS-NODOUBLE", "DOSE-PED-RANGE" (and the catalogue's one-word IDs).
_RULE_ID = re.compile(r"\b[A-Z]{2,}-[A-Z0-9-]*[A-Z0-9]\b")
_BRACKETS = re.compile(r"\s*\(([^()]*)\)")


def is_rule_id(word: str) -> bool:
    """"MISS-SKIP", "STORE", "TX-HOLD": a word written as a rule ID."""
    return bool(_RULE_ID.fullmatch(word)) or word in RULES


def _is_rule_id(part: str) -> bool:
    """"MISS-SKIP", "STORE", or "AE-LABS / AE-NEUTROPENIA"."""
    return all(is_rule_id(one.strip()) for one in part.split("/"))


def split_rule_ids(text: str) -> tuple[str, tuple[str, ...]]:
    """A sentence with its "(RULE-ID)" citations taken out, and the IDs it cited (issue 16).

    "above 8 mg/kg/day (DOSE-PED-MAX): ..." -> ("above 8 mg/kg/day: ...", ("DOSE-PED-MAX",));
    "(1-2 mg/kg/day, DOSE-PED-START)" keeps "(1-2 mg/kg/day)". Only what is in brackets is
    read, so a rule's message stays written once, in the rules, and a page shows it in plain
    words with the IDs under "Why?".
    """
    cited: list[str] = []

    def strip(match: re.Match) -> str:
        parts = [part.strip() for part in re.split(r"[,;]", match.group(1))]
        kept = [part for part in parts if not _is_rule_id(part)]
        if len(kept) == len(parts):
            return match.group(0)
        cited.extend(one.strip() for part in parts if _is_rule_id(part) for one in part.split("/"))
        space = " " if match.start() > 0 else ""
        return f"{space}({', '.join(kept)})" if kept else ""

    plain = _BRACKETS.sub(strip, text)
    return plain, tuple(dict.fromkeys(cited))


def without_rule_ids(text: str) -> str:
    return split_rule_ids(text)[0]
