"""Side-effect catalogue and triage: what to do about a symptom (AE-* rules).

Plain functions, no ORM. Sources (shared/RULES.md, shared/seeds/):
- MedlinePlus (medlineplus-anakinra.txt): "Tell your doctor if any of these symptoms are
  severe or do not go away" (redness, swelling, bruising or pain at the site, headache,
  nausea, diarrhea, runny nose, stomach pain) and "call your doctor immediately" (rash;
  flu-like symptoms; fever, sore throat, chills, other signs of infection; coughing,
  wheezing, chest pain; hot, red, swollen area on the skin); report serious side effects
  (MedWatch); overdose: poison control, the emergency number for collapse, seizure, trouble
  breathing or cannot wake up. MedlinePlus gives US numbers; the numbers said here are the
  patient's country's (rules/emergency_numbers.py), passed in as `numbers`.
- ACR fact sheet (acr-anakinra-fact-sheet.txt): site reactions "such as redness, itching,
  rash and pain" usually stop after 1-2 weeks; see your provider if you develop a fever.
- DermNet NZ (dermnet-anakinra.txt): >5 % headache, nausea, diarrhoea, sinusitis,
  influenza-like symptoms, abdominal pain; serious infections such as cellulitis; severe
  hypersensitivity: stop anakinra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from . import symptom_text
from .rules import emergency_numbers
from .rules.emergency_numbers import EmergencyNumbers

EMERGENCY = "emergency"
CALL_DOCTOR_NOW = "call_doctor_now"
TELL_DOCTOR_IF_PERSISTS = "tell_doctor_if_persists"
LEVELS = (EMERGENCY, CALL_DOCTOR_NOW, TELL_DOCTOR_IF_PERSISTS)

SEVERITIES = ("mild", "moderate", "severe")  # doses.models.Severity values
OTHER = "other"
MAX_DESCRIPTION_CHARS = 500  # SideEffect.description


class UnknownSymptom(ValueError):
    """A symptom code that is not in the catalogue."""


@dataclass(frozen=True)
class Symptom:
    code: str
    label: str
    level: str  # the level before severity and free text are considered
    rule_ids: tuple[str, ...]
    source: str
    site_reaction: bool = False  # always an injection-site reaction (AE-ISR-DURATION applies)
    may_be_site_reaction: bool = False  # a site reaction when linked to an injection


_SITE_COMMON = ("AE-COMMON", "AE-ISR-DURATION")

SYMPTOMS: dict[str, Symptom] = {
    s.code: s
    for s in [
        # AE-COMMON: injection-site reactions (ACR, MedlinePlus, DermNet "ISRs").
        Symptom(
            "site_redness", "Redness where I injected", TELL_DOCTOR_IF_PERSISTS, _SITE_COMMON, "ACR, MedlinePlus", True
        ),
        Symptom("site_itching", "Itching where I injected", TELL_DOCTOR_IF_PERSISTS, _SITE_COMMON, "ACR", True),
        Symptom(
            "site_swelling", "Swelling where I injected", TELL_DOCTOR_IF_PERSISTS, _SITE_COMMON, "MedlinePlus", True
        ),
        Symptom(
            "site_bruising",
            "Bruising or bleeding where I injected",
            TELL_DOCTOR_IF_PERSISTS,
            _SITE_COMMON,
            "ACR, MedlinePlus",
            True,
        ),
        Symptom("site_pain", "Pain where I injected", TELL_DOCTOR_IF_PERSISTS, _SITE_COMMON, "ACR, MedlinePlus", True),
        # AE-COMMON: general (MedlinePlus; DermNet >5 % versus placebo).
        Symptom("headache", "Headache", TELL_DOCTOR_IF_PERSISTS, ("AE-COMMON",), "ACR, MedlinePlus, DermNet"),
        Symptom("nausea", "Nausea (feeling sick)", TELL_DOCTOR_IF_PERSISTS, ("AE-COMMON",), "MedlinePlus, DermNet"),
        Symptom("diarrhoea", "Diarrhoea", TELL_DOCTOR_IF_PERSISTS, ("AE-COMMON",), "MedlinePlus, DermNet"),
        Symptom(
            "runny_nose", "Runny nose or sinusitis", TELL_DOCTOR_IF_PERSISTS, ("AE-COMMON",), "MedlinePlus, DermNet"
        ),
        Symptom("stomach_pain", "Stomach pain", TELL_DOCTOR_IF_PERSISTS, ("AE-COMMON",), "MedlinePlus, DermNet"),
        # Rash and flu-like symptoms are on BOTH lists: ACR calls a rash at the site common
        # and DermNet lists influenza-like symptoms among the >5 % events, but MedlinePlus
        # says to call the doctor immediately for either. A parent cannot tell a harmless
        # rash from the start of an allergy or an infection, so we take the stricter reading
        # and treat both as serious (AE-SERIOUS), even when the rash is at the site.
        Symptom(
            "rash",
            "Rash (anywhere, including where I injected)",
            CALL_DOCTOR_NOW,
            ("AE-SERIOUS", "AE-COMMON"),
            "MedlinePlus, ACR",
            may_be_site_reaction=True,
        ),
        Symptom(
            "flu_like",
            "Flu-like symptoms (aches, tiredness, feeling feverish)",
            CALL_DOCTOR_NOW,
            ("AE-SERIOUS", "AE-COMMON", "AE-INFECTION"),
            "MedlinePlus, DermNet",
        ),
        # AE-SERIOUS / AE-INFECTION: signs of infection (MedlinePlus; ACR "if you develop a fever").
        Symptom(
            "fever", "Fever (high temperature)", CALL_DOCTOR_NOW, ("AE-SERIOUS", "AE-INFECTION"), "MedlinePlus, ACR"
        ),
        Symptom(
            "infection",
            "Sore throat, chills or other signs of infection",
            CALL_DOCTOR_NOW,
            ("AE-SERIOUS", "AE-INFECTION"),
            "MedlinePlus, ACR, DermNet",
        ),
        Symptom(
            "cough_wheeze_chest",
            "Cough, wheezing or chest pain",
            CALL_DOCTOR_NOW,
            ("AE-SERIOUS", "AE-INFECTION"),
            "MedlinePlus, DermNet (pneumonia)",
        ),
        Symptom(
            "hot_red_swollen_skin",
            "A hot, red, swollen area of skin (possible cellulitis)",
            CALL_DOCTOR_NOW,
            ("AE-SERIOUS", "AE-INFECTION"),
            "MedlinePlus, DermNet (cellulitis)",
            may_be_site_reaction=True,
        ),
        # AE-ALLERGY: severe hypersensitivity — stop and seek emergency care (DermNet, MedlinePlus).
        Symptom(
            "allergic_reaction",
            "Severe allergic reaction: swelling of the face, lips or throat, or trouble breathing",
            EMERGENCY,
            ("AE-ALLERGY", "AE-SERIOUS"),
            "DermNet, MedlinePlus",
        ),
        # AE-OVERDOSE (MedlinePlus "In case of emergency/overdose").
        Symptom(
            "collapse",
            "Collapsed, had a seizure, or cannot be woken up",
            EMERGENCY,
            ("AE-OVERDOSE", "AE-SERIOUS"),
            "MedlinePlus",
        ),
        Symptom("overdose", "Took too much (more than prescribed)", CALL_DOCTOR_NOW, ("AE-OVERDOSE",), "MedlinePlus"),
        # MedlinePlus: "Call your doctor if you have any unusual problems while using this medicine."
        Symptom(OTHER, "Something else (describe it)", TELL_DOCTOR_IF_PERSISTS, ("AE-COMMON",), "MedlinePlus"),
    ]
}


def symptom_choices() -> list[tuple[str, str]]:
    return [(s.code, s.label) for s in SYMPTOMS.values()]


def get_symptom(code: str) -> Symptom:
    try:
        return SYMPTOMS[code]
    except KeyError:
        raise UnknownSymptom(f"“{code}” is not a symptom on the list. Choose one, or “Something else”.") from None


# Free text is read by meaning in doses/symptom_text.py (synonyms, word order, plurals,
# misspellings, temperatures, negations): each sign read there counts as a symptom of this
# catalogue, with that symptom's level and rule IDs, exactly as if it had been chosen from
# the list. Overdose words stay a plain phrase list: they are instructions, not symptoms.
_OVERDOSE_PHRASES = (  # AE-OVERDOSE (poison control)
    r"overdose",
    r"too much",
    r"double dose",
    r"two doses",
    r"2 doses",
    r"extra dose",
    r"injected twice",
    r"took twice",
    r"given twice",
)


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")", re.IGNORECASE)


_OVERDOSE_RE = _phrase_pattern(_OVERDOSE_PHRASES)


def _normalise(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


@dataclass(frozen=True)
class Triage:
    level: str  # one of LEVELS
    headline: str
    instructions: tuple[str, ...]
    rule_ids: tuple[str, ...]
    alert_care_team: bool
    matched_words: tuple[str, ...] = ()  # free-text words that raised the level
    overdose: bool = False  # AE-OVERDOSE: poison control applies
    # What the description was read as (doses/symptom_text.py), for the page to show.
    findings: tuple[symptom_text.Finding, ...] = ()
    set_aside: tuple[symptom_text.Finding, ...] = ()  # signs the description says are absent
    temperatures: tuple[symptom_text.Temperature, ...] = ()

    @property
    def is_serious(self) -> bool:
        return self.level in (EMERGENCY, CALL_DOCTOR_NOW)

    @property
    def is_emergency(self) -> bool:
        return self.level == EMERGENCY

    @property
    def alert_rule_id(self) -> str:
        """The rule a care-team alert cites: AE-SERIOUS first, then AE-OVERDOSE, else AE-COMMON (severe)."""
        for rule_id in ("AE-SERIOUS", "AE-OVERDOSE"):
            if rule_id in self.rule_ids:
                return rule_id
        return "AE-COMMON"


def _report(numbers: EmergencyNumbers) -> str:
    """AE-REPORT: where a serious side effect can be reported, in the patient's country."""
    where = numbers.reporting_words
    reporting = numbers.reporting
    if reporting and reporting.url and reporting.phone:
        where += f": {reporting.url} or {reporting.phone.number}"
    elif reporting and reporting.url:
        where += f": {reporting.url}"
    return f"You or your doctor can report a serious side effect to {where} (AE-REPORT)."


