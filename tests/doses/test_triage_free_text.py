"""Free-text symptoms read by meaning (doses/symptom_text.py through doses/triage.py), by rule ID.

The issue's cases and many wordings a family might type for each AE-SERIOUS and AE-INFECTION
symptom: synonyms, word order, plurals, misspellings, temperatures in either unit, and the
negations that set a sign aside. No database.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from doses import symptom_text, triage
from doses.rules.emergency_numbers import numbers_for
from doses.triage import CALL_DOCTOR_NOW, EMERGENCY, TELL_DOCTOR_IF_PERSISTS


def read(text: str) -> set[str]:
    return set(symptom_text.read_description(text).sign_codes)


def level(text: str, symptom: str = "other", severity: str = "mild") -> str:
    return triage.triage(symptom, severity, text).level


# --- the issue's cases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["shortness of breath", "my throat is sore", "pneumonia", "I think I have influenza", "temp 39.2 tonight"],
)
def test_AE_SERIOUS_the_issues_wordings_mean_call_your_doctor_now_and_alert_the_team(text):
    result = triage.triage("other", "mild", text)
    assert result.level == CALL_DOCTOR_NOW
    assert result.headline == "Call your doctor now"
    assert result.alert_care_team and result.alert_rule_id == "AE-SERIOUS"
    assert "AE-INFECTION" in result.rule_ids
    assert any("may pause anakinra" in step for step in result.instructions)


# --- many wordings per sign -----------------------------------------------------------------

WORDINGS = {
    "fever": [
        "fever",
        "she has a fever",
        "Feverish since lunch",
        "running a temperature",
        "high temp tonight",
        "has a temperature",
        "febrile",
        "feaver",
        "fevers at night",
        "she's burning up",
        "low grade fever",
    ],
    "sore_throat": [
        "sore throat",
        "my throat is sore",
        "throat is really sore",
        "Throat hurts",
        "pain in my throat",
        "scratchy throat",
        "her throat feels raw",
        "sore throught",
        "sour throat",
        "sore thoat",
        "throat and ears are sore",
        "my throat is killing me",
        "it hurts to swallow",
        "painful swallowing",
        "sorethroat",
    ],
    "chills": ["chills", "the chills", "shivering", "shivers all night", "rigors", "rigours", "shivvering", "chils"],
    "infection": [
        "I think it's infected",
        "an infection",
        "chest infection",
        "urine infection",
        "ear infection",
        "pus at the site",
        "an abscess",
        "tonsillitis",
        "strep throat",
        "covid",
        "shingles",
        "swollen glands",
        "her glands are swollen",
        "caught a cold",
        "a bad cold",
        "on antibiotics for it",
        "a tummy bug",
        "infecton",
    ],
    "flu": [
        "flu",
        "the flu",
        "I think I have influenza",
        "flu-like",
        "feels like flu",
        "body aches",
        "aching all over",
        "influenza",
        "flue",
    ],
    "cough": ["cough", "coughing", "a bad cough", "coughs at night", "coughing up phlegm", "coff", "couhging"],
    "wheeze": ["wheezing", "a bit wheezy", "wheezes", "wheezin"],
    "chest_pain": [
        "chest pain",
        "pain in my chest",
        "chest hurts",
        "my chest feels tight",
        "tightness in the chest",
        "chest pains",
        "sore chest",
        "pressure on my chest",
    ],
    "breathless": [
        "shortness of breath",
        "short of breath",
        "breathless",
        "out of breath",
        "breathing fast",
        "getting winded",
        "breathlesness",
        "shortnes of breth",
    ],
    "chest_infection": ["pneumonia", "pnuemonia", "neumonia", "numonia", "bronchitis", "chest infection"],
    "rash": ["rash", "a rash on her back", "rashes", "hives", "hives all over", "welts", "blotchy skin", "rahs"],
    "hot_skin": [
        "hot, red, swollen area",
        "the spot is hot",
        "skin is warm and red",
        "warm to the touch",
        "red streaks from the site",
        "redness spreading",
        "cellulitis",
    ],
}


@pytest.mark.parametrize("sign, text", [(sign, text) for sign, texts in WORDINGS.items() for text in texts])
def test_AE_SERIOUS_each_sign_is_read_whatever_the_wording(sign, text):
    assert sign in read(text), symptom_text.read_description(text)


@pytest.mark.parametrize("sign, text", [(sign, text) for sign, texts in WORDINGS.items() for text in texts])
def test_AE_SERIOUS_every_wording_means_call_your_doctor_now(sign, text):
    result = triage.triage("other", "mild", text)
    assert result.level in (CALL_DOCTOR_NOW, EMERGENCY) and result.alert_care_team
    assert "AE-SERIOUS" in result.rule_ids


@pytest.mark.parametrize("sign", [s for s in WORDINGS if s != "rash"])
def test_AE_INFECTION_signs_of_infection_read_in_free_text_say_the_doctor_may_pause_anakinra(sign):
    result = triage.triage("other", "mild", WORDINGS[sign][0])
    assert "AE-INFECTION" in result.rule_ids
    assert any("may pause anakinra" in step for step in result.instructions)


def test_AE_SERIOUS_a_sign_read_in_the_text_has_the_rules_of_the_symptom_it_counts_as():
    # "exactly as the structured list does": the same level and rule IDs as choosing it.
    for sign, texts in WORDINGS.items():
        counts_as = symptom_text.read_description(texts[0]).findings[0].counts_as
        chosen = triage.triage(counts_as, "mild")
        typed = triage.triage("other", "mild", texts[0])
        assert typed.level == chosen.level, sign
        assert set(chosen.rule_ids) - {"AE-COMMON"} <= set(typed.rule_ids), sign


# --- emergencies stay emergencies -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I can't breathe properly",
        "she can\u2019t breathe",
        "cannot breathe",
        "can not breathe",
        "unable to breathe",
        "struggling to breathe",
        "hard to breathe",
        "difficulty breathing",
        "breathing is difficult",
        "trouble breathing",
        "he is not breathing",
        "stopped breathing",
        "lips turning blue",
        "her lips are blue",
        "can hardly breathe",
        "choking",
        "he collapsed in the kitchen",
        "colapsed",
        "passed out",
        "had a seizure",
        "siezure",
        "convulsions",
        "having a fit",
        "we cannot wake him up",
        "won't wake up",
        "unconscious",
        "unresponsive",
        "fainted",
    ],
)
def test_AE_OVERDOSE_emergency_wordings_mean_call_911(text):
    result = triage.triage("other", "mild", text, numbers=numbers_for("US"))
    assert result.level == EMERGENCY and result.headline == "Emergency: call 911 now"
    assert "AE-OVERDOSE" in result.rule_ids and result.alert_care_team


@pytest.mark.parametrize(
    "text",
    [
        "throat is swelling",
        "throat feels tight",
        "her throat is closing",
        "swollen tongue",
        "lips are swollen",
        "face swelling up",
        "her face is puffy",
        "trouble swallowing",
        "anaphylaxis",
        "anaphylactic shock",
        "anafilaxis",
    ],
)
def test_AE_ALLERGY_a_swelling_face_or_throat_in_any_wording_is_an_allergy_emergency(text):
    result = triage.triage("other", "mild", text)
    assert result.level == EMERGENCY
    assert "AE-ALLERGY" in result.rule_ids
    assert any("do not inject any more anakinra" in step for step in result.instructions)


# --- temperatures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value, unit",
    [
        ("temp 39.2 tonight", 39.2, "°C"),
        ("38.5C", 38.5, "°C"),
        ("38.5 °C", 38.5, "°C"),
        ("101 F", 101, "°F"),
        ("101.3°F", 101.3, "°F"),
        ("fever of 102", 102, "°F"),
        ("39,1 degrees", 39.1, "°C"),
        ("temperature was 38", 38, "°C"),
        ("thermometer says 100.4", 100.4, "°F"),
        ("temp: 40", 40, "°C"),
        ("she is at 38.6", 38.6, "°C"),
        ("38 F", 38, "°C"),  # 38 °F is no body temperature: the value's range says °C
        ("temprature 38.9", 38.9, "°C"),
    ],
)
def test_AE_INFECTION_a_temperature_of_38_c_or_100_4_f_or_more_is_a_fever(text, value, unit):
    reading = symptom_text.read_description(text)
    assert [(t.value, t.unit, t.is_fever) for t in reading.temperatures] == [(value, unit, True)]
    assert "fever" in reading.sign_codes
    assert level(text) == CALL_DOCTOR_NOW


@pytest.mark.parametrize(
    "text",
    ["temp 37.2", "37.2", "temperature 37.9", "fever of 37.5", "temp 100 F", "99.5", "temp 36.8 this morning"],
)
def test_AE_INFECTION_a_temperature_below_the_threshold_is_not_a_fever(text):
    result = triage.triage("other", "mild", text)
    assert result.level == TELL_DOCTOR_IF_PERSISTS and not result.alert_care_team
    assert all(not t.is_fever for t in result.temperatures)


@pytest.mark.parametrize(
    "text",
    [
        "took 38.5 mg",
        "weight 38.5",
        "she weighs 39 kg",
        "38 days on anakinra",
        "left it at room temperature for 2 hours",
        "warmed the syringe to room temperature",
        "temperature normal",
        "checked her temperature",
    ],
)
def test_AE_INFECTION_numbers_that_are_not_temperatures_and_plain_temperature_words_are_not_a_fever(text):
    assert "fever" not in read(text)


@given(st.decimals(min_value="38.0", max_value="43.0", places=1))
@example(value="38.0")
def test_AE_INFECTION_any_celsius_reading_from_38_is_a_fever_in_every_form(value):
    for text in (f"temp {value}", f"{value}C", f"{value} °C", f"{value} degrees", f"fever of {value}"):
        assert level(text) == CALL_DOCTOR_NOW, text


@given(st.decimals(min_value="34.0", max_value="37.9", places=1))
def test_AE_INFECTION_any_celsius_reading_below_38_is_not_a_fever(value):
    for text in (f"temp {value}", f"{value}C", f"{value} °C", f"temperature {value}".replace(".", ",")):
        assert level(text) == TELL_DOCTOR_IF_PERSISTS, text


@given(st.decimals(min_value="93.0", max_value="111.0", places=1))
def test_AE_INFECTION_fahrenheit_readings_are_a_fever_from_100_4(value):
    for text in (f"temp {value}", f"{value} F", f"{value}°F"):
        assert (level(text) == CALL_DOCTOR_NOW) is (value >= Decimal(str(symptom_text.FEVER_FROM_FAHRENHEIT))), text


# --- what is not a serious sign ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "sore arm where I injected",
        "my arm is sore, throat is fine",
        "my stomach hurts and chest is ok",
        "a little fluid at the shot spot",
        "red and swollen where I injected",
        "sneezing a lot",
        "rushes of tiredness",
        "a tough day",
        "fewer headaches",
        "the painted wall",
        "runny nose",
        "can't breathe through my nose",
        "a hot water bottle helped her tummy",
        "headache and nausea",
        "it took a cold pack to settle",
        "flu jab last week",
        "had the covid vaccine yesterday",
        "afebrile",
        "injected 100 mg at 8",
    ],
)
def test_AE_COMMON_ordinary_wordings_are_not_read_as_serious(text):
    result = triage.triage("other", "mild", text)
    assert result.level == TELL_DOCTOR_IF_PERSISTS, result.findings
    assert not result.alert_care_team


@pytest.mark.parametrize(
    "text",
    [
        "no fever",
        "No fever.",
        "headache, no fever",
        "she doesn't have a fever",
        "no signs of infection",
        "without a rash",
        "not feverish",
        "fever-free for 2 days",
        "no fever, chills or cough",
        "no fever or chills",
        "denies sore throat",
        "throat is not sore",
        "my throat isn't sore",
        "covid test negative",
        "no trouble breathing",
        "no shortness of breath",
        "no temperature",
        "no headache or sore throat",
        "no nausea, vomiting or fever",
    ],
)
def test_AE_SERIOUS_a_negated_sign_is_set_aside(text):
    result = triage.triage("other", "mild", text)
    assert result.level == TELL_DOCTOR_IF_PERSISTS and not result.alert_care_team
    assert result.set_aside


@pytest.mark.parametrize(
    "text",
    [
        "not sure if it's a fever",
        "no fever and a cough",
        "no fever, cough since monday",
        "no rash but a sore throat",
        "doesn't stop coughing",
        "the cough is not getting better",
        "never had such a bad cough",
        "no sleep because of the cough",
        "no, she has a fever",
        "no fever yesterday; today temp 38.4",
        "fever gone but chills",
    ],
)
def test_AE_SERIOUS_in_doubt_a_negation_does_not_set_the_sign_aside(text):
    assert level(text) == CALL_DOCTOR_NOW


@pytest.mark.parametrize("code", ["fever", "infection", "rash", "cough_wheeze_chest", "flu_like"])
def test_AE_SERIOUS_a_negation_in_the_text_never_lowers_a_symptom_chosen_from_the_list(code):
    result = triage.triage(code, "mild", "no fever, no rash, no cough, no sore throat, not flu")
    assert result.level == CALL_DOCTOR_NOW and result.alert_care_team


def test_AE_ALLERGY_a_negated_emergency_still_counts_when_the_list_says_emergency():
    assert triage.triage("allergic_reaction", "mild", "no swelling of the face").level == EMERGENCY


# --- properties -------------------------------------------------------------------------------

_ANY_TEXT = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz .,'-0123456789°"), max_size=80)
_SENTENCES = st.lists(
    st.sampled_from([t for texts in WORDINGS.values() for t in texts] + ["no fever", "fine"]), max_size=4
)


@given(_ANY_TEXT, st.sampled_from(sorted(triage.SYMPTOMS)), st.sampled_from(triage.SEVERITIES))
def test_free_text_never_lowers_the_level_of_the_chosen_symptom(text, code, severity):
    rank = {TELL_DOCTOR_IF_PERSISTS: 0, CALL_DOCTOR_NOW: 1, EMERGENCY: 2}
    assert rank[triage.triage(code, severity, text).level] >= rank[triage.triage(code, severity, "").level]


@given(_SENTENCES)
def test_AE_SERIOUS_case_and_curly_apostrophes_do_not_change_the_reading(sentences):
    text = ". ".join(sentences)
    assert read(text.upper().replace("'", "\u2019")) == read(text)


@given(_SENTENCES, _SENTENCES)
def test_AE_SERIOUS_adding_a_sentence_never_loses_a_sign(first, second):
    one, two = ". ".join(first), ". ".join(second)
    assert read(one) <= read(f"{one}. {two}")


def test_common_english_words_near_a_symptom_word_are_never_bent_into_one():
    for word in ["rushes", "sneezing", "painted", "tough", "rough", "fewer", "dwelling", "threat", "chess", "chilli"]:
        assert symptom_text.lemma(word) == word
