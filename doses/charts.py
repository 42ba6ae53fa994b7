"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript, no CDN).

Pure presentation: takes the selectors' rows and returns coordinates and labels, so the
templates only draw. Every state has its own shape *and* letter, never colour alone,
and every chart has a text alternative in the template.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from fractions import Fraction

from django.utils.safestring import mark_safe

from . import sites
from .adherence import ADHERENT_THRESHOLD, Ratio, WeekBar


def escape(text) -> str:
    """The same text as django.utils.html.escape, without its lazy-string wrapper: a
    year's calendar escapes over a thousand strings, and the wrapper tripled the cost."""
    return html.escape(str(text))


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


def week_numbers(week: WeekBar) -> tuple[int | None, bool]:
    """The week's percent and whether it is below 80% (`ratio_numbers`)."""
    return ratio_numbers(week.adherence)


def ratio_numbers(ratio: Ratio) -> tuple[int | None, bool]:
    """A ratio's percent and whether it is below 80%: Ratio.percent and .below_threshold
    (each builds Fractions on every access), computed once, the same way."""
    n, d = ratio.numerator, ratio.denominator
    if not d:
        return None, False
    if type(n) is int and type(d) is int:  # counts of doses: integer arithmetic, the same results
        whole, rest = divmod(n * 100, d)
        if 2 * rest > d or (2 * rest == d and whole % 2):  # round() of a Fraction rounds half to even
            whole += 1
        return whole, n * ADHERENT_THRESHOLD.denominator < ADHERENT_THRESHOLD.numerator * d
    value = Fraction(n, d)
    return round(value * 100), value < ADHERENT_THRESHOLD


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
                "title": f"Week of {week.starts_on.day:02d} {_MONTH_ABBR[week.starts_on.month - 1]}: "
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


# The calendar and its text table are drawn here rather than in a template: a year has
# 365 cells and rows, and plain string building is several times faster than template
# loops. Every piece of text goes through `escape`.


def _shape(shape: str, x: int, y: int, cx: int, cy: int, size: int) -> str:
    half = size // 2
    if shape in ("circle", "ring"):
        return f'<circle cx="{cx}" cy="{cy}" r="{half}"/>'
    if shape == "diamond":
        return f'<polygon points="{cx},{y} {x + size},{cy} {cx},{y + size} {x},{cy}"/>'
    if shape == "dot":
        return f'<circle cx="{cx}" cy="{cy}" r="3"/>'
    return f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="2"/>'


_WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_abbr(day) -> str:
    """`f"{day:%b}"` (English names) without strftime."""
    return _MONTH_ABBR[day.month - 1]


@functools.lru_cache(maxsize=4096)  # a pure function of the date; the calendar and its table both ask
def day_label(day) -> str:
    """`f"{day:%a %d %b %Y}"` (English names) without strftime: a year's page writes 730 of them."""
    return f"{_WEEKDAY_ABBR[day.weekday()]} {day.day:02d} {_MONTH_ABBR[day.month - 1]} {day.year}"


def _cell_markup() -> dict[str, tuple[str, str]]:
    """Per state: the shape's markup template (x, y, cx, cy filled in) and the letter's."""
    shapes = {}
    for state, (shape, letter, _words) in DAY_STYLES.items():
        if shape in ("circle", "ring"):
            markup = f'<circle cx="{{cx}}" cy="{{cy}}" r="{CELL // 2}"/>'
        elif shape == "diamond":
            markup = '<polygon points="{cx},{y} {xe},{cy} {cx},{ye} {x},{cy}"/>'
        elif shape == "dot":
            markup = '<circle cx="{cx}" cy="{cy}" r="3"/>'
        else:
            markup = f'<rect x="{{x}}" y="{{y}}" width="{CELL}" height="{CELL}" rx="2"/>'
        text = '<text x="{cx}" y="{cy}" dy="0.35em" text-anchor="middle">' + letter + "</text>" if letter else ""
        shapes[state] = markup + text
    return shapes


