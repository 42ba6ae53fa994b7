"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript, no CDN).

Pure presentation: takes the selectors' rows and returns coordinates and labels, so the
templates only draw. Every state has its own shape *and* letter, never colour alone,
and every chart has a text alternative in the template.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import sites
from .adherence import ADHERENT_THRESHOLD, WeekBar

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
    "none": ("dot", "", "No dose scheduled"),
}
WEEKDAYS = ["Mon", "", "Wed", "", "Fri", "", "Sun"]


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    cx: int
    cy: int
    state: str
    shape: str
    letter: str
    title: str

    @property
    def diamond(self) -> str:
        return f"{self.cx},{self.y} {self.x + CELL},{self.cy} {self.cx},{self.y + CELL} {self.x},{self.cy}"


def calendar(weeks) -> dict:
    """A week-per-column heat map: rows Monday..Sunday, one column per week."""
    cells, months = [], []
    last_month = None
    for w, week in enumerate(weeks):
        x = LEFT + w * (CELL + GAP)
        first_in_range = next((d for d in week if d.state != "outside"), None)
        if first_in_range is not None and first_in_range.day.month != last_month:
            last_month = first_in_range.day.month
            months.append({"x": x, "label": first_in_range.day.strftime("%b")})
        for d, day in enumerate(week):
            if day.state == "outside":
                continue
            y = TOP + d * (CELL + GAP)
            shape, letter, words = DAY_STYLES[day.state]
            reasons = ", ".join(dose.not_taken_reason for dose in day.doses if dose.not_taken_reason)
            title = f"{day.day:%a %d %b %Y}: {words}" + (f" ({reasons})" if reasons else "")
            cells.append(Cell(x, y, x + CELL // 2, y + CELL // 2, day.state, shape, letter, title))
    width = LEFT + max(len(weeks), 1) * (CELL + GAP)
    height = TOP + 7 * (CELL + GAP)
    weekday_labels = [{"y": TOP + i * (CELL + GAP) + CELL // 2 + 4, "label": label} for i, label in enumerate(WEEKDAYS)]
    return {
        "cells": cells,
        "months": months,
        "weekdays": weekday_labels,
        "width": width,
        "height": height,
        "half": CELL // 2,
        "size": CELL,
    }


def legend() -> list[dict]:
    return [
        {"state": state, "shape": shape, "letter": letter, "words": words}
        for state, (shape, letter, words) in DAY_STYLES.items()
    ]


BAR_WIDTH = 18
BAR_GAP = 6
BAR_AREA = 120  # pixels for 0-100%


def weekly_bars(weeks: list[WeekBar]) -> dict:
    bars = []
    for i, week in enumerate(weeks):
        x = LEFT + i * (BAR_WIDTH + BAR_GAP)
        percent = week.adherence.percent
        height = 0 if percent is None else round(BAR_AREA * percent / 100)
        bars.append(
            {
                "x": x,
                "y": TOP + BAR_AREA - height,
                "height": height,
                "percent": percent,
                "below": week.adherence.below_threshold,
                "label_y": TOP + BAR_AREA - height - 3,
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
