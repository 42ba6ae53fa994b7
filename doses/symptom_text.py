"""What a free-text symptom description says, by meaning (AE-SERIOUS, AE-INFECTION, AE-ALLERGY, AE-OVERDOSE).

Plain functions, no Django. `read_description(text)` finds the signs that the documents say
need a doctor now or an ambulance (MedlinePlus "call your doctor immediately": rash; flu-like
symptoms; fever, sore throat, chills and other signs of infection; coughing, wheezing or chest
pain; a hot, red, swollen area of skin; DermNet: pneumonia, cellulitis; MedlinePlus 911:
collapse, seizure, trouble breathing, cannot wake up; severe allergy: a swelling face, lips,
tongue or throat), however they are worded:

- words are reduced to a lemma through a table of their forms (plurals, -ing, -ed), a small
  table of misspellings that fuzzy matching cannot guess ("coff", "flue", "numonia"), then a
  fuzzy match (rapidfuzz) of an unknown word onto the symptom vocabulary. A word that is a
  common English word ("rushes", "sneezing", "painted", "tough") is never bent into a symptom:
  pyspellchecker's English word counts say which words are common.
- a complaint word binds to the nearest body part in its clause, in either order ("sore
  throat", "my throat is really sore", "pain in my chest"), so "sore arm where I injected" is a
  site reaction and not a sore throat;
- a temperature of 38 °C / 100.4 °F or more is a fever, in either unit, with or without the
  unit (the value's range says which: 34-44 is °C, 93-111.5 is °F); a reading below that is not
  a fever, and the word that introduced it ("temp 37.2", "fever of 37.5") does not count either;
- a negation ("no fever", "without a rash", "fever-free", "no fever, chills or cough") sets a
  sign aside, but only when nothing else stands between the negation and the sign: in doubt
  ("not sure if it is a fever", "no fever and a cough", "never had such a cough") the sign counts.

The reading only adds to what was chosen from the list (triage never lowers a level).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz import fuzz, process

# AE-INFECTION / AE-SERIOUS: "fever" as a number. The documents say "fever" without one
# (MedlinePlus, ACR); 38 °C / 100.4 °F is the usual clinical threshold (issue 15).
FEVER_FROM_CELSIUS = 38.0
FEVER_FROM_FAHRENHEIT = 100.4
_CELSIUS_RANGE = (34.0, 44.0)  # a human body temperature, to tell °C from °F when no unit is typed
_FAHRENHEIT_RANGE = (93.0, 111.5)

_FUZZY_MIN_LENGTH = 5  # shorter words only through the misspelling table: too many near neighbours
_FUZZY_MIN_SCORE = 80  # rapidfuzz ratio (0-100): "pnuemonia", "feaver", "temprature", "shivvering"
_COMMON_WORD_MIN_COUNT = 100  # pyspellchecker's English counts: at or above, a real word, never re-read
_NEGATION_REACH = 7  # tokens between a negation and the sign it sets aside
_BINDING_REACH = 3  # words (fillers aside) between a complaint ("sore") and its body part ("throat")
_BINDING_WORDS_APART = 7  # ... counting every word ("my throat feels like it is closing")
_COMMA_COST = 2  # a comma puts a body part further away ("my arm is sore, throat fine")
_TEMPERATURE_REACH = 6  # tokens between "temp" / "fever" and its number


@dataclass(frozen=True)
class Sign:
    """A sign the documents name, and the catalogue symptom it counts as (doses.triage.SYMPTOMS)."""

    code: str
    label: str
    counts_as: str


_SIGNS = {
    s.code: s
    for s in [
        Sign("fever", "a fever", "fever"),
        Sign("chills", "chills or shivering", "infection"),
        Sign("sore_throat", "a sore throat", "infection"),
        Sign("infection", "a sign of infection", "infection"),
        Sign("flu", "flu or flu-like symptoms", "flu_like"),
        Sign("cough", "a cough", "cough_wheeze_chest"),
        Sign("wheeze", "wheezing", "cough_wheeze_chest"),
        Sign("chest_pain", "chest pain or tightness", "cough_wheeze_chest"),
        Sign("breathless", "shortness of breath", "cough_wheeze_chest"),
        Sign("chest_infection", "pneumonia or a chest infection", "cough_wheeze_chest"),
        Sign("rash", "a rash or hives", "rash"),
        Sign("hot_skin", "hot skin, or a hot, red, swollen area (possible cellulitis)", "hot_red_swollen_skin"),
        Sign("breathing_emergency", "trouble breathing", "collapse"),
        Sign("collapse", "a collapse, seizure or not waking up", "collapse"),
        Sign("allergic_swelling", "a swelling face, lips, tongue or throat, or anaphylaxis", "allergic_reaction"),
    ]
}
BREATHING_SIGNS = frozenset({"breathing_emergency"})  # AE-ALLERGY: trouble breathing after an injection


def _forms(table: dict[str, str]) -> dict[str, str]:
    """{"lemma": "form form ..."} -> {form: lemma}; the lemma is a form of itself."""
    return {form: lemma for lemma, forms in table.items() for form in (lemma, *forms.split())}


# Words that are a sign by themselves: lemma -> sign code, and the forms of each lemma.
_SIGN_WORDS = {
    "fever": "fever",
    "chills": "chills",
    "cough": "cough",
    "wheeze": "wheeze",
    "breathless": "breathless",
    "pneumonia": "chest_infection",
    "infection": "infection",
    "flu": "flu",
    "rash": "rash",
    "hot": "hot_skin",
    "cellulitis": "hot_skin",
    "collapse": "collapse",
    "seizure": "collapse",
    "anaphylaxis": "allergic_swelling",
    "choking": "breathing_emergency",
}
_SIGN_FORMS = _forms(
    {
        "fever": "fevers feverish feverishness febrile pyrexia pyrexial",
        "chills": "chill chilly shiver shivers shivering shivered shivery rigor rigors rigour rigours",
        "cough": "coughs coughing coughed coughy phlegm phlegmy sputum",
        "wheeze": "wheezes wheezing wheezed wheezy",
        "breathless": "breathlessness dyspnoea dyspnea winded",
        "pneumonia": "bronchitis bronchiolitis pleurisy",
        "infection": "infections infected infect infecting sepsis septic pus abscess abscesses tonsillitis "
        "pharyngitis laryngitis strep covid coronavirus shingles meningitis uti utis cystitis impetigo chickenpox "
        "measles mumps "
        "antibiotic antibiotics virus viral bacterial",
        "flu": "influenza grippe",
        "rash": "rashes hives urticaria welt welts wheal wheals blotch blotches blotchy",
        "hot": "",
        "cellulitis": "erysipelas",
        "collapse": "collapsed collapsing unconscious unresponsive fainted fainting faints",
        "seizure": "seizures convulsion convulsions convulsing convulsed",
        "anaphylaxis": "anaphylactic",
        "choking": "choked",
    }
)
_TEMPERATURE_WORDS = _forms({"temperature": "temperatures temp temps"})

# Body parts: lemma -> region. A complaint word binds to the nearest one.
_BODY_FORMS = _forms(
    {
        "throat": "throats",
        "gland": "glands node nodes tonsil tonsils",
        "swallow": "swallowing swallowed swallows",
        "chest": "chests lung lungs",
        "breathe": "breathes breathing breathed breath breaths air",
        "face": "faces lip lips tongue mouth eyelid eyelids",
        "bodypart": "arm arms leg legs thigh thighs stomach tummy belly abdomen head back neck ear ears eye eyes nose "
        "skin site spot spots area place patch hand hands finger fingers foot feet toe toes knee knees joint "
        "joints muscle muscles buttock buttocks bum bottom hip hips shoulder shoulders tooth teeth gum gums side "
        "wrist elbow ankle injection injections jab shot needle lump bump",
    }
)
# Complaint words: lemma -> kind.
_COMPLAINT_FORMS = _forms(
    {
        "pain": "sore soreness pains painful hurt hurts hurting ache aches aching achy achey scratchy raw burn "
        "burns burning tender sour stinging killing agony agonising agonizing excruciating razor",
        "tight": "tightness tighten tightening pressure heavy heaviness squeeze squeezing crushing",
        "swell": "swells swelling swollen swelled puffy puffed closing closes enlarged",
        "difficulty": "trouble difficulty difficulties difficult hard struggle struggles struggling struggled unable "
        "cannot cant problem problems laboured labored gasp gasping gasped hardly barely",
        "short": "shortness fast rapid quick noisy rattle rattly rattling whistle whistling",
        "warm": "warmth",
    }
)
# (region, complaint) -> sign; a warm or hot region is always a hot-skin sign.
_BINDINGS = {
    ("throat", "pain"): "sore_throat",
    ("throat", "swell"): "allergic_swelling",
    ("throat", "tight"): "allergic_swelling",
    ("gland", "pain"): "infection",
    ("gland", "swell"): "infection",
    ("swallow", "pain"): "sore_throat",
    ("swallow", "difficulty"): "allergic_swelling",
    ("chest", "pain"): "chest_pain",
    ("chest", "tight"): "chest_pain",
    ("breathe", "difficulty"): "breathing_emergency",
    ("breathe", "short"): "breathless",
    ("breathe", "tight"): "breathless",
    ("face", "swell"): "allergic_swelling",
}
_BINDINGS |= {(region, "warm"): "hot_skin" for region in set(_BODY_FORMS.values())}

# Misspellings too short or too far for the fuzzy match, and real words typed for a symptom.
_MISSPELLINGS = {
    "coff": "cough",
    "cof": "cough",
    "caugh": "cough",
    "kough": "cough",
    "couf": "cough",
    "flue": "flu",
    "fluu": "flu",
    "rahs": "rash",
    "rsah": "rash",
    "numonia": "pneumonia",
    "newmonia": "pneumonia",
    "ammonia": "pneumonia",  # a real word, but not one anybody has in their chest
    "fevr": "fever",
    "feva": "fever",
    "fevah": "fever",
    "hievs": "rash",
    "hive": "rash",
    "sorethroat": "sore_throat",
    "thorat": "throat",
    "throught": "throat",
    "thraot": "throat",
    "anafilaxis": "anaphylaxis",
    "anafylaxis": "anaphylaxis",
    "throt": "throat",
    "brethe": "breathe",
    "breth": "breathe",
    "cheast": "chest",
    "chestpain": "chest_pain",
    # Words that say a sign is absent, kept away from the fuzzy match ("afebrile" is not "febrile").
    "afebrile": "afebrile",
    "apyrexial": "apyrexial",
}

# Phrases: each slot is a set of tokens or lemmas; `unless_next` vetoes the phrase.
_PHRASES: tuple[tuple[str, tuple[frozenset[str], ...], frozenset[str]], ...] = tuple(
    (code, tuple(frozenset(slot.split("|")) for slot in slots.split()), frozenset(unless.split()))
    for code, slots, unless in [
        ("collapse", "passed|passing|pass|passes|blacked|blacking out", ""),
        ("collapse", "had|having|has a fit", "of"),
        ("collapse", "cant|cannot|wont|not|doesnt|unable|didnt wake|waking|woken|rouse|roused|wakes", ""),
        ("collapse", "cant|cannot|wont be woken|roused", ""),
        ("collapse", "hard|difficult to wake|rouse", ""),
        ("breathing_emergency", "not|stopped|stop|stops|isnt|wasnt breathe", ""),
        ("breathing_emergency", "turn|turned|turning|going|gone|went blue", ""),
        ("breathing_emergency", "blue face", ""),
        ("breathing_emergency", "face is|are|look|looks|looking|turning|turned|going|gone|went blue", ""),
        ("breathless", "puffed|puffing out", ""),
        ("collapse", "is|was|been|started|keeps|kept|still fitting", ""),
        ("breathless", "out of breathe", ""),
        ("fever", "burn|burns|burning up", ""),
        ("hot_skin", "warm|hot to the touch", ""),
        ("hot_skin", "red streak|streaks", ""),
        ("hot_skin", "redness|red spread|spreading|spreads", ""),
        ("hot_skin", "spread|spreading|spreads redness", ""),
        ("chills", "night|cold|drenching sweat|sweats|sweating", ""),
        ("chills", "the shakes", ""),
        ("chills", "teeth chattering|chatter|chattered", ""),
        ("flu", "body pain", ""),
        ("flu", "pain all over", ""),
        ("flu", "muscle|muscles pain", ""),
        ("flu", "pain muscle|muscles", ""),
        ("flu", "pain and pain", ""),
        ("chest_infection", "chest|lung|lungs infection", ""),
        (
            "infection",
            "a|bad|head|chest|common|streaming|stinking|heavy cold",
            "pack compress syringe one drink water sensation feeling",
        ),
        ("infection", "tummy|stomach|a bug", "bite"),
    ]
)
# A sign word followed by one of these is not the patient's sign: "flu jab", "covid vaccine",
# and for "hot": hot water, a hot bath, the weather.
_VACCINE_WORDS = frozenset(
    "jab jabs vaccine vaccines vaccination vaccinations vaccinated shot shots immunisation immunization booster "
    "spray season".split()
)
_HOT_NOT_A_SIGN_BEFORE = _VACCINE_WORDS | frozenset(
    "water bath shower drink drinks tea coffee weather day days room flush flushes flash flashes pack compress "
    "bottle food sauce curry chocolate tub".split()
)
# A temperature word that says nothing about a fever ("room temperature", "temp is normal").
_TEMPERATURE_NOT_A_FEVER = frozenset(
    "normal fine ok okay room fridge refrigerator storage stable down low lower check checked checking take took "
    "taking measure measured".split()
)

_NEGATIONS = frozenset(
    "no not without denies denied deny none nor neither isnt arent wasnt werent doesnt dont didnt hasnt havent "
    "hadnt zero nil".split()
)
# After a negation these words mean it is not one ("not sure", "doesn't stop", "no better").
_NOT_A_NEGATION_BEFORE = frozenset(
    "sure certain know idea clue doubt only just better improvement improving improve change relief end stop "
    "stopping go going gone settle settling ease easing help helping worse matter".split()
)
# Words that may stand between a negation and what it negates ("no signs of a fever").
_NEGATION_FILLERS = frozenset(
    "a an any the some real really high much more further new obvious significant sign signs of symptom symptoms "
    "longer have has had having got get getting seem seems to be been being is are was feel feels feeling felt "
    "run running develop developed notice noticed show showing seen at all actual bad major proper her his my "
    "their your".split()
)
# Words that do not put a complaint further from its body part ("throat is really sore").
_BINDING_FILLERS = frozenset(
    "is are was were be been being feel feels felt feeling like it its really very so quite a bit little all "
    "getting gets got has have had starting started to kind sort too extremely super the my her his their our "
    "your".split()
)
# AE-COMMON symptoms, only so that a negated list of them reads as one ("no headache or fever").
_COMMON_SYMPTOM_WORDS = frozenset(
    "headache headaches nausea sickness vomiting diarrhoea diarrhea tiredness fatigue itching itch itchy redness "
    "bruising bruise bruises runny sneezing dizziness".split()
)
_NEGATION_AFTER = frozenset({"free", "negative"})  # "fever-free", "covid negative"
_NEGATION_AFTER_FILLERS = frozenset("test swab result results is was came back now so far all it".split())
_LIST_JOINS = frozenset({"or", "nor", "/"})
_CLAUSE_BREAKS = frozenset(". ; : ! ? ( ) but however although though yet except whereas apart besides because".split())

_UNIT_CELSIUS = frozenset({"c", "celsius", "centigrade", "degc"})
_UNIT_FAHRENHEIT = frozenset({"f", "fahrenheit", "degf"})
_DEGREE = frozenset({"°", "º", "˚", "degree", "degrees", "deg"})
_NOT_A_TEMPERATURE_AFTER = frozenset(
    "kg g mg ml mcg lb lbs cm mm m kilos kilo pounds percent years year yrs months weeks days hours hrs minutes "
    "mins am pm x times doses".split()
)
_NOT_A_TEMPERATURE_BEFORE = frozenset(
    "weight weighs weighed dose age aged height tall sats saturation oxygen pulse bp heart rate hr mg ml".split()
)

_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)?|[a-z]+|[°º˚/.;:!?(),]")


@dataclass(frozen=True)
class Finding:
    """A sign read in the description, with the words that say it."""

    sign: Sign
    words: str
    start: int  # token positions, for ordering and for tests
    end: int

    @property
    def counts_as(self) -> str:
        return self.sign.counts_as


@dataclass(frozen=True)
class Temperature:
    """A temperature read in the description (AE-INFECTION: 38 °C / 100.4 °F or more is a fever)."""

    words: str
    value: float
    unit: str  # "°C" or "°F", as typed or as the value's range says
    unit_typed: bool
    is_fever: bool


@dataclass(frozen=True)
class Reading:
    findings: tuple[Finding, ...]  # the signs that count
    set_aside: tuple[Finding, ...]  # signs said not to be there ("no fever")
    temperatures: tuple[Temperature, ...]

    @property
    def sign_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.sign.code for f in self.findings))


@dataclass(frozen=True)
class _Token:
    text: str
    lemma: str
    start: int
    end: int


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("'", "")
    text = re.sub(r"[-_]", " ", text)
    text = re.sub(r"\bcan not\b", "cannot", text)
    return re.sub(r"[\r\n]+", ". ", text)


@cache
def _common_english_words() -> frozenset[str]:
    """pyspellchecker's English word list, the words seen at least _COMMON_WORD_MIN_COUNT times."""
    data = (resources.files("spellchecker") / "resources" / "en.json.gz").read_bytes()
    counts = json.loads(gzip.decompress(data))
    return frozenset(word for word, count in counts.items() if count >= _COMMON_WORD_MIN_COUNT)