_CELL_MARKUP = _cell_markup()


@functools.lru_cache(maxsize=8192)  # a pure function of its arguments: a few thousand shapes in all
def _cell_shape(state: str, x: int, row: int) -> str:
    """The markup of a calendar cell's shape and letter at column `x`, weekday `row`."""
    y = TOP + row * (CELL + GAP)
    half = CELL // 2
    return _CELL_MARKUP[state].format(x=x, y=y, cx=x + half, cy=y + half, xe=x + CELL, ye=y + CELL)


_ESCAPED_WORDS = {state: escape(words) for state, (_shape, _letter, words) in DAY_STYLES.items()}


def calendar_svg(weeks, title: str) -> str:
    """The heat map as SVG markup (safe: numbers and escaped text only): a week-per-column
    grid, rows Monday..Sunday, each day's shape and letter with its date and state as title.

    Built in one pass over the days (the same markup as drawing `calendar()`'s cells)."""
    width = LEFT + max(len(weeks), 1) * (CELL + GAP)
    height = TOP + 7 * (CELL + GAP)
    head = [
        f'<svg class="chart chart-calendar" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="calendar-title" '
        f'focusable="false"><title id="calendar-title">{escape(title)}</title>'
    ]
    cells = []
    last_month = None
    for w, week in enumerate(weeks):
        x = LEFT + w * (CELL + GAP)
        first_in_range = next((d for d in week if d.state != "outside"), None)
        if first_in_range is not None and first_in_range.day.month != last_month:
            last_month = first_in_range.day.month
            head.append(f'<text class="chart-label" x="{x}" y="12">{_MONTH_ABBR[last_month - 1]}</text>')
        for d, day in enumerate(week):
            state = day.state
            if state == "outside":
                continue
            doses = day.doses
            if len(doses) == 1:
                reasons = doses[0].not_taken_reason
            else:
                reasons = ", ".join(dose.not_taken_reason for dose in doses if dose.not_taken_reason)
            # The date is ASCII letters and digits; the words are fixed; only reasons need escaping.
            title = f"{day_label(day.day)}: {_ESCAPED_WORDS[state]}" + (f" ({escape(reasons)})" if reasons else "")
            cells.append(f'<g class="cal cal-{state}"><title>{title}</title>{_cell_shape(state, x, d)}</g>')
    head += [
        f'<text class="chart-label" x="0" y="{TOP + i * (CELL + GAP) + CELL // 2 + 4}">{label}</text>'
        for i, label in enumerate(WEEKDAYS)
        if label
    ]
    return mark_safe("".join(head + cells) + "</svg>")  # built from numbers and escaped text above


_CLOCK = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))  # "HH:MM" of each minute of a day


def calendar_table(days, zone_format=None) -> str:
    """The text alternative: one row per dose (or per day without a dose)."""
    rows = []
    escaped: dict[str, str] = {}  # a few distinct labels, each escaped once
    for day in days:
        label = day_label(day.day)  # ASCII letters and digits: nothing to escape
        if not day.doses:
            rows.append(f'<tr><th scope="row">{label}</th><td colspan="4">No dose scheduled</td></tr>')
            continue
        for dose in day.doses:
            status_label, reason = dose.status_label, dose.not_taken_reason
            if status_label not in escaped:
                escaped[status_label] = escape(status_label)
            if reason not in escaped:
                escaped[reason] = escape(reason)
            status = escaped[status_label] + (" (late)" if dose.late else "")
            taken_at, at = dose.taken_at, dose.scheduled_at
            taken = _CLOCK[taken_at.hour * 60 + taken_at.minute] if taken_at else ""
            rows.append(
                f'<tr><th scope="row">{label}</th><td>{_CLOCK[at.hour * 60 + at.minute]}</td><td>{status}</td>'
                f"<td>{taken}</td><td>{escaped[reason]}</td></tr>"
            )
    return mark_safe("".join(rows))  # escaped above
