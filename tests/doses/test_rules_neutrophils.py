"""AE-NEUTROPENIA and the neutrophil trend (issue 15, part 2): pure rules, hand-computed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from doses.rules import lab_checks


def test_AE_NEUTROPENIA_below_1_5_before_the_first_dose_holds_the_start():
    assert lab_checks.neutrophil_action(Decimal("1.4"), treatment_started=False) == lab_checks.HOLD_START


def test_AE_NEUTROPENIA_below_1_5_during_treatment_alerts_at_once():
    assert lab_checks.neutrophil_action(Decimal("1.49"), treatment_started=True) == lab_checks.ALERT_NOW


def test_AE_NEUTROPENIA_1_5_and_above_asks_for_nothing():
    assert lab_checks.neutrophil_action(Decimal("1.5"), treatment_started=False) is None
    assert lab_checks.neutrophil_action(Decimal("4.2"), treatment_started=True) is None
    assert not lab_checks.is_neutropenic(None)


def test_AE_LABS_the_trend_is_in_date_order_with_the_change_since_the_last_count():
    points = lab_checks.neutrophil_trend(
        [
            ("Month 1", date(2026, 4, 2), Decimal("2.10")),
            ("Before starting", date(2026, 3, 1), Decimal("3.40")),
            ("Month 2", date(2026, 5, 2), Decimal("1.20")),
        ]
    )
    assert [p.label for p in points] == ["Before starting", "Month 1", "Month 2"]
    assert [p.change for p in points] == [None, Decimal("-1.30"), Decimal("-0.90")]
    assert [p.below_threshold for p in points] == [False, False, True]


def test_AE_LABS_the_baseline_count_is_due_before_the_first_dose_not_on_its_day():
    first_dose = date(2026, 3, 10)
    checks = lab_checks.neutrophil_check_dates(first_dose)
    assert checks[0] == (date(2026, 3, 9), "Before starting")
    assert checks[1] == (date(2026, 4, 10), "Month 1")  # the monthly ones still count from the first dose