_KNOWN_FORMS = {**_SIGN_FORMS, **_TEMPERATURE_WORDS, **_BODY_FORMS, **_COMPLAINT_FORMS}
_FUZZY_TARGETS = tuple(sorted(form for form in _KNOWN_FORMS if len(form) >= _FUZZY_MIN_LENGTH))


@lru_cache(maxsize=4096)
def lemma(token: str) -> str:
    """The lemma of one token: its form, a known misspelling, or the nearest symptom word."""
    if token in _KNOWN_FORMS:
        return _KNOWN_FORMS[token]
    if token in _MISSPELLINGS:
        return _MISSPELLINGS[token]
    if len(token) < _FUZZY_MIN_LENGTH or not token.isalpha():
        return token
    match = process.extractOne(token, _FUZZY_TARGETS, scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN_SCORE)
    if match is None or token in _common_english_words():
        return token
    return _KNOWN_FORMS[match[0]]


def _tokens(text: str) -> list[_Token]:
    found = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group(0)
        resolved = lemma(word)
        if resolved in ("sore_throat", "chest_pain"):  # one typed word for two: "sorethroat"
            first, second = ("pain", "throat") if resolved == "sore_throat" else ("chest", "pain")
            found += [_Token(word, first, m.start(), m.end()), _Token(word, second, m.start(), m.end())]
        else:
            found.append(_Token(word, resolved, m.start(), m.end()))
    return found


