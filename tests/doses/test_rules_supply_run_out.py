"""SUPPLY-BOX: when the syringes on hand run out, and when that is low enough for a refill."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from doses.rules import syringe_supply

WED = date(2026, 11, 25)


def day(offset: int) -> date:
    return WED + timedelta(days=offset)


def last(on_hand, *, upcoming, per_dose=1, interval=1, per_day=1):
    return syringe_supply.last_dose_covered(
        on_hand,
        syringes_per_dose=per_dose,
        upcoming=upcoming,
        interval_days=interval,
        administrations_per_day=per_day,
        today=WED,
    )


def test_SUPPLY_BOX_the_last_dose_covered_is_the_nth_dose_still_to_give():
    assert last(2, upcoming=[day(0), day(1), day(2)]) == day(1)
    assert last(1, upcoming=[day(1), day(2)]) == day(1)


def test_SUPPLY_BOX_no_syringe_for_the_next_dose_is_none():
    assert last(0, upcoming=[day(0)]) is None
    assert last(1, upcoming=[day(0)], per_dose=2) is None  # a dose above 100 mg takes two (PREP-ONCE)
    assert last(-3, upcoming=[day(0)]) is None  # a ledger below zero counts as none


def test_SUPPLY_BOX_SCHED_RENAL_every_other_day_follows_the_schedule_then_steps_two_days():
    assert last(2, upcoming=[day(1), day(3)], interval=2) == day(3)
    assert last(4, upcoming=[day(1), day(3)], interval=2) == day(7)  # beyond the slots: every 2 days


def test_SUPPLY_BOX_DOSE_PED_STEP_a_split_dose_uses_two_syringes_a_day():
    assert last(3, upcoming=[day(0), day(0), day(1), day(1)], per_day=2) == day(1)
    assert last(6, upcoming=[day(0), day(0)], per_day=2) == day(2)


def test_SUPPLY_BOX_with_no_dose_materialised_the_doses_start_today():
    assert last(3, upcoming=[]) == day(2)


@pytest.mark.parametrize("days_left,threshold,low", [(4, 3, False), (3, 3, True), (0, 3, True), (5, 5, True)])
def test_SUPPLY_BOX_a_refill_is_needed_at_or_below_the_threshold(days_left, threshold, low):
    assert syringe_supply.needs_refill(days_left, refill_days=threshold) is low
