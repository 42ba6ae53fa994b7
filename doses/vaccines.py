"""Vaccines and anakinra (IX-LIVE-VACCINE, PRE-CHILD-VACCINE): is a vaccine, as named, live?

Pure: no Django. A name says what it is (a live product, "live", "attenuated"; or inactivated,
recombinant, subunit, toxoid, conjugate, polysaccharide, mRNA, "not live"); then the catalogue;
then the drug dictionary's description of a brand (doses/medicines.py), read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .medicines import NAME_TOKEN, dictionary_matches, name_words, names_match

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
    reason: str = ""  # why: "the name says “inactivated”", "Stamaril is a live vaccine", "your answer"


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


# IX-LIVE-VACCINE: words of a vaccine's name that say what kind it is. A name that says
# inactivated, recombinant, subunit, toxoid, conjugate or mRNA is not live ("Influenza vaccine
# (inactivated)", "recombinant zoster vaccine"); one that says live or attenuated is live.
NOT_LIVE_WORDS = frozenset(
    {"inactivated", "inactive", "recombinant", "subunit", "toxoid", "conjugate", "conjugated", "mrna", "polysaccharide"}
)
LIVE_WORDS = frozenset({"live", "attenuated"})
_NEGATED_LIVE = re.compile(r"\b(?:not|non|no)[\s-]*live\b")
# Products that are live whatever else their name says (Ervebo is a live recombinant vaccine,
# Dengvaxia and Imojev live chimeric ones): these decide before the words above.
LIVE_PRODUCTS: tuple[str, ...] = (
    "FluMist",
    "Fluenz",
    "LAIV",
    "nasal flu",
    "nasal spray flu",
    "MMR",
    "MMRV",
    "M-M-R",
    "ProQuad",
    "Priorix",
    "YF-Vax",
    "Stamaril",
    "Varivax",
    "Varilrix",
    "Zostavax",
    "BCG",
    "Vivotif",
    "Ty21a",
    "oral typhoid",
    "Rotarix",
    "RotaTeq",
    "OPV",
    "oral polio",
    "Vaxchora",
    "Dengvaxia",
    "Qdenga",
    "ACAM2000",
    "Ixchiq",
    "Imojev",
    "Ervebo",
)
_LIVE_PRODUCT_NAMES = tuple(p.lower() for p in LIVE_PRODUCTS)


def _quoted(word: str) -> str:
    return f"“{'mRNA' if word == 'mrna' else word}”"


def _kind_from_words(text: str) -> tuple[str, str]:
    """(LIVE or NOT_LIVE or "", why) from what the name itself says."""
    lowered = text.lower()
    if product := next((p for p in LIVE_PRODUCTS if names_match(lowered, (p.lower(),))), None):
        return LIVE, f"{product} is a live vaccine"
    negated = _NEGATED_LIVE.search(lowered)
    words = set(name_words(_NEGATED_LIVE.sub(" ", lowered)))
    if said := sorted(words & LIVE_WORDS):
        return LIVE, f"the name says {_quoted(said[0])}"
    if negated:
        return NOT_LIVE, f"the name says {_quoted(negated.group(0))}"
    if said := sorted(words & NOT_LIVE_WORDS):
        return NOT_LIVE, f"the name says {_quoted(said[0])}"
    return "", ""


def _catalogue(text: str) -> KnownVaccine | None:
    return next((v for v in VACCINES if names_match(text, v.names)), None)


def _vaccine_kind(name: str) -> tuple[str, KnownVaccine | None, str]:
    """(kind, catalogue entry, why): the name's own words, then the catalogue, then the name the
    drug dictionary gives a brand ("Ticovac": "Tick-borne encephalitis vaccine (whole virus,
    inactivated)"), read the same way. Word for word only: a close spelling never makes a
    vaccine "not live"."""
    known = _catalogue(name)
    kind, why = _kind_from_words(name)
    if kind:
        return kind, known, why
    if known is not None and known.kind != DEPENDS:
        return (
            known.kind,
            known,
            f"{known.name} is on the list of {'live' if known.kind == LIVE else 'non-live'} vaccines",
        )
    if known is None:
        tokens = [t.lower() for t in NAME_TOKEN.findall(name)]
        for data, _start, _stop in dictionary_matches(tokens) if tokens else ():
            described = data.get("name") or ""
            if "vaccin" not in described.lower():
                continue
            kind, why = _kind_from_words(described)
            entry = _catalogue(described)
            if not kind and entry is not None and entry.kind != DEPENDS:
                kind = entry.kind
            if kind:
                return kind, entry, f"the drug dictionary names it {_quoted(described)}"
            known = known or entry
    return DEPENDS if known else "", known, ""


def classify_vaccine(name: str, is_live_answer: str = "unsure") -> VaccineAdvice:
    """IX-LIVE-VACCINE: is this vaccine live, and what to say about it.

    The name decides when it says (a live product, "live"/"attenuated", or inactivated,
    recombinant, subunit, toxoid, conjugate, mRNA), then the catalogue, then the drug
    dictionary's name for a brand; for names that are live in one form only (flu, typhoid,
    polio, shingles, cholera) and for unknown names the person's answer decides, and "not
    sure" counts as live so that the care team checks (a false alarm is cheaper than a missed
    live vaccine).
    """
    kind, known, why = _vaccine_kind(name)
    typed = name.strip()
    matched = known.name if known else ""
    covers = known.covers if known else frozenset()
    rule_ids: list[str] = ["IX-LIVE-VACCINE"]
    if covers:
        rule_ids.append("PRE-CHILD-VACCINE")
    if kind == LIVE:
        return VaccineAdvice(
            matched,
            True,
            True,
            covers,
            "danger",
            f"{typed} is a live vaccine ({why}). {_LIVE_WARNING}",
            tuple(rule_ids),
            why,
        )
    if kind == NOT_LIVE:
        return VaccineAdvice(
            matched,
            False,
            True,
            covers,
            "info",
            f"{typed} is not a live vaccine ({why}). Still, check with your doctor before any vaccination while on "
            "anakinra (IX-LIVE-VACCINE).",
            tuple(rule_ids),
            why,
        )
    # DEPENDS, or not recognised: the answer decides.
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
            "your answer",
        )
    if is_live_answer == "yes":
        return VaccineAdvice(
            matched,
            True,
            True,
            covers,
            "danger",
            f"Recorded as a live vaccine.{note} {_LIVE_WARNING}",
            tuple(rule_ids),
            "your answer",
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
        "not sure",
    )
