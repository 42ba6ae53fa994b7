"""Pure rules of holds: which logged symptoms hold treatment (AE-ALLERGY), and held doses and
days in the adherence measures (doses/adherence.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from doses import adherence, triage
from doses.adherence import HELD, MISSED, TAKEN, Pickup, RegimenPeriod, SlotFact


def holds(symptom, severity="mild", text="", injection=False) -> bool:
    result = triage.triage(symptom, severity, text)
    return triage.holds_treatment_for_allergy(
        result, symptom_code=symptom, severity=severity, free_text=text, linked_to_injection=injection
    )


@pytest.mark.parametrize(
    "symptom, severity, text, injection",
    [
        ("allergic_reaction", "mild", "", False),  # the catalogue's severe allergic reaction, whatever the severity
        ("allergic_reaction", "severe", "", True),
        ("other", "moderate", "anaphylaxis", False),
        ("other", "mild", "her lips are swelling", False),
        ("other", "moderate", "throat is closing", False),
        ("rash", "moderate", "face swollen after the injection", False),
        ("other", "moderate", "trouble breathing", True),  # after an injection
        ("other", "severe", "allergic reaction, hives all over", False),
        ("rash", "severe", "hives", False),
    ],
)
def test_AE_ALLERGY_a_severe_allergic_reaction_holds_treatment(symptom, severity, text, injection):
    assert holds(symptom, severity, text, injection)


@pytest.mark.parametrize(
    "symptom, severity, text, injection",
    [
        ("rash", "mild", "", True),
        ("site_redness", "severe", "", True),
        ("fever", "severe", "", False),
        ("other", "moderate", "trouble breathing", False),  # not linked to an injection: AE-OVERDOSE's 911 advice
        ("other", "mild", "allergic to cats, sneezing", False),  # not severe
        ("collapse", "severe", "", False),
    ],
)
def test_AE_ALLERGY_other_symptoms_do_not_hold_treatment(symptom, severity, text, injection):
    assert not holds(symptom, severity, text, injection)


NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def facts(statuses: list[str]) -> list[SlotFact]:
    """One dose a day at 08:00, oldest first, ending yesterday."""
    first = NOW.replace(hour=8) - timedelta(days=len(statuses))
    return [
        SlotFact(first + timedelta(days=i), status, (first + timedelta(days=i)).date())
        for i, status in enumerate(statuses)
    ]


def test_held_doses_are_neither_due_nor_logged():
    ratio = adherence.dose_adherence(facts([TAKEN, TAKEN, HELD, HELD, HELD, TAKEN]), now=NOW, days=30)
    assert (ratio.numerator, ratio.denominator) == (3, 3)


def test_held_doses_neither_extend_nor_break_a_missed_run():
    assert adherence.missed_run(facts([TAKEN, MISSED, HELD, HELD, MISSED]), now=NOW) == 2
    assert adherence.missed_run(facts([MISSED, HELD, TAKEN, HELD]), now=NOW) == 0


def test_a_day_with_only_held_doses_is_held_and_a_taken_dose_wins_over_held():
    (held,) = facts([HELD])
    (taken,) = facts([TAKEN])
    assert adherence.day_state([held]) == "held"
    assert adherence.day_state([held, taken]) == "taken"


def test_weekly_adherence_leaves_held_doses_out():
    slots = facts([TAKEN, HELD, HELD, HELD, HELD, HELD, TAKEN])
    monday = slots[0].local_date - timedelta(days=slots[0].local_date.weekday())
    bars = adherence.weekly_adherence(slots, first_monday=monday, weeks=3, now=NOW)
    assert sum(b.adherence.numerator for b in bars) == 2
    assert sum(b.adherence.denominator for b in bars) == 2


DAILY = [RegimenPeriod(date(2026, 1, 1), None, Fraction(1))]


def test_held_days_are_left_out_of_days_covered_so_a_hold_does_not_hurt():
    # 7 syringes picked up on 1 March; 10 days to 10 March; held 4-6 March.
    base = adherence.proportion_of_days_covered(
        [Pickup(date(2026, 3, 1), 7)], DAILY, start=date(2026, 3, 1), end=date(2026, 3, 10)
    )
    held = adherence.proportion_of_days_covered(
        [Pickup(date(2026, 3, 1), 7)],
        DAILY,
        start=date(2026, 3, 1),
        end=date(2026, 3, 10),
        held=[(date(2026, 3, 4), date(2026, 3, 6))],
    )
    assert (base.covered_days, base.period_days) == (7, 10)
    # Held days use no syringes and are not in the period: the 7 syringes cover all 7 days left.
    assert (held.covered_days, held.period_days) == (7, 7)


def test_held_days_do_not_help_days_covered_either():
    # No syringes at all after the first 3 days; a hold on days without supply is not counted as covered.
    result = adherence.proportion_of_days_covered(
        [Pickup(date(2026, 3, 1), 3)],
        DAILY,
        start=date(2026, 3, 1),
        end=date(2026, 3, 10),
        held=[(date(2026, 3, 5), date(2026, 3, 8))],
    )
    assert (result.covered_days, result.period_days) == (3, 6)