def _emergency_call(numbers: EmergencyNumbers) -> str:
    return (
        f"Call {numbers.emergency_number} now if the person has collapsed, had a seizure, "
        "has trouble breathing, or cannot be woken up (AE-OVERDOSE)."
    )


def triage(
    symptom_code: str,
    severity: str = "mild",
    free_text: str = "",
    *,
    numbers: EmergencyNumbers = emergency_numbers.UNKNOWN,
) -> Triage:
    """What to do about a symptom (AE-COMMON, AE-SERIOUS, AE-ALLERGY, AE-OVERDOSE, AE-INFECTION, AE-REPORT).

    The catalogue gives a starting level; a severe common symptom moves up to "call the
    doctor" (AE-COMMON: tell the doctor if severe); words in the free text can only raise
    the level, never lower it. `numbers` are the patient's country's (Patient.emergency_numbers);
    without them the advice names no number ("your local emergency number").
    """
    symptom = get_symptom(symptom_code)
    if severity not in SEVERITIES:
        raise ValueError(f"Unknown severity “{severity}”.")
    text = _normalise(free_text or "")
    reading = symptom_text.read_description(text)
    # AE-SERIOUS, AE-INFECTION, AE-ALLERGY, AE-OVERDOSE: a sign in the text counts as the
    # catalogue symptom it names, with that symptom's level and rule IDs.
    read_as = [(finding, SYMPTOMS[finding.counts_as]) for finding in reading.findings]
    overdose_words = tuple(m.group(0).lower() for m in _OVERDOSE_RE.finditer(text))
    rule_ids = list(symptom.rule_ids)
    overdose = symptom.code == "overdose" or bool(overdose_words)

    def add(*ids: str) -> None:
        rule_ids.extend(i for i in ids if i not in rule_ids)

    emergency_words = tuple(f.words for f, s in read_as if s.level == EMERGENCY)
    serious_words = tuple(f.words for f, s in read_as if s.level == CALL_DOCTOR_NOW)
    for _finding, read in read_as:
        if read.level != TELL_DOCTOR_IF_PERSISTS:
            add(*read.rule_ids)
    if symptom.level == EMERGENCY or emergency_words:
        level, matched = EMERGENCY, emergency_words + serious_words
    elif overdose or symptom.level == CALL_DOCTOR_NOW or serious_words or severity == "severe":
        level, matched = CALL_DOCTOR_NOW, overdose_words + serious_words
    else:
        level, matched = TELL_DOCTOR_IF_PERSISTS, ()

    if level == EMERGENCY:
        add("AE-OVERDOSE", "AE-SERIOUS")
        allergy = "AE-ALLERGY" in rule_ids  # the allergic reaction, chosen or read in the text
        instructions = [
            f"Call {numbers.emergency_number} now: trouble breathing, collapse, a seizure "
            "or not waking up need emergency care straight away (AE-OVERDOSE)."
        ]
        if allergy:
            add("AE-ALLERGY")
            instructions.append(
                "A severe allergic reaction means: do not inject any more anakinra, and get emergency care now "
                "(AE-ALLERGY)."
            )
        if overdose:
            instructions.append(f"For an overdose, call {numbers.poison_words} (AE-OVERDOSE).")
        instructions += ["Then tell the doctor who prescribes anakinra.", _report(numbers)]
        add("AE-REPORT")
        headline = f"Emergency: call {numbers.emergency_number} now"
    elif level == CALL_DOCTOR_NOW:
        instructions = []
        if overdose:
            add("AE-OVERDOSE")
            instructions.append(f"Call {numbers.poison_words} now (AE-OVERDOSE).")
        if "AE-SERIOUS" in rule_ids:
            instructions.append(
                "Call your doctor now: the patient information says to call immediately for a rash, flu-like "
                "symptoms, fever, sore throat, chills or other signs of infection, cough, wheezing or chest pain, "
                "or a hot, red, swollen area of skin (AE-SERIOUS)."
            )
        elif not overdose:
            instructions.append(
                "This is a common side effect, but it is severe: call your doctor today "
                "(AE-COMMON: tell the doctor if a side effect is severe)."
            )
        if "AE-INFECTION" in rule_ids:
            instructions.append(
                "Anakinra makes infections more likely. Ask the doctor whether to give the next dose: they may "
                "pause anakinra and start antibiotics (AE-INFECTION)."
            )
        instructions.append(_emergency_call(numbers))
        instructions.append(_report(numbers))
        add("AE-REPORT")
        if overdose and "AE-SERIOUS" in rule_ids:
            headline = "Call poison control and your doctor now"
        elif overdose:
            headline = "Call poison control now"
        else:
            headline = "Call your doctor now"
    else:
        instructions = [
            "This is a common side effect of anakinra. Tell your doctor if it becomes severe or does not go away "
            "(AE-COMMON)."
        ]
        if symptom.site_reaction or symptom.may_be_site_reaction:
            instructions.append(
                "Injection-site reactions usually settle within 1-2 weeks. If it lasts longer than 2 weeks we will "
                "flag it to your care team (AE-ISR-DURATION). Use a different spot for the next injection (SITE-ROTATE)."
            )
        if symptom.code == OTHER:
            instructions[0] = "Call your doctor about any unusual problem while using anakinra (AE-COMMON)."
        instructions.append(_emergency_call(numbers))
        headline = "Tell your doctor if it gets worse or does not go away"
    return Triage(
        level=level,
        headline=headline,
        instructions=tuple(instructions),
        rule_ids=tuple(rule_ids),
        alert_care_team=level != TELL_DOCTOR_IF_PERSISTS,
        matched_words=tuple(dict.fromkeys(matched)),
        overdose=overdose,
        findings=reading.findings,
        set_aside=reading.set_aside,
        temperatures=reading.temperatures,
    )


