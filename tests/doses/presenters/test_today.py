"""Today's words (doses/presenters/today.py), from plain values: no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from doses.presenters import today as present
from doses.rules import dose_timing
from doses.rules.emergency_numbers import numbers_for
from doses.selectors.today import MissedDoseAdvice, SlotView, TodayAttention

NEW_YORK = ZoneInfo("America/New_York")
TODAY = date(2026, 11, 25)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


def attention(**facts) -> TodayAttention:
    empty = dict(
        serious_effects=[],
        open_fridge=[],
        unconfirmed_regimen=False,
        proposal=None,
        labs_due=[],
        above_prescribed=None,
        needs_count=False,
    )
    return TodayAttention(**{**empty, **facts})


def items(**facts) -> list[present.AttentionItem]:
    return present.attention_items(attention(**facts), now=at(25, 10), today=TODAY, zone=NEW_YORK)


def view(state: str, scheduled_at: datetime, log_from: datetime, advice=None) -> SlotView:
    slot = SimpleNamespace(scheduled_at=scheduled_at)
    window = dose_timing.DoseWindow(scheduled_at, scheduled_at - timedelta(hours=2), scheduled_at + timedelta(hours=12))
    return SlotView(slot, state, window, scheduled_at + timedelta(days=1), log_from, TODAY, NEW_YORK, advice)


def test_MISS_TAKE_the_advice_names_the_cut_off_and_the_next_dose():
    advice = MissedDoseAdvice("take", "MISS-TAKE", 12, 12, at(25, 20), at(26, 8))
    text = present.missed_dose_advice_text(advice, today=TODAY, zone=NEW_YORK)
    assert text.headline == "Take it now"
    assert "After 20:00 today, skip it instead and take the next dose at 08:00 tomorrow." in text.reason
    # Plain words; the rules go under "Why?" (issue 16).
    assert "MISS-" not in text.reason and text.rule_ids == ("MISS-TAKE", "MISS-SKIP")
    assert text.cut_off == "If your next dose is due within 12 hours, skip the missed one."


def test_MISS_SKIP_a_shorter_cut_off_says_why():
    advice = MissedDoseAdvice("skip", "MISS-SKIP", 6, 12, at(25, 14), at(25, 20))
    text = present.missed_dose_advice_text(advice, today=TODAY, zone=NEW_YORK)
    assert text.headline == "Skip this dose" and text.rule_id == "MISS-SKIP"
    assert text.reason.startswith("Your next dose is due at 20:00 today, so skip the missed one")
    assert "MISS-" not in text.reason and text.rule_ids == ("MISS-SKIP", "MISS-NODOUBLE")
    assert text.cut_off.endswith("(Usually 12 hours; shorter here because your doses are closer together.)")


def test_MISS_NODOUBLE_a_dose_before_its_time_is_never_labelled_due():
    line = present.dose_line(view("early", at(25, 8), at(25, 6)))
    assert line.label == "Can be logged now"
    assert (line.when_text, line.log_from_text) == ("Today 08:00", "06:00")
    assert "Due" not in present.DOSE_STATE_LABELS.values()


def test_a_dose_that_can_be_logged_from_the_day_before_says_which_day():
    line = present.dose_line(view("upcoming", at(26, 0, 30), at(25, 22, 30)))
    assert (line.when_text, line.log_from_text) == ("Tomorrow 00:30", "22:30 today")


def test_a_dose_further_away_is_named_by_its_date():
    assert present.when_text(at(28, 8), today=TODAY, zone=NEW_YORK) == "Sat 28 Nov 08:00"


def test_PREP_24H_a_syringe_out_too_long_asks_for_the_discard_and_a_warming_one_gives_its_use_by():
    expired = SimpleNamespace(pk=1, taken_out_at=at(24, 8), use_by=at(25, 8))
    warming = SimpleNamespace(pk=2, taken_out_at=at(25, 9), use_by=at(26, 9))
    first, second = items(open_fridge=[expired, warming])
    assert (first.level, first.title, first.fridge_syringe_id) == (
        "danger",
        "Do not use the syringe out of the fridge",
        1,
    )
    assert "taken out at 08:00 yesterday" in first.text
    assert (second.level, second.text, second.rule_id) == ("warning", "Use it by 09:00 tomorrow.", "PREP-24H")


def test_AE_LABS_an_overdue_blood_test_is_a_warning_and_one_due_soon_is_information():
    overdue = SimpleNamespace(due_on=date(2026, 11, 20), label="Month 1")
    soon = SimpleNamespace(due_on=date(2026, 11, 30), label="Month 2")
    first, second = items(labs_due=[overdue, soon])
    assert (first.level, first.title) == ("warning", "Blood test overdue since Fri 20 Nov")
    assert (second.level, second.title) == ("info", "Blood test due Mon 30 Nov")
    assert (second.text, second.rule_id) == ("Neutrophil count (Month 2). Keep your lab appointments.", "AE-LABS")


def test_AE_OVERDOSE_the_dose_above_the_prescribed_one_gives_poison_control_and_the_emergency_number():
    above = SimpleNamespace(dose_mg=Decimal("200.0"), prescribed_mg=Decimal("100.00"), taken_at=at(25, 8))
    (item,) = present.attention_items(
        attention(above_prescribed=above), now=at(25, 10), today=TODAY, zone=NEW_YORK, numbers=numbers_for("US")
    )
    assert item.rule_id == "AE-OVERDOSE"
    assert item.text.startswith("200 mg at 08:00 today (prescribed 100 mg). Call Poison Control on 1-800-222-1222.")
    assert "call 911." in item.text


def test_AE_OVERDOSE_in_ireland_the_dose_above_the_prescribed_one_gives_irish_numbers_and_no_911():
    above = SimpleNamespace(dose_mg=Decimal("200.0"), prescribed_mg=Decimal("100.00"), taken_at=at(25, 8))
    (item,) = present.attention_items(
        attention(above_prescribed=above), now=at(25, 10), today=TODAY, zone=NEW_YORK, numbers=numbers_for("IE")
    )
    assert "01 809 2166" in item.text and "call 112 or 999." in item.text
    assert "911" not in item.text


def test_AE_SERIOUS_comes_first_and_SUPPLY_BOX_last():
    effect = SimpleNamespace(description="", symptom="trouble_breathing", started_on=TODAY)
    found = items(serious_effects=[effect], unconfirmed_regimen=True, needs_count=True)
    assert [i.title for i in found] == [
        "Serious symptom: trouble breathing",
        "Regimen not yet confirmed",
        "Count your syringes",
    ]


def test_nothing_to_say_gives_no_attention_items():
    assert items() == []
