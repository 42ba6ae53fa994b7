"""The records pages' words (doses/presenters/records.py): no database."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from doses import triage
from doses.models import Injection, SideEffect
from doses.presenters import records as present


def test_a_symptom_is_named_by_the_list_or_by_the_familys_own_words():
    known = next(iter(triage.SYMPTOMS.values()))
    assert present.symptom_label(symptom=known.code, description="") == known.label
    assert present.symptom_label(symptom=triage.OTHER, description="Itchy ear") == "Itchy ear"
    assert present.symptom_label(symptom=triage.OTHER, description="") == "Something else"
    assert present.symptom_label(symptom="retired_code", description="") == "retired_code"


def test_SUPPLY_BOX_a_count_says_the_change_with_its_sign():
    assert present.count_message(change=0) == "Count saved (no change); the earlier history is kept."
    assert present.count_message(change=-2) == "Count saved (-2 syringes); the earlier history is kept."
    assert present.pickup_message(boxes=1, syringes=7) == "Pick-up recorded: 1 box(es), 7 syringes."


def test_PREP_24H_the_syringe_out_of_the_fridge_gives_its_use_by():
    use_by = datetime(2026, 11, 26, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    assert present.fridge_out_message(use_by=use_by) == "Noted. Use this syringe by Thu 26 Nov 09:30 (PREP-24H)."


def test_AE_INFECTION_the_reading_of_a_description_says_each_sign_each_temperature_and_what_was_set_aside():
    result = triage.triage("other", "mild", "throat is sore, temp 101 tonight, no rash")
    assert present.description_reading(result) == [
        "“throat is sore”: a sore throat.",
        "“temp 101”: 101 °F (no unit typed: read as °F from the value), a fever (38 °C / 100.4 °F or more).",
        "“rash”: not counted, the description says it is not there.",
    ]


def test_AE_INFECTION_a_reading_below_a_fever_is_shown_as_such():
    result = triage.triage("other", "mild", "temp 37.2 C")
    assert present.description_reading(result) == ["“temp 37.2 c”: 37.2 °C, below a fever (38 °C / 100.4 °F)."]
    assert present.description_reading(triage.triage("headache", "mild")) == []


# --- the history's side effects (issue 16, point 6) ------------------------------------------


def test_a_side_effect_in_the_history_reads_as_its_label_with_the_familys_words_beside_it():
    london = ZoneInfo("Europe/London")
    injection = Injection(site_spot="thigh-right-6", taken_at=datetime(2026, 3, 29, 23, 30, tzinfo=ZoneInfo("UTC")))
    effect = SideEffect(pk=7, symptom="site_redness", description="Red patch", started_on=date(2026, 3, 30))
    effect.injection = injection
    entry = present.side_effect_entry(effect, london)
    assert (entry.label, entry.note) == ("Redness where I injected", "Red patch")
    # The injection's local day (British Summer Time began that night) and its spot in words.
    assert entry.injection_day == date(2026, 3, 30)
    assert entry.injection_site == "Right thigh, front/outer, spot 6"


def test_something_else_reads_as_the_familys_own_words_once():
    effect = SideEffect(pk=8, symptom="other", description="Tingling toes", started_on=date(2026, 1, 2))
    entry = present.side_effect_entry(effect, ZoneInfo("Europe/London"))
    assert (entry.label, entry.note, entry.injection_day, entry.injection_site) == ("Tingling toes", "", None, "")


def test_a_spot_the_body_map_no_longer_has_is_kept_as_stored():
    assert present.site_label("thigh-right-6") == "Right thigh, front/outer, spot 6"
    assert present.site_label("elbow-1") == "elbow-1"