ISR_USUAL_DURATION = timedelta(days=14)  # AE-ISR-DURATION: "usually stop after 1-2 weeks" (ACR)


def is_persistent_site_reaction(started_on: date, today: date) -> bool:
    """AE-ISR-DURATION: an injection-site reaction still open more than 2 weeks after it started."""
    return (today - started_on) > ISR_USUAL_DURATION


# AE-ALLERGY (DermNet: "severe hypersensitivity: stop anakinra"; MedlinePlus: stop and seek
# care): which logged symptoms put treatment on hold by themselves, pending a clinician.
# Precisely: the catalogue's severe allergic reaction (at any severity: the symptom is the
# severe one), anaphylaxis or a swelling face, lips, tongue or throat in the free text, or
# trouble breathing linked to an injection, or an allergy / hives logged as severe.
_ALLERGY_WORDS_RE = _phrase_pattern((r"allerg", r"anaphyla", r"hives\b"))


def holds_treatment_for_allergy(
    result: Triage, *, symptom_code: str, severity: str, free_text: str = "", linked_to_injection: bool = False
) -> bool:
    """AE-ALLERGY: does this logged symptom start a hold of treatment pending a clinician's review?"""
    if "AE-ALLERGY" in result.rule_ids:  # the allergic-reaction symptom, anaphylaxis, a swelling face or throat
        return True
    if linked_to_injection and result.is_emergency:
        if any(f.sign.code in symptom_text.BREATHING_SIGNS for f in result.findings):
            return True  # trouble breathing after an injection
    return severity == "severe" and bool(_ALLERGY_WORDS_RE.search(_normalise(free_text or "")))
