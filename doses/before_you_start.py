"""Before you start (AE-INFECTION, AE-ALLERGY, PRE-PREGNANCY, PRE-CHILD-VACCINE, PRE-SURGERY, ONSET,
CAPS-EARLY): the baseline checklist, its findings and the onset notes. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistItem:
    rule_id: str
    question: str
    why: str
    source: str


CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "AE-INFECTION",
        "Does the patient have an infection now (fever, a wound that is not healing, a chest or urine infection)?",
        "Anakinra is not recommended with a severe active infection, and it makes infections more likely.",
        "DermNet, ACR, MedlinePlus",
    ),
    ChecklistItem(
        "AE-ALLERGY",
        "Is the patient allergic to proteins made in E. coli bacteria, or to anakinra?",
        "Anakinra is made in E. coli; a known allergy to E. coli-derived proteins means it must not be used.",
        "DermNet, MedlinePlus",
    ),
    ChecklistItem(
        "AE-ALLERGY",
        "Is the patient allergic to latex?",
        "Tell the doctor and pharmacist about a latex allergy before using the syringes.",
        "MedlinePlus",
    ),
    ChecklistItem(
        "PRE-PREGNANCY",
        "Is the patient pregnant, planning a pregnancy, or breast-feeding?",
        "In pregnancy anakinra is used only if the benefit justifies the risk; breast-feeding must be discussed "
        "with the doctor.",
        "DermNet, MedlinePlus",
    ),
    ChecklistItem(
        "PRE-CHILD-VACCINE",
        "Child: vaccinated against Streptococcus pneumoniae (pneumococcal) and Haemophilus influenzae (Hib)?",
        "Children should be immunised against both before starting; very young children may also be given "
        "antibiotics to prevent infection.",
        "DermNet",
    ),
)

INFORMATION: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "PRE-SURGERY",
        "Surgery or dental work",
        "Tell any surgeon or dentist that you use anakinra before an operation, including dental surgery.",
        "MedlinePlus",
    ),
    ChecklistItem(
        "IX-LIVE-VACCINE",
        "Vaccines",
        "No live vaccines while on anakinra; check with your doctor before any vaccination.",
        "DermNet, ACR, MedlinePlus",
    ),
    ChecklistItem(
        "AE-LABS",
        "Blood tests",
        "Your doctor orders blood tests (neutrophil counts) before and during treatment: keep every lab appointment.",
        "DermNet, MedlinePlus, label",
    ),
    ChecklistItem(
        "STORE",
        "Storage",
        "Keep the syringes in the fridge, do not freeze, protect from light, and keep them out of reach of children.",
        "MedlinePlus",
    ),
)

ONSET_RA = "In rheumatoid arthritis anakinra usually helps within 4 to 6 weeks (ONSET)."
ONSET_AUTOINFLAMMATORY = "In autoinflammatory diseases anakinra may start to help within hours (ONSET)."
CAPS_EARLY = (
    "In CAPS, anakinra should be started as early in life as possible to limit lasting nerve damage, and treatment "
    "is usually lifelong (CAPS-EARLY)."
)


def onset_notes(indication: str) -> list[str]:
    """ONSET and CAPS-EARLY for a patient's indication (codes of companion.models.Indication)."""
    if indication == "RA":
        return [ONSET_RA]
    notes = [ONSET_AUTOINFLAMMATORY] if indication in ("CAPS", "DIRA", "STILL", "OTHER_AI") else []
    if indication == "CAPS":
        notes.append(CAPS_EARLY)
    return notes


@dataclass(frozen=True)
class BaselineFinding:
    rule_id: str
    level: str  # "danger" (do not start without the doctor) or "warning" (tell the doctor)
    message: str


def baseline_findings(
    *,
    active_infection: bool,
    ecoli_protein_allergy: bool,
    latex_allergy: bool,
    pregnant_or_breastfeeding: bool,
    is_child: bool,
    pneumococcal_vaccinated: bool | None,
    hib_vaccinated: bool | None,
) -> list[BaselineFinding]:
    """What the before-you-start answers mean, most urgent first."""
    findings: list[BaselineFinding] = []
    if ecoli_protein_allergy:
        findings.append(
            BaselineFinding(
                "AE-ALLERGY",
                "danger",
                "An allergy to E. coli-derived proteins means anakinra must not be used (AE-ALLERGY). "
                "Do not start it: talk to your doctor.",
            )
        )
    if active_infection:
        findings.append(
            BaselineFinding(
                "AE-INFECTION",
                "danger",
                "Anakinra is not recommended with a severe active infection (AE-INFECTION). Tell your doctor before "
                "the first dose; they may wait until the infection has cleared.",
            )
        )
    if latex_allergy:
        findings.append(
            BaselineFinding(
                "AE-ALLERGY", "warning", "Tell your doctor and pharmacist about the latex allergy (AE-ALLERGY)."
            )
        )
    if pregnant_or_breastfeeding:
        findings.append(
            BaselineFinding(
                "PRE-PREGNANCY",
                "warning",
                "Pregnancy or breast-feeding: anakinra is used in pregnancy only if the benefit justifies the risk, "
                "and breast-feeding should be discussed with your doctor (PRE-PREGNANCY). If you become pregnant "
                "while using anakinra, call your doctor.",
            )
        )
    if is_child:
        missing = [
            label
            for label, done in (("pneumococcal", pneumococcal_vaccinated), ("Hib", hib_vaccinated))
            if done is not True
        ]
        if missing:
            findings.append(
                BaselineFinding(
                    "PRE-CHILD-VACCINE",
                    "warning",
                    f"Not confirmed: {' and '.join(missing)} vaccination. Children should be immunised against "
                    "Streptococcus pneumoniae and Haemophilus influenzae before starting anakinra; ask the doctor "
                    "about it, and whether antibiotics to prevent infection are needed (PRE-CHILD-VACCINE).",
                )
            )
    return findings
