"""Adherence and proportion of days covered, computed by hand for small fixed histories.

Each expected number is worked out in the comment above it; the functions must give
exactly that number (Fractions, not floats).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from doses import adherence
from doses.adherence import Pickup, RegimenPeriod, SlotFact

D0 = date(2026, 3, 2)  # a Monday
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
DAILY = Fraction(1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def slot(n_days_before_now: float, status: str, **extra) -> SlotFact:
    at = NOW - timedelta(days=n_days_before_now)
    return SlotFact(at, status, at.date(), **extra)


def pdc(pickups, periods, start=0, end=29):
    return adherence.proportion_of_days_covered(pickups, periods, start=day(start), end=day(end))


# --- doses logged / doses due ------------------------------------------------------


def test_adherence_counts_taken_over_every_dose_due_in_the_window():
    # 10 daily doses in the last 10 days: 7 taken, 2 missed, 1 not taken -> 7/10.
    statuses = ["taken"] * 7 + ["missed", "missed", "not_taken"]
    slots = [slot(i + 0.5, s) for i, s in enumerate(statuses)]
    result = adherence.dose_adherence(slots, now=NOW, days=30)
    assert (result.numerator, result.denominator) == (7, 10)
    assert result.percent == 70
    assert result.below_threshold


def test_adherence_window_excludes_older_and_future_doses_and_counts_overdue_as_due():
    slots = [
        slot(31, "taken"),  # older than 30 days: not in the window
        slot(29.9, "taken"),
        slot(0.1, "pending"),  # due an hour ago, not logged yet: due, not logged
        slot(-0.5, "pending"),  # tomorrow: not due yet
    ]
    result = adherence.dose_adherence(slots, now=NOW, days=30)
    assert (result.numerator, result.denominator) == (1, 2)


def test_adherence_with_nothing_due_is_unknown_not_zero():
    result = adherence.dose_adherence([], now=NOW, days=30)
    assert result.value is None and result.percent is None and not result.below_threshold


def test_adherence_of_a_split_paediatric_dose_counts_each_administration():
    # DOSE-PED-STEP: two administrations a day over 5 days = 10 due; the evening dose was
    # missed on 2 days -> 8/10 = 80%, which is not below the threshold.
    slots = []
    for d in range(5):
        slots.append(slot(d + 0.6, "taken"))
        slots.append(slot(d + 0.1, "missed" if d in (1, 3) else "taken"))
    result = adherence.dose_adherence(slots, now=NOW, days=30)
    assert result.value == Fraction(8, 10)
    assert not result.below_threshold


def test_missed_run_counts_back_to_the_last_taken_dose_skipping_pending():
    slots = [
        slot(6, "missed"),
        slot(5, "taken"),
        slot(4, "missed"),
        slot(3, "not_taken"),
        slot(2, "pending"),  # not yet marked: neither extends nor breaks the run
        slot(1, "missed"),
        slot(-1, "pending"),  # future
    ]
    assert adherence.missed_run(slots, now=NOW) == 3
    assert adherence.missed_run([slot(1, "taken")], now=NOW) == 0
    assert adherence.missed_run([], now=NOW) == 0


def test_weekly_adherence_groups_by_local_week_monday_first():
    now = datetime.combine(day(13), datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
    facts = []
    for n in range(14):  # two weeks of daily 08:00 doses
        at = datetime.combine(day(n), datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
        facts.append(SlotFact(at, "missed" if n in (2, 9, 10) else "taken", day(n)))
    bars = adherence.weekly_adherence(facts, first_monday=D0, weeks=2, now=now)
    assert [(b.starts_on, b.adherence.numerator, b.adherence.denominator) for b in bars] == [
        (day(0), 6, 7),
        (day(7), 5, 7),
    ]


def test_late_dose_and_day_state_take_the_worst_dose_of_a_split_day():
    on_time = SlotFact(NOW, "taken", NOW.date(), taken_at=NOW + timedelta(minutes=30))
    late = SlotFact(NOW, "taken", NOW.date(), taken_at=NOW + timedelta(hours=3))
    missed = SlotFact(NOW, "missed", NOW.date())
    assert adherence.day_state([on_time]) == "taken"
    assert adherence.day_state([on_time, late]) == "late"
    assert adherence.day_state([late, missed]) == "missed"
    assert adherence.day_state([]) == "none"


# --- proportion of days covered (PQA) ------------------------------------------------


def test_pdc_counts_a_gap_between_supplies_as_uncovered():
    # Daily, 30-day period. 14 syringes on day 0 cover days 0-13; nothing on days 14-19;
    # 14 syringes on day 20 cover days 20-29 (10 days, 4 left over). 24/30 = 80%: adherent.
    result = pdc([Pickup(day(0), 14), Pickup(day(20), 14)], [RegimenPeriod(day(0), None, DAILY)])
    assert (result.covered_days, result.period_days) == (24, 30)
    assert result.percent == 80
    assert result.adherent is True


def test_pdc_carries_an_early_refill_forward():
    # 14 on day 0, 14 more on day 10 (4 still on hand). Without carrying forward the
    # overlap would be lost (days 0-23 = 24). Carried forward: day 0-9 use 10 (4 left),
    # day 10: 18 on hand, covering days 10-27 -> days 0-27 = 28 of 30.
    result = pdc([Pickup(day(0), 14), Pickup(day(10), 14)], [RegimenPeriod(day(0), None, DAILY)])
    assert (result.covered_days, result.period_days) == (28, 30)
    assert result.ratio.value == Fraction(28, 30)


def test_pdc_is_capped_at_the_period():
    # 90 syringes on day 0 last far beyond the 30-day period: 30/30, never more.
    result = pdc([Pickup(day(0), 90)], [RegimenPeriod(day(0), None, DAILY)])
    assert (result.covered_days, result.period_days) == (30, 30)


def test_pdc_of_an_every_other_day_regimen_uses_half_a_syringe_a_day():
    # SCHED-RENAL: 100 mg every other day = 0.5 syringes a day. 7 syringes cover 14 days
    # (days 0-13) of the 30: 14/30.
    rate = adherence.syringes_per_day(
        dose_per_administration_mg=Decimal("100"), administrations_per_day=1, interval_days=2
    )
    assert rate == Fraction(1, 2)
    result = pdc([Pickup(day(0), 7)], [RegimenPeriod(day(0), None, rate)])
    assert (result.covered_days, result.period_days) == (14, 30)
    assert result.adherent is False


def test_pdc_follows_a_regimen_change_part_way_through_a_supply():
    # Daily until day 10, then every other day. 14 syringes on day 0: days 0-9 use 10
    # (4 left); from day 10 at 0.5 a day the 4 cover 8 days (10-17). 18/30 = 60%.
    periods = [RegimenPeriod(day(0), day(10), DAILY), RegimenPeriod(day(10), None, Fraction(1, 2))]
    result = pdc([Pickup(day(0), 14)], periods)
    assert (result.covered_days, result.period_days) == (18, 30)
    assert result.percent == 60


def test_pdc_leaves_out_days_between_regimens():
    # Regimen A days 0-9, nothing on days 10-14, regimen B from day 15 (both daily).
    # 30 syringes on day 0: days 0-9 use 10 (20 left, nothing used while off treatment),
    # days 15-29 use 15. Days in the period on a regimen: 10 + 15 = 25, all covered.
    periods = [RegimenPeriod(day(0), day(10), DAILY), RegimenPeriod(day(15), None, DAILY)]
    result = pdc([Pickup(day(0), 30)], periods)
    assert (result.covered_days, result.period_days) == (25, 25)


def test_pdc_of_a_childs_split_weight_based_dose():
    # A 20 kg child on 3 mg/kg/day = 60 mg, split into 2 x 30 mg (DOSE-PED-STEP): one
    # syringe per administration (PREP-ONCE) = 2 syringes a day. 28 syringes on day 0
    # cover 14 days of a 20-day period: 14/20 = 70%, not adherent.
    rate = adherence.syringes_per_day(
        dose_per_administration_mg=Decimal("30"), administrations_per_day=2, interval_days=1
    )
    assert rate == 2
    result = pdc([Pickup(day(0), 28)], [RegimenPeriod(day(0), None, rate)], end=19)
    assert (result.covered_days, result.period_days) == (14, 20)
    assert result.percent == 70 and result.adherent is False


def test_pdc_of_a_child_dose_above_one_syringe():
    # 40 kg x 5 mg/kg = 200 mg once a day: 2 syringes per dose. 21 syringes on day 0:
    # 10 days covered (day 10 needs 2, only 1 left), then 7 on day 12 add to the 1 left
    # = 8, covering days 12-15. Period days 0-19: 10 + 4 = 14 of 20.
    rate = adherence.syringes_per_day(
        dose_per_administration_mg=Decimal("200"), administrations_per_day=1, interval_days=1
    )
    assert rate == 2
    result = pdc([Pickup(day(0), 21), Pickup(day(12), 7)], [RegimenPeriod(day(0), None, rate)], end=19)
    assert (result.covered_days, result.period_days) == (14, 20)


def test_pdc_starts_at_the_first_pick_up_and_counts_supply_from_before_the_period():
    # Index date (PQA): a first pick-up on day 5 starts the measure there: days 5-29 = 25,
    # covered by 20 syringes -> 20/25.
    result = pdc([Pickup(day(5), 20)], [RegimenPeriod(day(0), None, DAILY)])
    assert (result.covered_days, result.period_days, result.period_start) == (20, 25, day(5))
    # A pick-up 10 days before the period still covers its first days: 28 syringes on
    # day -10 cover days -10..17, so days 0-17 = 18 of 30.
    carried = pdc([Pickup(day(-10), 28)], [RegimenPeriod(day(-10), None, DAILY)])
    assert (carried.covered_days, carried.period_days) == (18, 30)


def test_pdc_without_any_pick_up_is_unknown():
    result = pdc([], [RegimenPeriod(day(0), None, DAILY)])
    assert result.period_start is None and result.percent is None and result.adherent is None


def test_days_of_supply_left_at_the_current_regimen():
    # SUPPLY-BOX: 9 syringes at 100 mg every other day = 9 doses = 18 days;
    # at 2 x 30 mg a day = 4 whole days (8 syringes); none on hand = 0.
    assert (
        adherence.days_of_supply_left(9, dose_per_administration_mg=100, administrations_per_day=1, interval_days=2)
        == 18
    )
    assert (
        adherence.days_of_supply_left(9, dose_per_administration_mg=30, administrations_per_day=2, interval_days=1) == 4
    )
    assert (
        adherence.days_of_supply_left(-2, dose_per_administration_mg=100, administrations_per_day=1, interval_days=1)
        == 0
    )


def test_attention_score_adds_the_points_of_each_flag():
    flags = adherence.attention_flags(
        serious_open=1,
        missed_run_length=2,
        adherence_30=adherence.Ratio(7, 10),
        old_site_reactions=0,
        interactions=0,
        awaiting_confirmation=True,
        next_lab_due=date(2026, 3, 1),
        today=date(2026, 3, 2),
    )
    assert flags == ["serious", "missed_run", "low_adherence", "awaiting", "lab_overdue"]
    assert adherence.attention_score(flags) == 50 + 25 + 20 + 10 + 10
