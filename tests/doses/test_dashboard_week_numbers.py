"""The weekly chart's integer shortcut gives the same percent and 80% verdict as Ratio."""

from __future__ import annotations

from datetime import date

from doses.adherence import Ratio, WeekBar
from doses.charts import week_numbers


def test_week_numbers_agree_with_ratio_for_every_count_of_doses_in_a_week():
    for due in range(0, 29):  # up to two doses a day for two weeks
        for logged in range(0, due + 1):
            ratio = Ratio(logged, due)
            assert week_numbers(WeekBar(date(2026, 1, 5), ratio)) == (ratio.percent, ratio.below_threshold), (
                logged,
                due,
            )
