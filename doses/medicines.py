"""Other medicines (IX-TNF, IX-BIOLOGIC, IX-IMMUNO): a name resolved to a generic, classed from one table.

Plain functions, no ORM. Vaccines are in doses/vaccines.py and the before-you-start checklist in
doses/before_you_start.py; the three share these sources (shared/RULES.md, shared/seeds/):
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
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

# Category codes match doses.models.MedicineCategory (kept as strings so this module needs no ORM).
TNF = "tnf"
BIOLOGIC = "biologic"
IMMUNO = "immuno"
OTHER = "other"
ANAKINRA_CLASS = "anakinra"  # the medicine this app tracks, never "another" one

# How a name was recognised (doses.models.MedicineMatch stores the first three).
EXACT = "exact"  # the name, a brand or a dictionary synonym, word for word
CONFIRMED = "confirmed"  # a close spelling, which the person confirmed
UNCONFIRMED = "unconfirmed"  # a close spelling, which the person declined: kept as typed, unclassified
PENDING = "pending"  # a close spelling, not answered yet: ask "Did you mean ...?"
KEEP_AS_TYPED = "typed"  # the answer "No, keep what I typed"


@dataclass(frozen=True)
class KnownMedicine:
    name: str  # generic name, shown to the user
    category: str
    names: tuple[str, ...]  # generic and brand names, lower case, matched as whole words
    labels: tuple[str, ...]  # the same names as they are spelled ("Humira")
    # Corticosteroids count as IX-IMMUNO when taken systemically (by mouth, injection, drip),
    # not as a cream, drops, nasal spray or inhaler (see _LOCAL_ROUTE).
    systemic_only: bool = False


def _medicine(name: str, category: str, *brands: str, systemic_only: bool = False) -> KnownMedicine:
    labels = (name, *brands)
    return KnownMedicine(name, category, tuple(n.lower() for n in labels), labels, systemic_only)


def _steroid(name: str, *brands: str) -> KnownMedicine:
    return _medicine(name, IMMUNO, *brands, systemic_only=True)


# The one curated table that classes a medicine. What is typed is resolved to a generic name
# (this table's names first, then the drug dictionary), and only this table decides the class:
# the dictionary knows that insulin and denosumab are proteins, but they are not on this list,
# so they raise no biologic warning.
MEDICINES: tuple[KnownMedicine, ...] = (
    # IX-TNF: the documents name etanercept, infliximab and adalimumab "such as"; certolizumab
    # and golimumab are the other TNF antagonists on the market, so the class rule covers them.
    # Biosimilars carry a suffix ("adalimumab-atto") and match on the generic word.
    _medicine(
        "adalimumab",
        TNF,
        "Humira",
        "Amjevita",
        "Amgevita",
        "Hadlima",
        "Hyrimoz",
        "Cyltezo",
        "Yusimry",
        "Idacio",
        "Imraldi",
        "Hulio",
        "Yuflyma",
        "Abrilada",
        "Simlandi",
    ),
    _medicine("etanercept", TNF, "Enbrel", "Erelzi", "Eticovo", "Benepali", "Nepexto"),
    _medicine(
        "infliximab", TNF, "Remicade", "Inflectra", "Renflexis", "Avsola", "Zymfentra", "Remsima", "Flixabi", "Ixifi"
    ),
    _medicine("certolizumab", TNF, "Cimzia"),
    _medicine("golimumab", TNF, "Simponi"),
    # IX-BIOLOGIC (ACR): "should not be used at the same time as other biologics": the biologic
    # medicines (monoclonal antibodies and fusion proteins) used in rheumatology, dermatology,
    # asthma and allergy, lupus, bowel disease and MS.
    _medicine("abatacept", BIOLOGIC, "Orencia"),
    _medicine("rituximab", BIOLOGIC, "Rituxan", "MabThera", "Truxima", "Ruxience", "Riabni"),
    _medicine("tocilizumab", BIOLOGIC, "Actemra", "RoActemra", "Tyenne", "Tofidence"),
    _medicine("sarilumab", BIOLOGIC, "Kevzara"),
    _medicine("canakinumab", BIOLOGIC, "Ilaris"),
    _medicine("rilonacept", BIOLOGIC, "Arcalyst"),
    _medicine("ustekinumab", BIOLOGIC, "Stelara", "Wezlana", "Pyzchiva", "Uzpruvo", "Selarsdi", "Otulfi"),
    _medicine("secukinumab", BIOLOGIC, "Cosentyx"),
    _medicine("ixekizumab", BIOLOGIC, "Taltz"),
    _medicine("bimekizumab", BIOLOGIC, "Bimzelx"),
    _medicine("brodalumab", BIOLOGIC, "Siliq", "Kyntheum"),
    _medicine("guselkumab", BIOLOGIC, "Tremfya"),
    _medicine("risankizumab", BIOLOGIC, "Skyrizi"),
    _medicine("tildrakizumab", BIOLOGIC, "Ilumya", "Ilumetri"),
    _medicine("mirikizumab", BIOLOGIC, "Omvoh"),
    _medicine("spesolimab", BIOLOGIC, "Spevigo"),
    _medicine("belimumab", BIOLOGIC, "Benlysta"),
    _medicine("anifrolumab", BIOLOGIC, "Saphnelo"),
    _medicine("vedolizumab", BIOLOGIC, "Entyvio"),
    _medicine("natalizumab", BIOLOGIC, "Tysabri", "Tyruko"),
    _medicine("ocrelizumab", BIOLOGIC, "Ocrevus"),
    _medicine("ofatumumab", BIOLOGIC, "Kesimpta", "Arzerra"),
    _medicine("emapalumab", BIOLOGIC, "Gamifant"),
    _medicine("dupilumab", BIOLOGIC, "Dupixent"),
    _medicine("tralokinumab", BIOLOGIC, "Adtralza", "Adbry"),
    _medicine("lebrikizumab", BIOLOGIC, "Ebglyss"),
    _medicine("omalizumab", BIOLOGIC, "Xolair", "Omlyclo"),
    _medicine("mepolizumab", BIOLOGIC, "Nucala"),
    _medicine("benralizumab", BIOLOGIC, "Fasenra"),
    _medicine("reslizumab", BIOLOGIC, "Cinqair", "Cinqaero"),
    _medicine("tezepelumab", BIOLOGIC, "Tezspire"),
    # IX-IMMUNO (MedlinePlus names azathioprine, cyclosporine, methotrexate, sirolimus and
    # tacrolimus); the class "medications that suppress the immune system" also covers the other
    # conventional immunosuppressants, the JAK inhibitors and systemic corticosteroids.
    _medicine("azathioprine", IMMUNO, "Imuran", "Azasan"),
    _medicine("mercaptopurine", IMMUNO, "Purinethol", "Purixan", "6-MP"),
    _medicine("cyclosporine", IMMUNO, "Neoral", "Sandimmune", "Gengraf", "ciclosporin", "cyclosporin"),
    _medicine("voclosporin", IMMUNO, "Lupkynis"),
    _medicine(
        "methotrexate", IMMUNO, "Rheumatrex", "Trexall", "Otrexup", "Rasuvo", "Xatmep", "Jylamvo", "Metoject", "MTX"
    ),
    _medicine("leflunomide", IMMUNO, "Arava"),
    _medicine("teriflunomide", IMMUNO, "Aubagio"),
    _medicine("cyclophosphamide", IMMUNO, "Cytoxan", "Endoxan"),
    _medicine("sirolimus", IMMUNO, "Rapamune"),
    _medicine("everolimus", IMMUNO, "Certican", "Zortress"),
    _medicine("tacrolimus", IMMUNO, "Prograf", "Advagraf", "Envarsus"),
    _medicine("mycophenolate", IMMUNO, "CellCept", "Myfortic", "mycophenolic acid"),
    _medicine("fingolimod", IMMUNO, "Gilenya"),
    _medicine("cladribine", IMMUNO, "Mavenclad"),
    _medicine("tofacitinib", IMMUNO, "Xeljanz"),
    _medicine("baricitinib", IMMUNO, "Olumiant"),
    _medicine("upadacitinib", IMMUNO, "Rinvoq"),
    _medicine("filgotinib", IMMUNO, "Jyseleca"),
    _medicine("ruxolitinib", IMMUNO, "Jakafi", "Jakavi"),
    _medicine("abrocitinib", IMMUNO, "Cibinqo"),
    _medicine("ritlecitinib", IMMUNO, "Litfulo"),
    _medicine("deucravacitinib", IMMUNO, "Sotyktu"),
    _steroid("prednisone", "Deltasone", "Rayos"),
    _steroid("prednisolone", "Prelone", "Orapred", "Millipred", "Pediapred", "Deltacortril", "Pevanti"),
    _steroid("methylprednisolone", "Medrol", "Solu-Medrol", "Depo-Medrol"),
    _steroid("dexamethasone", "Decadron"),
    _steroid("hydrocortisone", "Cortef", "Solu-Cortef"),
    _steroid("cortisone"),
    _steroid("betamethasone", "Celestone"),
    _steroid("triamcinolone", "Kenalog"),
    _steroid("deflazacort", "Emflaza", "Calcort"),
    # Not on the list, on purpose: budesonide, beclometasone, fluticasone and mometasone (used
    # inhaled, in the nose or on the skin), hydroxychloroquine and sulfasalazine (DMARDs that
    # do not suppress the immune system), insulin and denosumab (proteins, not immune biologics).
)

ANAKINRA_MEDICINE = _medicine("anakinra", ANAKINRA_CLASS, "Kineret")
ANAKINRA_NAMES = ANAKINRA_MEDICINE.names

CATEGORY_RULE = {TNF: "IX-TNF", BIOLOGIC: "IX-BIOLOGIC", IMMUNO: "IX-IMMUNO"}
_SEVERITY = {TNF: 0, BIOLOGIC: 1, IMMUNO: 2, ANAKINRA_CLASS: 3, OTHER: 4}

_WORD = re.compile(r"[a-z0-9]+")
NAME_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.IGNORECASE)  # keeps "adalimumab-atto" and "solu-medrol" whole

# A corticosteroid used here acts where it is put, not on the immune system as a whole.
_LOCAL_ROUTE = frozenset(
    "cream ointment gel lotion topical skin scalp eye eyes ear ears drops nasal nose inhaler inhaled inhalation "
    "puffer nebuliser nebulizer".split()
)
# Words of a medicine entry that are not its name: never fuzzy-matched to a medicine.
_NOT_A_NAME = (
    frozenset(
        "tablet tablets capsule capsules daily weekly monthly injection injections syringe syringes cream drops "
        "spray patch infusion liquid solution mouth morning evening night twice three times every other week weeks "
        "month months before after with without started since about maybe think vitamin vitamins supplement "
        "supplements pills medicine medication dose doses".split()
    )
    | _LOCAL_ROUTE
)
# A close spelling must be this similar (rapidfuzz ratio, 0-100) and start with the same letter:
# "Humera" is 83 from "Humira", "Remicaid" 88 from "Remicade", "metformin" 48 from "methotrexate".
FUZZY_MIN_SCORE = 80
_FUZZY_MIN_LENGTH = 5


def name_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def names_match(text: str, names: tuple[str, ...]) -> bool:
    """Whole-word (or whole-phrase) match, so "Enbrel 50 mg" matches and "methotrexately" does not."""
    words = name_words(text)
    joined = " " + " ".join(words) + " "
    return any(f" {' '.join(name_words(name))} " in joined for name in names)


def medicine_names() -> list[str]:
    """Suggestions for the medicine name field."""
    return sorted(m.name for m in MEDICINES)


_BY_GENERIC = {m.name: m for m in (*MEDICINES, ANAKINRA_MEDICINE)}


def known_medicine(generic: str) -> KnownMedicine | None:
    """The table's entry for a generic name ("adalimumab"; "Anifrolumab-fnia" and
    "Mycophenolate mofetil", as the dictionary spells them, find theirs too)."""
    if found := _BY_GENERIC.get(generic.lower()):
        return found
    return next((m for m in (*MEDICINES, ANAKINRA_MEDICINE) if names_match(generic, (m.name,))), None)


@dataclass(frozen=True)
class Resolution:
    """What a typed name was recognised as, and how."""

    generic: str  # "adalimumab", or the dictionary's name for a medicine not on the table ("acetaminophen")
    category: str  # TNF, BIOLOGIC, IMMUNO, ANAKINRA_CLASS or OTHER (not on the table)
    typed: str  # the words of the entry that matched ("Humera")
    term: str  # the name they matched ("Humira")
    how: str  # EXACT or FUZZY
    source: str  # "table" (the curated table) or "dictionary" (drug-named-entity-recognition)
    drugbank_id: str = ""
    systemic_only: bool = False

    @property
    def shown(self) -> str:
        """'acetaminophen (paracetamol)': the generic, and the name typed or meant when it is another."""
        return f"{self.generic} ({self.term})" if self.term.lower() != self.generic.lower() else self.generic

    @property
    def suggested(self) -> str:
        """'adalimumab (Humira)': as shown, with the best-known brand when the generic was meant."""
        known = known_medicine(self.generic)
        if self.shown == self.generic and known is not None and len(known.labels) > 1:
            return f"{self.generic} ({known.labels[1]})"  # the best-known brand comes first in the table
        return self.shown

    @property
    def question(self) -> str:
        return f"Did you mean {self.suggested}?"


FUZZY = "fuzzy"
TABLE = "table"
DICTIONARY = "dictionary"


@cache
def _dictionary():
    """The drug dictionary (PyPI drug-named-entity-recognition, pinned in requirements.txt).

    Imported here, on first use, because importing it unpickles its whole dictionary (about
    100,000 names, 2-3 s): once per process, and only when a name is not on the table. It
    ships its data in the wheel; the calls below ask it nothing over the network (no
    structures, no OMOP or PubChem look-ups).
    """
    from drug_named_entity_recognition import find_drugs

    return find_drugs


def dictionary_matches(tokens: list[str], *, fuzzy: bool = False) -> list[tuple[dict, int, int]]:
    return _dictionary()(tokens, is_fuzzy_match=fuzzy, is_ignore_case=True)


def _from_entry(
    entry: KnownMedicine, typed: str, term: str, how: str, source: str, drugbank_id: str = ""
) -> Resolution:
    return Resolution(entry.name, entry.category, typed, term, how, source, drugbank_id, entry.systemic_only)


def _table_exact(name: str) -> Resolution | None:
    words = " " + " ".join(name_words(name)) + " "
    found = []
    for entry in (*MEDICINES, ANAKINRA_MEDICINE):
        for term in entry.names:
            if f" {' '.join(name_words(term))} " in words:
                found.append(_from_entry(entry, term, _brand_case(entry, term), EXACT, TABLE))
                break
    return min(found, key=lambda r: _SEVERITY[r.category], default=None)


def _brand_case(entry: KnownMedicine, term: str) -> str:
    """The name as the table spells it ("Humira"), from its lower-case key."""
    return next((label for label in entry.labels if label.lower() == term.lower()), term)


def _dictionary_exact(name: str) -> tuple[Resolution | None, set[int]]:
    """Exact look-up in the drug dictionary: the resolution that matters most, and which tokens it knew."""
    originals = NAME_TOKEN.findall(name)
    if not originals:
        return None, set()
    matches = dictionary_matches([t.lower() for t in originals])
    known_tokens: set[int] = set()
    found = []
    for data, start, stop in matches:
        known_tokens.update(range(start, stop))
        generic = data.get("name") or ""
        typed = " ".join(originals[start:stop])
        entry = known_medicine(generic)
        if entry is not None:
            found.append(
                _from_entry(entry, typed, _brand_case(entry, typed), EXACT, DICTIONARY, data.get("drugbank_id") or "")
            )
        elif generic:
            found.append(
                Resolution(generic.lower(), OTHER, typed, typed, EXACT, DICTIONARY, data.get("drugbank_id") or "")
            )
    return min(found, key=lambda r: _SEVERITY[r.category], default=None), known_tokens


_FUZZY_TERMS: dict[str, KnownMedicine] = {
    term: entry for entry in (*MEDICINES, ANAKINRA_MEDICINE) for term in entry.names if len(term) >= _FUZZY_MIN_LENGTH
}


def _fuzzy(name: str, known_tokens: set[int]) -> Resolution | None:
    """A close spelling of a name on the table ("Humera", "Enbrell", "inflixamab"), never applied
    without the person's answer. Only words the dictionary does not know are tried, so a real
    medicine ("metformin") is never taken for another ("methotrexate")."""
    best: tuple[float, Resolution] | None = None
    for index, original in enumerate(NAME_TOKEN.findall(name)):
        token = original.lower()
        if index in known_tokens or len(token) < _FUZZY_MIN_LENGTH or token in _NOT_A_NAME or not token[0].isalpha():
            continue
        hit = process.extractOne(token, _FUZZY_TERMS.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
        if hit is not None and hit[0][0] == token[0]:
            term, score, _ = hit
            entry = _FUZZY_TERMS[term]
            candidate = _from_entry(entry, original, _brand_case(entry, term), FUZZY, TABLE)
        else:
            # The dictionary's own close spellings (its brands and synonyms), kept only when they
            # land on the table. One token at a time: its two-word fuzzy search fails (2.0.9).
            candidate, score = None, 0.0
            for data, _start, _stop in dictionary_matches([token], fuzzy=True):
                entry = known_medicine(data.get("name") or "")
                if entry is not None and data.get("match_type") == FUZZY:
                    variant = data.get("match_variant") or entry.name
                    candidate = _from_entry(
                        entry, original, _brand_case(entry, variant), FUZZY, DICTIONARY, data.get("drugbank_id") or ""
                    )
                    score = 100 * float(data.get("match_similarity") or 0)
                    break
        if candidate is not None and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best else None


def resolve_medicine(name: str) -> Resolution | None:
    """What the typed name is: a name on the table, then the drug dictionary word for word, then
    a close spelling of a name on the table (to be confirmed), then the dictionary's own name
    for a medicine the table does not class. None when nothing is recognised."""
    if (table := _table_exact(name)) is not None:
        return table
    exact, known_tokens = _dictionary_exact(name)
    if exact is not None and exact.category != OTHER:
        return exact
    return _fuzzy(name, known_tokens) or exact


def is_anakinra(name: str) -> bool:
    """The name is anakinra itself (Kineret, or any name the dictionary gives it), not a close spelling."""
    if names_match(name, ANAKINRA_NAMES):
        return True
    exact, _ = _dictionary_exact(name)
    return exact is not None and exact.category == ANAKINRA_CLASS


@dataclass(frozen=True)
class MedicineAdvice:
    category: str  # what is stored: the table's class, or the person's choice, or OTHER
    matched: str  # the generic name recognised (or suggested), or ""
    rule_id: str  # "" for an ordinary medicine
    level: str  # "danger", "warning" or "info" (Bootstrap alert colours)
    message: str
    flag_clinician: bool
    status: str = ""  # EXACT, CONFIRMED, UNCONFIRMED, PENDING, or "" (not recognised)
    resolution: Resolution | None = None
    source: str = ""  # where the class comes from, in words, for the page

    @property
    def question(self) -> str:
        """'Did you mean adalimumab (Humira)?' while a close spelling waits for an answer."""
        return self.resolution.question if self.status == PENDING and self.resolution else ""


_GENERAL_NOTE = (
    "Keep a written list of every medicine, vitamin and supplement, and tell your doctor and pharmacist about "
    "each one (MedlinePlus)."
)


def _source(resolution: Resolution, status: str) -> str:
    where = (
        "the interaction list"
        if resolution.source == TABLE
        else "the drug dictionary" + (f" (DrugBank {resolution.drugbank_id})" if resolution.drugbank_id else "")
    )
    if status == EXACT:
        return f"Recognised as {resolution.shown} by name, from {where}."
    if status == CONFIRMED:
        return f"“{resolution.typed}” is close to {resolution.shown} ({where}); confirmed when it was added."
    if status == PENDING:
        return f"“{resolution.typed}” is close to {resolution.shown} ({where}): waiting for an answer."
    return f"“{resolution.typed}” is close to {resolution.shown} ({where}); not confirmed, so kept as typed."


def _class_advice(category: str, what: str, matched: str) -> tuple[str, str, str, bool]:
    """(rule ID, level, message, flag the clinician) for a class."""
    if category == TNF:
        # IX-TNF (DermNet, MedlinePlus)
        return (
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
        return (
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
        return (
            "IX-IMMUNO",
            "warning",
            f"{what} suppresses the immune system. Tell your doctor you take it with anakinra: they may change the "
            f"doses or check you more closely for side effects (IX-IMMUNO).{note}",
            False,
        )
    return "", "info", _GENERAL_NOTE, False


def _is_local(name: str, resolution: Resolution) -> bool:
    """A corticosteroid put on the skin, in the eyes, ears or nose, or inhaled; or named by a
    brand the table does not list for it (most steroid brands are creams and inhalers)."""
    return resolution.systemic_only and (bool(_LOCAL_ROUTE & set(name_words(name))) or resolution.source == DICTIONARY)


def classify_medicine(name: str, chosen_category: str = "", *, answer: str = "") -> MedicineAdvice:
    """IX-TNF / IX-BIOLOGIC / IX-IMMUNO: what a medicine taken with anakinra means.

    A name recognised word for word decides the category (the name wins even over a chosen
    "other", because a wrong choice must not hide an interaction); otherwise the category the
    person chose is used. A close spelling is only a question ("Did you mean adalimumab
    (Humira)?", status PENDING) until `answer` is its generic name (CONFIRMED: applied) or
    KEEP_AS_TYPED (UNCONFIRMED: stored as typed and unclassified, but a possible TNF blocker or
    biologic still flags the care team, marked as not confirmed).
    """
    resolution = resolve_medicine(name)
    chosen = chosen_category or OTHER
    typed = name.strip()
    if resolution is None or resolution.category == OTHER:
        rule_id, level, message, flag = _class_advice(chosen, typed, "")
        matched = resolution.generic if resolution else ""
        source = _source(resolution, EXACT) + " It is not on the interaction list." if resolution else ""
        return MedicineAdvice(
            chosen, matched, rule_id, level, message, flag, EXACT if resolution else "", resolution, source
        )
    if resolution.how == FUZZY and answer != resolution.generic:
        status = UNCONFIRMED if answer == KEEP_AS_TYPED else PENDING
        return _unconfirmed_advice(typed, chosen, resolution, status)
    status = EXACT if resolution.how == EXACT else CONFIRMED
    if resolution.category == ANAKINRA_CLASS:
        return MedicineAdvice(
            ANAKINRA_CLASS,
            "anakinra",
            "",
            "info",
            ANAKINRA_REFUSAL,
            False,
            status,
            resolution,
            _source(resolution, status),
        )
    if _is_local(name, resolution):
        return MedicineAdvice(
            chosen,
            resolution.generic,
            "",
            "info",
            f"{resolution.generic} is a corticosteroid. Used on the skin, in the eyes, ears or nose, or inhaled, it "
            "does not suppress the immune system as a whole; if you take it by mouth or by injection, tell your "
            f"doctor (IX-IMMUNO). {_GENERAL_NOTE}",
            False,
            status,
            resolution,
            _source(resolution, status),
        )
    what = typed if typed.lower() == resolution.generic else f"{typed} ({resolution.generic})"
    rule_id, level, message, flag = _class_advice(resolution.category, what, resolution.generic)
    return MedicineAdvice(
        resolution.category,
        resolution.generic,
        rule_id,
        level,
        message,
        flag,
        status,
        resolution,
        _source(resolution, status),
    )


def _unconfirmed_advice(typed: str, chosen: str, resolution: Resolution, status: str) -> MedicineAdvice:
    rule_id, level, _, flag = _class_advice(resolution.category, resolution.generic, resolution.generic)
    kind = {
        TNF: "a TNF blocker",
        BIOLOGIC: "a biologic",
        IMMUNO: "an immunosuppressant",
        ANAKINRA_CLASS: "anakinra itself",
    }.get(resolution.category, "")
    if status == PENDING:
        message = f"{resolution.question} Choose yes to apply it, or keep “{typed}” as you typed it."
        return MedicineAdvice(
            chosen,
            resolution.generic,
            rule_id,
            "warning",
            message,
            False,
            PENDING,
            resolution,
            _source(resolution, status),
        )
    # "No, keep what I typed": stored as typed, in the class the person chose; a possible
    # interaction still reaches the care team, marked as not confirmed.
    chosen_rule, chosen_level, chosen_message, chosen_flag = _class_advice(chosen, typed, "")
    if chosen_rule:
        return MedicineAdvice(
            chosen,
            resolution.generic,
            chosen_rule,
            chosen_level,
            chosen_message,
            chosen_flag,
            UNCONFIRMED,
            resolution,
            _source(resolution, status),
        )
    message = f"Kept as typed. “{typed}” looks like {resolution.shown}, {kind}" + (
        f" ({rule_id}): your care team has been asked to check it."
        if flag
        else f" ({rule_id}): tell your doctor which medicine it is."
        if rule_id
        else "."
    )
    return MedicineAdvice(
        chosen,
        resolution.generic,
        rule_id,
        "warning" if rule_id else "info",
        message,
        flag,
        UNCONFIRMED,
        resolution,
        _source(resolution, status),
    )


ANAKINRA_REFUSAL = "Anakinra (Kineret) is the medicine this app already tracks; no need to add it."


def stored_medicine_advice(*, name: str, category: str, generic_name: str, match: str) -> MedicineAdvice:
    """The advice for a medicine as it was stored (doses.models.OtherMedicine), without resolving
    the name again: the class, the generic and the answer given when it was added decide. A row
    stored before names were resolved (no match) is classified again."""
    entry = known_medicine(generic_name) if generic_name else None
    if not match or (match != EXACT and entry is None):
        return classify_medicine(name, category)
    typed = name.strip()
    if match == UNCONFIRMED:
        resolution = _from_entry(entry, typed, entry.name, FUZZY, TABLE)
        return _unconfirmed_advice(typed, category or OTHER, resolution, UNCONFIRMED)
    what = typed if typed.lower() == generic_name.lower() or not generic_name else f"{typed} ({generic_name})"
    rule_id, level, message, flag = _class_advice(category or OTHER, what, generic_name)
    listed = "from the interaction list." if entry is not None else "it is not on the interaction list."
    if match == CONFIRMED:
        source = f"“{typed}” is close to {generic_name}, {listed.removesuffix('.')}; confirmed when it was added."
    elif generic_name:
        source = f"Recognised as {generic_name} by name, {listed}"
    else:
        source = ""
    return MedicineAdvice(category or OTHER, generic_name, rule_id, level, message, flag, match, None, source)
