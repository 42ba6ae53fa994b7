"""Plain words and the rules behind them (issue 16, point 3): doses/presenters/advice.py and
catalogue.split_rule_ids, without a database."""

from __future__ import annotations

from doses.presenters.advice import Advice, rules_of
from doses.rules import catalogue


def test_DOSE_PED_MAX_a_rule_message_loses_its_citation_and_keeps_the_id_aside():
    advice = Advice.plain(
        "9 mg/kg/day is above the labelled maximum of 8 mg/kg/day (DOSE-PED-MAX): a clinician decides."
    )
    assert advice.text == "9 mg/kg/day is above the labelled maximum of 8 mg/kg/day: a clinician decides."
    assert advice.rule_ids == ("DOSE-PED-MAX",)
    assert [rule.source for rule in advice.rules] == ["label"]


def test_DOSE_PED_START_words_in_the_same_brackets_stay():
    assert catalogue.split_rule_ids("usual starting dose (1-2 mg/kg/day, DOSE-PED-START)") == (
        "usual starting dose (1-2 mg/kg/day)",
        ("DOSE-PED-START",),
    )
    assert catalogue.split_rule_ids("Storage (STORE): in the fridge (not frozen).") == (
        "Storage: in the fridge (not frozen).",
        ("STORE",),
    )


def test_AE_LABS_rules_are_gathered_once_from_ids_sentences_and_stored_flags():
    found = rules_of(
        "AE-LABS AE-NEUTROPENIA",
        ["Keep your lab appointments (AE-LABS).", {"rule_id": "DOSE-PED-STEP", "text": "not a step"}],
        Advice("x", ("MISS-SKIP",)),
        "TX-HOLD",
    )
    assert [rule.id for rule in found] == ["AE-LABS", "AE-NEUTROPENIA", "DOSE-PED-STEP", "MISS-SKIP", "TX-HOLD"]
    assert found[-1].summary  # this app's own hold rule has words too


def test_a_rules_source_is_written_out_for_a_patient():
    assert catalogue.RULES["DOSE-SYRINGE"].source_words == "MedlinePlus, US prescribing information (Kineret label)"
    assert catalogue.RULES["AE-NEUTROPENIA"].source_words == "EU product information (Kineret SmPC)"
