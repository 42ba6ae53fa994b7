"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript, no CDN).

Pure presentation data: takes the selectors' rows and returns coordinates, numbers and
the words of each title, so the templates (templates/jinja2/doses/dashboard/_calendar.html,
_weekly.html, _body_map.html) only draw. Every day state has its own shape *and*
letter, never colour alone (a `<symbol>` per state, drawn with `<use>`), and every
chart has a text alternative in the template.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import sites
from .adherence import ADHERENT_THRESHOLD, Ratio, WeekBar

CELL = 22
GAP = 4
LEFT = 36
TOP = 20

# state -> (shape, letter, words): the legend and the screen-reader table use the same words.
DAY_STYLES = {
    "taken": ("circle", "✓", "Taken"),
    "late": ("diamond", "L", "Taken late (over 2 hours)"),
    "pending": ("ring", "?", "Due, not logged yet"),
    "not_taken": ("square", "N", "Not taken (reason given)"),
    "missed": ("cross", "M", "Missed"),
    "held": ("square", "H", "On hold (clinician or automatic hold)"),
    "none": ("dot", "", "No dose scheduled"),
}
WEEKDAYS = ["Mon", "", "Wed", "", "Fri", "", "Sun"]


@dataclass(frozen=True)
class Cell:
    """One day of the calendar: where its state's symbol goes and what its title says."""

    x: int
    y: int
    state: str
    title: str


@dataclass(frozen=True)
class DayStyle:
    state: str
    shape: str
    letter: str
    words: str


def day_styles() -> list[DayStyle]:
    """The symbols and the legend: one per day state, in the legend's order."""
    return [DayStyle(state, shape, letter, words) for state, (shape, letter, words) in DAY_STYLES.items()]


def calendar(weeks) -> dict:
    """A week-per-column heat map: rows Monday..Sunday, one column per week."""
    cells, months = [], []
    last_month = None
    for w, week in enumerate(weeks):
        x = LEFT + w * (CELL + GAP)
        first_in_range = next((d for d in week if d.state != "outside"), None)
        if first_in_range is not None and first_in_range.day.month != last_month:
            last_month = first_in_range.day.month
            months.append({"x": x, "label": f"{first_in_range.day:%b}"})
        for d, day in enumerate(week):
            if day.state == "outside":
                continue
            words = DAY_STYLES[day.state][2]
            reasons = ", ".join(dose.not_taken_reason for dose in day.doses if dose.not_taken_reason)
            title = f"{day.day:%a %d %b %Y}: {words}" + (f" ({reasons})" if reasons else "")
            cells.append(Cell(x, TOP + d * (CELL + GAP), day.state, title))
    width = LEFT + max(len(weeks), 1) * (CELL + GAP)
    height = TOP + 7 * (CELL + GAP)
    weekday_labels = [
        {"y": TOP + i * (CELL + GAP) + CELL // 2 + 4, "label": label} for i, label in enumerate(WEEKDAYS) if label
    ]
    return {
        "cells": cells,
        "months": months,
        "weekdays": weekday_labels,
        "width": width,
        "height": height,
        "size": CELL,
    }


BAR_WIDTH = 18
BAR_GAP = 6
BAR_AREA = 120  # pixels for 0-100%


def week_numbers(week: WeekBar) -> tuple[int | None, bool]:
    """The week's percent and whether it is below 80% (`ratio_numbers`)."""
    return ratio_numbers(week.adherence)


def ratio_numbers(ratio: Ratio) -> tuple[int | None, bool]:
    """A ratio's percent and whether it is below 80% (the panel's cells and the weekly bars)."""
    return ratio.percent, ratio.below_threshold


def weekly_bars(weeks: list[WeekBar]) -> dict:
    bars = []
    for i, week in enumerate(weeks):
        x = LEFT + i * (BAR_WIDTH + BAR_GAP)
        percent, below = week_numbers(week)
        height = 0 if percent is None else round(BAR_AREA * percent / 100)
        bars.append(
            {
                "x": x,
                "y": TOP + BAR_AREA - height,
                "height": height,
                "percent": percent,
                "below": below,
                "label_y": TOP + BAR_AREA - height - 3,
                "starts_on": week.starts_on,
                "logged": week.adherence.numerator,
                "due": week.adherence.denominator,
                "title": f"Week of {week.starts_on:%d %b}: "
                + (
                    "nothing due"
                    if percent is None
                    else f"{percent}% ({week.adherence.numerator}/{week.adherence.denominator})"
                ),
            }
        )
    threshold_y = TOP + BAR_AREA - round(BAR_AREA * ADHERENT_THRESHOLD)
    return {
        "bars": bars,
        "width": LEFT + max(len(weeks), 1) * (BAR_WIDTH + BAR_GAP),
        "height": TOP + BAR_AREA + 24,
        "bar_width": BAR_WIDTH,
        "baseline_y": TOP + BAR_AREA,
        "threshold_y": threshold_y,
        "axis": [{"y": TOP + BAR_AREA - round(BAR_AREA * p / 100), "label": f"{p}%"} for p in (0, 50, 100)],
    }


# Zone rectangles on a schematic front (left figure) and back (right figure) view.
# Front view: the patient's right is on the viewer's left; back view: the other way round.
ZONE_BOXES = {
    "abdomen-right": (58, 96, 21, 40),
    "abdomen-left": (81, 96, 21, 40),
    "thigh-right": (57, 160, 21, 56),
    "thigh-left": (82, 160, 21, 56),
    "arm-left": (195, 54, 18, 46),
    "arm-right": (267, 54, 18, 46),
    "buttock-left": (217, 140, 21, 36),
    "buttock-right": (242, 140, 21, 36),
}


def body_map(zone_counts: list[tuple[sites.Zone, int]]) -> dict:
    top = max((n for _, n in zone_counts), default=0)
    zones = []
    for zone, count in zone_counts:
        x, y, w, h = ZONE_BOXES[zone.code]
        level = 0 if not count or not top else min(4, 1 + (4 * count - 1) // top)
        zones.append(
            {
                "code": zone.code,
                "label": zone.label,
                "count": count,
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "tx": x + w // 2,
                "ty": y + h // 2 + 5,
                "level": level,
                "self_injection": zone.self_injection,
            }
        )
    return {"zones": zones, "width": 320, "height": 300}
