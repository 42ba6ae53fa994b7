"""Side-effect catalogue and triage rules (doses/triage.py), by rule ID. No database."""

from datetime import date

import pytest

from doses import triage
from doses.rules.emergency_numbers import numbers_for
from doses.triage import CALL_DOCTOR_NOW, EMERGENCY, TELL_DOCTOR_IF_PERSISTS

US = numbers_for("US")  # MedlinePlus's own numbers, for a patient in the United States

COMMON_CODES = [
    "site_redness",
    "site_itching",
    "site_swelling",
    "site_bruising",
    "site_pain",
    "headache",
    "nausea",
    "diarrhoea",
    "runny_nose",
    "stomach_pain",
]
SERIOUS_CODES = ["rash", "flu_like", "fever", "infection", "cough_wheeze_chest", "hot_red_swollen_skin"]


@pytest.mark.parametrize("code", COMMON_CODES)
def test_AE_COMMON_mild_common_symptom_is_tell_the_doctor_if_it_persists(code):
    result = triage.triage(code, "mild", "")
    assert result.level == TELL_DOCTOR_IF_PERSISTS
    assert "AE-COMMON" in result.rule_ids
    assert not result.alert_care_team
    assert "severe or does not go away" in result.instructions[0]


def test_AE_COMMON_catalogue_holds_every_symptom_the_documents_list():
    labels = " ".join(s.label.lower() for s in triage.SYMPTOMS.values())
    for word in ["redness", "itching", "rash", "swelling", "bruising", "pain", "headache", "nausea", "diarrhoea"]:
        assert word in labels
    for word in ["runny nose", "sinusitis", "stomach pain", "flu-like"]:
        assert word in labels


def test_AE_COMMON_a_severe_common_symptom_means_call_the_doctor():
    result = triage.triage("headache", "severe", "")
    assert result.level == CALL_DOCTOR_NOW
    assert result.alert_care_team
    assert result.alert_rule_id == "AE-COMMON"
    assert "severe" in result.instructions[0]


def test_AE_COMMON_site_reactions_point_to_rotation_and_the_two_week_limit():
    text = " ".join(triage.triage("site_redness", "mild").instructions)
    assert "AE-ISR-DURATION" in text and "SITE-ROTATE" in text


@pytest.mark.parametrize("code", SERIOUS_CODES)
def test_AE_SERIOUS_symptoms_mean_call_the_doctor_now_and_alert_the_team(code):
    result = triage.triage(code, "mild", "")
    assert result.level == CALL_DOCTOR_NOW
    assert result.is_serious and result.alert_care_team
    assert result.alert_rule_id == "AE-SERIOUS"
    assert result.headline == "Call your doctor now"


@pytest.mark.parametrize("code", ["rash", "flu_like"])
def test_AE_SERIOUS_rash_and_flu_like_are_on_both_lists_and_treated_as_serious(code):
    symptom = triage.SYMPTOMS[code]
    assert {"AE-SERIOUS", "AE-COMMON"} <= set(symptom.rule_ids)
    assert triage.triage(code, "mild").level == CALL_DOCTOR_NOW


@pytest.mark.parametrize("code", ["fever", "infection", "flu_like"])
def test_AE_INFECTION_signs_of_infection_say_the_doctor_may_pause_anakinra(code):
    result = triage.triage(code, "moderate")
    assert "AE-INFECTION" in result.rule_ids
    assert any("may pause anakinra" in step for step in result.instructions)


@pytest.mark.parametrize(
    "text",
    [
        "I can't breathe properly",
        "she can\u2019t breathe",
        "he collapsed in the kitchen",
        "had a seizure",
        "we cannot wake him up",
        "throat is swelling",
        "Trouble Breathing after the injection",
    ],
)
def test_AE_OVERDOSE_emergency_words_in_free_text_mean_call_911(text):
    result = triage.triage("other", "mild", text, numbers=US)
    assert result.level == EMERGENCY
    assert result.headline == "Emergency: call 911 now"
    assert "911" in result.instructions[0]
    assert "AE-OVERDOSE" in result.rule_ids
    assert result.alert_care_team


def test_AE_ALLERGY_severe_allergic_reaction_means_stop_and_seek_emergency_care():
    result = triage.triage("allergic_reaction", "mild")
    assert result.level == EMERGENCY
    assert "AE-ALLERGY" in result.rule_ids
    assert any("do not inject any more anakinra" in step for step in result.instructions)


def test_AE_ALLERGY_swelling_of_the_face_in_free_text_is_an_allergy_emergency():
    result = triage.triage("rash", "moderate", "her lips are swollen and face is swelling")
    assert result.level == EMERGENCY
    assert "AE-ALLERGY" in result.rule_ids


