"""Other medicines, vaccines and the before-you-start checklist (IX-*, PRE-*, AE-INFECTION, AE-ALLERGY).

Plain functions, no ORM. Sources (shared/RULES.md, shared/seeds/):
- DermNet NZ: not with TNF antagonists "such as infliximab, adalimumab and etanercept"
  (more neutropenia and serious infections); no live virus vaccines; children immunised
  against Streptococcus pneumoniae and Haemophilus influenzae before starting;
  contraindicated with hypersensitivity to E. coli-derived proteins; not with severe
  active infection; pregnancy only if the benefit justifies the risk; CAPS: start early.
- MedlinePlus: tell the doctor about etanercept, infliximab and medicines that suppress
  the immune system (azathioprine, cyclosporine, methotrexate, sirolimus, tacrolimus);
  allergies to E. coli proteins or latex; pregnancy and breast-feeding; surgery and
  dental surgery; no vaccination (e.g. measles, flu) without checking with the doctor.
- ACR fact sheet: not at the same time as other biologics; methotrexate is usual with
  anakinra in RA; no live vaccines such as certain influenza vaccines and yellow fever;
  benefit in 4-6 weeks in RA, within hours in autoinflammatory disease.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Category codes match doses.models.MedicineCategory (kept as strings so this module needs no ORM).
TNF = "tnf"
BIOLOGIC = "biologic"
IMMUNO = "immuno"
OTHER = "other"


@dataclass(frozen=True)
class KnownMedicine:
    name: str  # generic name, shown to the user
    category: str
    names: tuple[str, ...]  # generic and brand names, lower case, matched as whole words


def _medicine(name: str, category: str, *brands: str) -> KnownMedicine:
    return KnownMedicine(name, category, tuple(n.lower() for n in (name, *brands)))


MEDICINES: tuple[KnownMedicine, ...] = (
    # IX-TNF: the documents name etanercept, infliximab and adalimumab "such as"; certolizumab
    # and golimumab are the other TNF antagonists on the market, so the class rule covers them.
    # Biosimilars carry a suffix ("adalimumab-atto") and match on the generic word.
    _medicine("etanercept", TNF, "Enbrel", "Erelzi", "Eticovo", "Benepali"),
    _medicine("infliximab", TNF, "Remicade", "Inflectra", "Renflexis", "Avsola", "Zymfentra"),
    _medicine("adalimumab", TNF, "Humira", "Amjevita", "Hadlima", "Hyrimoz", "Cyltezo", "Yusimry", "Idacio"),
    _medicine("certolizumab", TNF, "Cimzia"),
    _medicine("golimumab", TNF, "Simponi"),
    # IX-BIOLOGIC (ACR): "should not be used at the same time as other biologics".
    _medicine("abatacept", BIOLOGIC, "Orencia"),
    _medicine("rituximab", BIOLOGIC, "Rituxan", "MabThera", "Truxima", "Ruxience"),
    _medicine("tocilizumab", BIOLOGIC, "Actemra", "RoActemra", "Tyenne", "Tofidence"),
    _medicine("sarilumab", BIOLOGIC, "Kevzara"),
    _medicine("canakinumab", BIOLOGIC, "Ilaris"),
    _medicine("rilonacept", BIOLOGIC, "Arcalyst"),
    _medicine("ustekinumab", BIOLOGIC, "Stelara"),
    _medicine("secukinumab", BIOLOGIC, "Cosentyx"),
    _medicine("ixekizumab", BIOLOGIC, "Taltz"),
    _medicine("guselkumab", BIOLOGIC, "Tremfya"),
    _medicine("risankizumab", BIOLOGIC, "Skyrizi"),
    _medicine("belimumab", BIOLOGIC, "Benlysta"),
    _medicine("vedolizumab", BIOLOGIC, "Entyvio"),
    _medicine("emapalumab", BIOLOGIC, "Gamifant"),
    # IX-IMMUNO (MedlinePlus names these five); the class "medications that suppress the immune
    # system" also covers mycophenolate and the JAK inhibitors used in RA.
    _medicine("azathioprine", IMMUNO, "Imuran", "Azasan"),
    _medicine("cyclosporine", IMMUNO, "ciclosporin", "Neoral", "Sandimmune", "Gengraf"),
    _medicine("methotrexate", IMMUNO, "Rheumatrex", "Trexall", "Otrexup", "Rasuvo", "Xatmep", "Jylamvo", "MTX"),
    _medicine("sirolimus", IMMUNO, "Rapamune"),
    _medicine("tacrolimus", IMMUNO, "Prograf", "Advagraf", "Envarsus"),
    _medicine("mycophenolate", IMMUNO, "CellCept", "Myfortic"),
    _medicine("tofacitinib", IMMUNO, "Xeljanz"),
    _medicine("baricitinib", IMMUNO, "Olumiant"),
    _medicine("upadacitinib", IMMUNO, "Rinvoq"),
)

ANAKINRA_NAMES = ("anakinra", "kineret")  # the medicine this app tracks, not "another" one

CATEGORY_RULE = {TNF: "IX-TNF", BIOLOGIC: "IX-BIOLOGIC", IMMUNO: "IX-IMMUNO"}

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _matches(text: str, names: tuple[str, ...]) -> bool:
    """Whole-word (or whole-phrase) match, so "Enbrel 50 mg" matches and "methotrexately" does not."""
    words = _words(text)
    joined = " " + " ".join(words) + " "
    return any(f" {' '.join(_words(name))} " in joined for name in names)


def medicine_names() -> list[str]:
    """Suggestions for the medicine name field."""
    return sorted(m.name for m in MEDICINES)


def is_anakinra(name: str) -> bool:
    return _matches(name, ANAKINRA_NAMES)


@dataclass(frozen=True)
class MedicineAdvice:
    category: str
    matched: str  # the generic name recognised, or ""
    rule_id: str  # "" for an ordinary medicine
    level: str  # "danger", "warning" or "info" (Bootstrap alert colours)
    message: str
    flag_clinician: bool


_GENERAL_NOTE = (
    "Keep a written list of every medicine, vitamin and supplement, and tell your doctor and pharmacist about "
    "each one (MedlinePlus)."
)


def classify_medicine(name: str, chosen_category: str = "") -> MedicineAdvice:
    """IX-TNF / IX-BIOLOGIC / IX-IMMUNO: what a medicine taken with anakinra means.

    A name on the list decides the category; otherwise the category the person chose is
    used. The name wins even over a chosen "other", because a wrong choice must not hide
    an interaction.
    """
    known = next((m for m in MEDICINES if _matches(name, m.names)), None)
    category = known.category if known else (chosen_category or OTHER)
    matched = known.name if known else ""
    what = matched or name.strip()
    if category == TNF:
        # IX-TNF (DermNet, MedlinePlus)
        return MedicineAdvice(
            TNF,
            matched,
            "IX-TNF",
            "danger",
            f"{what} is a TNF blocker. Anakinra should not be used together with TNF blockers (such as etanercept, "
            "infliximab or adalimumab): the combination caused more neutropenia (low white cells) and more serious "
            "infections (IX-TNF). Do not stop or start either medicine on your own: talk to your doctor now. "
            "Your care team has been flagged.",
            True,
        )
    if category == BIOLOGIC:
        # IX-BIOLOGIC (ACR)
        return MedicineAdvice(
            BIOLOGIC,
            matched,
            "IX-BIOLOGIC",
            "danger",
            f"{what} is a biologic medicine. Anakinra should not be used at the same time as other biologics, "
            "because together they increase the risk of infection (IX-BIOLOGIC). Talk to your doctor before the "
            "next dose of either. Your care team has been flagged.",
            True,
        )
    if category == IMMUNO:
        # IX-IMMUNO (MedlinePlus, ACR)
        note = (
            " With rheumatoid arthritis, methotrexate together with anakinra is usual (ACR)."
            if matched == "methotrexate"
            else ""
        )
        return MedicineAdvice(
            IMMUNO,
            matched,
            "IX-IMMUNO",
            "warning",
            f"{what} suppresses the immune system. Tell your doctor you take it with anakinra: they may change the "
            f"doses or check you more closely for side effects (IX-IMMUNO).{note}",
            False,
        )
    return MedicineAdvice(OTHER, matched, "", "info", _GENERAL_NOTE, False)


# ---------------------------------------------------------------------------
# Vaccines (IX-LIVE-VACCINE, PRE-CHILD-VACCINE)
# ---------------------------------------------------------------------------

LIVE = "live"
NOT_LIVE = "not_live"
DEPENDS = "depends"  # some forms are live, some are not: ask


@dataclass(frozen=True)
class KnownVaccine:
    name: str
    kind: str  # LIVE, NOT_LIVE or DEPENDS
    names: tuple[str, ...]
    covers: frozenset[str] = field(default_factory=frozenset)  # "pneumococcal", "hib" (PRE-CHILD-VACCINE)
    note: str = ""


def _vaccine(name: str, kind: str, *aliases: str, covers: tuple[str, ...] = (), note: str = "") -> KnownVaccine:
    return KnownVaccine(name, kind, tuple(a.lower() for a in (name, *aliases)), frozenset(covers), note)


# Order matters: the first match wins, so specific names ("nasal flu") come before general ones ("flu").
VACCINES: tuple[KnownVaccine, ...] = (
    # IX-LIVE-VACCINE: live vaccines. The documents name measles, yellow fever and "certain forms of
    # the influenza vaccine"; the others are the live attenuated vaccines in routine and travel use.
    _vaccine("Live nasal flu vaccine (LAIV)", LIVE, "FluMist", "Fluenz", "LAIV", "nasal flu", "nasal spray flu"),
    _vaccine("MMR (measles, mumps, rubella)", LIVE, "MMR", "measles", "mumps", "rubella", "MMRV", "ProQuad", "Priorix"),
    _vaccine("Yellow fever", LIVE, "YF-Vax", "Stamaril", "yellow fever"),
    _vaccine("Chickenpox (varicella)", LIVE, "varicella", "chickenpox", "chicken pox", "Varivax", "Varilrix"),
    _vaccine("Shingles, live (Zostavax)", LIVE, "Zostavax"),
    _vaccine("BCG (tuberculosis)", LIVE, "BCG", "tuberculosis", "TB vaccine"),
    _vaccine("Oral typhoid", LIVE, "Vivotif", "Ty21a", "oral typhoid"),
    _vaccine("Rotavirus", LIVE, "Rotarix", "RotaTeq", "rotavirus"),
    _vaccine("Oral polio (OPV)", LIVE, "OPV", "oral polio"),
    _vaccine("Oral cholera, live (Vaxchora)", LIVE, "Vaxchora"),
    _vaccine("Dengue (Dengvaxia, Qdenga)", LIVE, "Dengvaxia", "Qdenga", "dengue"),
    _vaccine("Smallpox, live (ACAM2000)", LIVE, "ACAM2000"),
    _vaccine("Chikungunya, live (Ixchiq)", LIVE, "Ixchiq"),
    _vaccine("Japanese encephalitis, live (Imojev)", LIVE, "Imojev"),
    _vaccine("Ebola (Ervebo)", LIVE, "Ervebo"),
    # PRE-CHILD-VACCINE: not live, and wanted before starting in children.
    _vaccine(
        "Pneumococcal",
        NOT_LIVE,
        "pneumococcal",
        "Prevnar",
        "Prevenar",
        "Vaxneuvance",
        "Capvaxive",
        "Pneumovax",
        "PCV13",
        "PCV15",
        "PCV20",
        "PCV21",
        "PPSV23",
        "PCV",
        covers=("pneumococcal",),
    ),
    _vaccine(
        "Hib (Haemophilus influenzae type b)",
        NOT_LIVE,
        "Hib",
        "ActHIB",
        "Hiberix",
        "PedvaxHIB",
        "haemophilus",
        "hemophilus",
        "Pentacel",
        "Vaxelis",
        "Infanrix hexa",
        "Hexyon",
        "hexavalent",
        "6 in 1",
        covers=("hib",),
    ),
    # The injected forms of vaccines that also come in a live form (before the general names below).
    _vaccine(
        "Flu injection (not live)",
        NOT_LIVE,
        "flu shot",
        "flu jab",
        "flu injection",
        "influenza injection",
        "inactivated influenza",
        "Fluzone",
        "Flucelvax",
        "Fluad",
        "Flublok",
    ),
    _vaccine("Typhoid injection (not live)", NOT_LIVE, "Typhim", "typhoid injection", "typhoid shot"),
    _vaccine("Polio injection (IPV, not live)", NOT_LIVE, "IPV", "Ipol", "polio injection"),
    _vaccine("Shingrix (shingles, not live)", NOT_LIVE, "Shingrix"),
    # Names that are live in one form and not in another: the person is asked.
    _vaccine(
        "Flu (influenza)",
        DEPENDS,
        "flu",
        "influenza",
        note="The flu injection is not live; the nasal spray flu vaccine (FluMist/Fluenz) is live.",
    ),
    _vaccine(
        "Typhoid",
        DEPENDS,
        "typhoid",
        note="The typhoid injection is not live; the oral typhoid capsules (Vivotif) are live.",
    ),
    _vaccine(
        "Polio",
        DEPENDS,
        "polio",
        note="The polio injection (IPV) is not live; oral polio drops (OPV) are live.",
    ),
    _vaccine(
        "Shingles (zoster)",
        DEPENDS,
        "shingles",
        "zoster",
        note="Shingrix is not live; the older Zostavax is live.",
    ),
    _vaccine("Cholera", DEPENDS, "cholera", note="Vaxchora (oral) is live; Dukoral is not."),
    # Common vaccines that are not live.
    _vaccine("COVID-19", NOT_LIVE, "covid", "covid-19", "coronavirus", "Comirnaty", "Spikevax", "Novavax"),
    _vaccine("Tetanus, diphtheria, pertussis", NOT_LIVE, "tetanus", "Tdap", "DTaP", "Td", "diphtheria", "pertussis"),
    _vaccine("Hepatitis A or B", NOT_LIVE, "hepatitis", "hep a", "hep b", "Engerix", "Havrix", "Twinrix", "Heplisav"),
    _vaccine("HPV", NOT_LIVE, "HPV", "Gardasil", "Cervarix"),
    _vaccine("Meningococcal", NOT_LIVE, "meningococcal", "MenACWY", "MenB", "Bexsero", "Trumenba", "Menveo"),
    _vaccine("RSV", NOT_LIVE, "RSV", "Arexvy", "Abrysvo", "mResvia"),
    _vaccine("Rabies", NOT_LIVE, "rabies"),
)

IS_LIVE_ANSWERS = [("unsure", "I am not sure"), ("yes", "Yes, it was a live vaccine"), ("no", "No, it was not live")]


def vaccine_names() -> list[str]:
    return [v.name for v in VACCINES]


@dataclass(frozen=True)
class VaccineAdvice:
    matched: str
    is_live: bool  # what is stored: True when live, or when it may be live and nobody knows (conservative)
    certain: bool  # False when the answer rests on "not sure"
    covers: frozenset[str]
    level: str
    message: str
    rule_ids: tuple[str, ...]


_LIVE_WARNING = (
    "Live vaccines should not be given while on anakinra (IX-LIVE-VACCINE: for example measles, yellow fever and "
    "the nasal spray flu vaccine). Tell your doctor now that this vaccine was given; before any future vaccination, "
    "check with your doctor first. Your care team has been flagged."
)


# IX-LIVE-VACCINE: the log holds vaccinations given; one still to come is a question for the
# doctor first (the form shows this on its field, the service says it again).
PLANNED_VACCINATION_REFUSAL = (
    "Only vaccinations already given can be logged. Before a planned vaccination, check with your doctor "
    "(IX-LIVE-VACCINE)."
)


def classify_vaccine(name: str, is_live_answer: str = "unsure") -> VaccineAdvice:
    """IX-LIVE-VACCINE: is this vaccine live, and what to say about it.

    The catalogue decides when it knows; for names that are live in one form only (flu,
    typhoid, polio, shingles, cholera) and for unknown names the person's answer decides,
    and "not sure" counts as live so that the care team checks (a false alarm is cheaper
    than a missed live vaccine).
    """
    known = next((v for v in VACCINES if _matches(name, v.names)), None)
    matched = known.name if known else ""
    covers = known.covers if known else frozenset()
    rule_ids: list[str] = ["IX-LIVE-VACCINE"]
    if covers:
        rule_ids.append("PRE-CHILD-VACCINE")
    if known and known.kind == LIVE:
        return VaccineAdvice(
            matched, True, True, covers, "danger", f"{matched} is a live vaccine. {_LIVE_WARNING}", tuple(rule_ids)
        )
    if known and known.kind == NOT_LIVE:
        return VaccineAdvice(
            matched,
            False,
            True,
            covers,
            "info",
            f"{matched} is not a live vaccine. Still, check with your doctor before any vaccination while on "
            "anakinra (IX-LIVE-VACCINE).",
            tuple(rule_ids),
        )
    # DEPENDS, or not on the list: the answer decides.
    note = f" {known.note}" if known and known.note else ""
    if is_live_answer == "no":
        return VaccineAdvice(
            matched,
            False,
            True,
            covers,
            "info",
            f"Recorded as not live.{note} Check with your doctor before any vaccination while on anakinra "
            "(IX-LIVE-VACCINE).",
            tuple(rule_ids),
        )
    if is_live_answer == "yes":
        return VaccineAdvice(
            matched, True, True, covers, "danger", f"Recorded as a live vaccine.{note} {_LIVE_WARNING}", tuple(rule_ids)
        )
    return VaccineAdvice(
        matched,
        True,
        False,
        covers,
        "danger",
        f"We cannot tell whether this vaccine was live.{note} Because live vaccines should not be given on anakinra, "
        "it is recorded as possibly live and your care team has been flagged to check (IX-LIVE-VACCINE).",
        tuple(rule_ids),
    )


# ---------------------------------------------------------------------------
# Before you start (AE-INFECTION, AE-ALLERGY, PRE-PREGNANCY, PRE-CHILD-VACCINE, PRE-SURGERY, ONSET, CAPS-EARLY)
# ---------------------------------------------------------------------------


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