def _is_break(token: _Token) -> bool:
    return token.text in _CLAUSE_BREAKS


def _is_symptom_word(token: _Token) -> bool:
    """A word that may stand in a list a negation covers: "no headache, rash or fever"."""
    return (
        token.lemma in _SIGN_FORMS
        or token.lemma in _BODY_FORMS
        or token.lemma in _COMPLAINT_FORMS
        or token.lemma in _TEMPERATURE_WORDS
        or token.text in _COMMON_SYMPTOM_WORDS
    )


class _Reader:
    def __init__(self, text: str):
        self.text = _normalise(text or "")
        self.tokens = _tokens(self.text)
        self.findings: list[Finding] = []
        self.consumed: set[int] = set()  # temperature words that introduced a number

    def words(self, start: int, end: int) -> str:
        return self.text[self.tokens[start].start : self.tokens[end].end]

    def add(self, code: str, start: int, end: int) -> None:
        self.findings.append(Finding(_SIGNS[code], self.words(start, end), start, end))

    # --- temperatures ----------------------------------------------------------------------

    def temperatures(self) -> list[Temperature]:
        found = []
        tokens = self.tokens
        for i, token in enumerate(tokens):
            if not token.text[0].isdigit():
                continue
            value = float(token.text.replace(",", "."))
            j, unit, degree = i + 1, "", False
            while j < len(tokens) and tokens[j].text in _DEGREE:
                degree, j = True, j + 1
            if j < len(tokens) and tokens[j].text in _UNIT_CELSIUS | _UNIT_FAHRENHEIT:
                unit, j = ("°C" if tokens[j].text in _UNIT_CELSIUS else "°F"), j + 1
            end = j - 1
            after = tokens[i + 1].text if i + 1 < len(tokens) else ""
            before = tokens[i - 1].text if i > 0 else ""
            context = self._temperature_word_before(i)
            if not (unit or degree) and (after in _NOT_A_TEMPERATURE_AFTER or before in _NOT_A_TEMPERATURE_BEFORE):
                continue
            decimal_bare = "." in token.text or "," in token.text
            if context is None and not (unit or degree or decimal_bare):
                continue
            unit_typed = bool(unit)
            unit = self._unit_for(value, unit)
            if unit is None:
                continue
            is_fever = value >= (FEVER_FROM_CELSIUS if unit == "°C" else FEVER_FROM_FAHRENHEIT)
            if context is None and not (unit_typed or degree) and not is_fever:
                continue  # a bare number below a fever says nothing: "37.2" alone is not read at all
            start = context if context is not None else i
            if context is not None:
                self.consumed.add(context)
            found.append(Temperature(self.words(start, end), value, unit, unit_typed, is_fever))
            if is_fever:
                self.add("fever", start, end)
        return found

    def _temperature_word_before(self, i: int) -> int | None:
        for k in range(i - 1, max(-1, i - 1 - _TEMPERATURE_REACH), -1):
            if _is_break(self.tokens[k]) and self.tokens[k].text != ":":  # "temp: 39"
                return None
            if self.tokens[k].lemma in ("temperature", "fever") or self.tokens[k].text == "thermometer":
                return k
        return None

    @staticmethod
    def _unit_for(value: float, typed: str) -> str | None:
        in_c = _CELSIUS_RANGE[0] <= value <= _CELSIUS_RANGE[1]
        in_f = _FAHRENHEIT_RANGE[0] <= value <= _FAHRENHEIT_RANGE[1]
        if typed == "°C" and in_c or typed == "°F" and in_f:
            return typed
        # No unit, or one that cannot be a body temperature ("38 F"): the value's range decides.
        return "°C" if in_c else "°F" if in_f else None

    # --- words, phrases, bindings ------------------------------------------------------------

    def words_and_phrases(self) -> None:
        tokens = self.tokens
        for i, token in enumerate(tokens):
            if i in self.consumed:
                continue
            code = _SIGN_WORDS.get(token.lemma)
            nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
            if nxt in (_HOT_NOT_A_SIGN_BEFORE if token.lemma == "hot" else _VACCINE_WORDS):
                continue
            if code:
                self.add(code, i, i)
            elif token.lemma == "temperature" and not self._plain_temperature(i):
                self.add("fever", i, i)
        for code, slots, unless in _PHRASES:
            for i in range(len(tokens) - len(slots) + 1):
                window = tokens[i : i + len(slots)]
                if all(t.text in slot or t.lemma in slot for t, slot in zip(window, slots, strict=True)):
                    nxt = tokens[i + len(slots)].text if i + len(slots) < len(tokens) else ""
                    if nxt not in unless:
                        self.add(code, i, i + len(slots) - 1)

    def _plain_temperature(self, i: int) -> bool:
        near = self.tokens[max(0, i - 2) : i + 3]
        return any(t.text in _TEMPERATURE_NOT_A_FEVER for t in near)

    def bindings(self) -> None:
        tokens = self.tokens
        parts = [i for i, t in enumerate(tokens) if t.lemma in _BODY_FORMS]
        for i, token in enumerate(tokens):
            kind = _COMPLAINT_FORMS.get(token.lemma)
            if kind is None:
                continue
            reach = {j: self._distance(i, j) for j in parts if j != i}
            reach = {j: d for j, d in reach.items() if d is not None and d <= _BINDING_REACH}
            if not reach:
                continue
            nearest = min(reach.values())
            for j in [j for j, d in reach.items() if d == nearest]:
                for part in self._coordinated(j):
                    code = _BINDINGS.get((_BODY_FORMS[tokens[part].lemma], kind))
                    if code == "breathing_emergency" and self._through_the_nose(part):
                        code = None  # "can't breathe through my nose": a blocked nose (AE-COMMON)
                    if code:
                        self.add(code, min(i, part), max(i, part))

    def _through_the_nose(self, j: int) -> bool:
        for t in self.tokens[j + 1 : j + 5]:
            if _is_break(t):
                return False
            if t.text in ("nose", "nostril", "nostrils", "nasal", "blocked", "stuffy"):
                return True
        return False

    def _distance(self, i: int, j: int) -> int | None:
        """How far a complaint is from a body part: words like "is", "feels like", "really" do not count."""
        low, high = min(i, j), max(i, j)
        if high - low > _BINDING_WORDS_APART:
            return None
        cost = 1
        for k in range(low + 1, high):
            text = self.tokens[k].text
            if _is_break(self.tokens[k]):
                return None
            if text == ",":
                cost += _COMMA_COST
            elif text not in _BINDING_FILLERS:
                cost += 1
        return cost

    def _coordinated(self, j: int) -> list[int]:
        """The body parts joined to j by "and", "or", "&" or a comma: "throat and chest are sore"."""
        found, tokens = [j], self.tokens
        for step in (-1, 1):
            k = j
            while 0 <= k + 2 * step < len(tokens) and tokens[k + step].text in ("and", "or", ",", "/"):
                if tokens[k + 2 * step].lemma not in _BODY_FORMS:
                    break
                k += 2 * step
                found.append(k)
        return found

    def merged(self, findings: list[Finding]) -> list[Finding]:
        """Words said once are read once: findings of one sign that overlap become one
        ("sore throat" is not also "sore"; "spot is warm" and "warm to the touch" are one)."""
        merged: list[Finding] = []
        for f in sorted(findings, key=lambda f: (f.start, -f.end)):
            same = next((m for m in merged if m.sign == f.sign and f.start <= m.end), None)
            if same is None:
                merged.append(f)
            elif f.end > same.end:
                merged[merged.index(same)] = Finding(f.sign, self.words(same.start, f.end), same.start, f.end)
        return merged

    # --- negation ----------------------------------------------------------------------------

    def negated(self, finding: Finding) -> bool:
        tokens = self.tokens
        # A negation inside a binding ("my throat is not sore").
        for k in range(finding.start + 1, finding.end):
            if tokens[k].text in _NEGATIONS and not self._pseudo(k):
                return True
        # A negation before it, with only fillers, other symptoms and list words between.
        crossed_comma = False
        for k in range(finding.start - 1, max(-1, finding.start - 1 - _NEGATION_REACH), -1):
            t = tokens[k]
            if t.text in _NEGATIONS or (t.text == "free" and k + 1 < len(tokens) and tokens[k + 1].text == "of"):
                if self._pseudo(k):
                    return False
                return not crossed_comma or self._list_after(k)
            if t.text == ",":
                crossed_comma = True
            elif not (t.text in _NEGATION_FILLERS or t.text in _LIST_JOINS or t.text == "of" or _is_symptom_word(t)):
                break
        # A negation after it: "fever-free", "covid test negative".
        for k in range(finding.end + 1, min(len(tokens), finding.end + 5)):
            if tokens[k].text in _NEGATION_AFTER:
                return True
            if tokens[k].text not in _NEGATION_AFTER_FILLERS:
                break
        return False

    def _pseudo(self, k: int) -> bool:
        return k + 1 < len(self.tokens) and self.tokens[k + 1].text in _NOT_A_NEGATION_BEFORE

    def _list_after(self, k: int) -> bool:
        """After a negation, a list that ends with "or"/"nor": "no fever, chills or cough"."""
        for t in self.tokens[k + 1 :]:
            if t.text in _LIST_JOINS:
                return True
            if not (t.text == "," or t.text in _NEGATION_FILLERS or _is_symptom_word(t)):
                return False
        return False


def read_description(text: str) -> Reading:
    """The signs a symptom description names (see the module docstring), and those it says are absent."""
    reader = _Reader(text)
    temperatures = reader.temperatures()
    reader.words_and_phrases()
    reader.bindings()
    counted, set_aside, seen = [], [], set()
    for finding in sorted(reader.findings, key=lambda f: (f.start, -f.end)):
        key = (finding.sign.code, finding.start, finding.end)
        if key in seen:
            continue
        seen.add(key)
        is_reading = any(finding.words == t.words for t in temperatures)
        (set_aside if not is_reading and reader.negated(finding) else counted).append(finding)
    return Reading(tuple(reader.merged(counted)), tuple(reader.merged(set_aside)), tuple(temperatures))