def test_AE_OVERDOSE_an_overdose_means_call_poison_control():
    result = triage.triage("overdose", "mild", numbers=US)
    assert result.level == CALL_DOCTOR_NOW
    assert result.headline == "Call poison control now"
    assert "1-800-222-1222" in result.instructions[0]
    assert result.alert_rule_id == "AE-OVERDOSE"


def test_AE_OVERDOSE_a_double_dose_with_collapse_gives_911_and_poison_control():
    result = triage.triage("other", "severe", "took a double dose by mistake and then collapsed", numbers=US)
    assert result.level == EMERGENCY
    text = " ".join(result.instructions)
    assert "911" in text and "1-800-222-1222" in text


def test_AE_OVERDOSE_double_dose_in_free_text_is_recognised():
    result = triage.triage("other", "mild", "Gave two doses today")
    assert "AE-OVERDOSE" in result.rule_ids
    assert result.level == CALL_DOCTOR_NOW


@pytest.mark.parametrize("code", SERIOUS_CODES + ["allergic_reaction", "collapse", "overdose"])
def test_AE_REPORT_serious_symptoms_mention_medwatch(code):
    result = triage.triage(code, "mild", numbers=US)
    assert "AE-REPORT" in result.rule_ids
    assert any("1-800-332-1088" in step and "MedWatch" in step for step in result.instructions)


def test_AE_REPORT_a_mild_common_symptom_does_not_suggest_medwatch():
    assert "AE-REPORT" not in triage.triage("nausea", "mild").rule_ids


def test_AE_SERIOUS_serious_words_in_free_text_raise_the_level():
    result = triage.triage("other", "mild", "Got a fever of 39 and chills")
    assert result.level == CALL_DOCTOR_NOW
    assert "AE-SERIOUS" in result.rule_ids
    assert result.matched_words == ("fever of 39", "chills")  # the words as typed, each said once


def test_free_text_never_lowers_the_level():
    assert triage.triage("fever", "mild", "feeling fine otherwise").level == CALL_DOCTOR_NOW


def test_harmless_words_do_not_raise_the_level():
    # "fluid" is not "flu"; "shot" is not "hot".
    assert triage.triage("other", "mild", "a little fluid at the shot spot").level == TELL_DOCTOR_IF_PERSISTS


def test_unknown_symptom_code_is_refused():
    with pytest.raises(triage.UnknownSymptom):
        triage.triage("broken_leg", "mild")


def test_unknown_severity_is_refused():
    with pytest.raises(ValueError):
        triage.triage("headache", "catastrophic")


@pytest.mark.parametrize(
    "started_on,today,flagged",
    [
        (date(2026, 3, 1), date(2026, 3, 15), False),  # exactly 14 days: still within "1-2 weeks"
        (date(2026, 3, 1), date(2026, 3, 16), True),
        (date(2026, 3, 1), date(2026, 3, 2), False),
    ],
)
def test_AE_ISR_DURATION_a_site_reaction_over_two_weeks_is_persistent(started_on, today, flagged):
    assert triage.is_persistent_site_reaction(started_on, today) is flagged


def test_AE_OVERDOSE_poison_control_is_offered_only_for_an_overdose():
    assert not triage.triage("allergic_reaction", "severe").overdose
    assert not any("poison control" in step for step in triage.triage("allergic_reaction", "severe").instructions)
    assert triage.triage("other", "mild", "gave an extra dose by mistake").overdose


def test_AE_OVERDOSE_a_patient_in_great_britain_is_told_999_and_nhs_111_not_911():
    result = triage.triage("other", "severe", "took a double dose by mistake and then collapsed", numbers=numbers_for("GB"))
    text = " ".join(result.instructions)
    assert result.headline == "Emergency: call 999 now"
    assert "NHS 111 on 111" in text and "Yellow Card" in text
    assert "911" not in text and "1-800" not in text and "MedWatch" not in text


def test_AE_OVERDOSE_without_a_known_country_the_advice_names_no_number():
    result = triage.triage("overdose", "mild", "then she collapsed")
    text = " ".join((result.headline, *result.instructions))
    assert result.headline == "Emergency: call your local emergency number now"
    assert "your local poison centre" in text
    assert "911" not in text and "1-800" not in text and "MedWatch" not in text


def test_AE_REPORT_a_patient_in_australia_is_pointed_to_the_tga():
    result = triage.triage("fever", "mild", numbers=numbers_for("AU"))
    assert any("https://www.tga.gov.au/reporting-problems" in step for step in result.instructions)
    assert any("Call 000 now" in step for step in result.instructions)
