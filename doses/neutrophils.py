"""Neutrophil results (AE-LABS, AE-NEUTROPENIA): pure rules, no Django.

EU product information (SmPC) of Kineret: "treatment must not be started in patients with
an absolute neutrophil count below 1.5 x 10^9/L"; during treatment a count below that goes
to the clinician at once. The app holds the start (pending the clinician's review, as the
other automatic holds) and alerts; it never stops or restarts treatment by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

NEUTROPENIA_BELOW_10E9_PER_L = Decimal("1.5")  # AE-NEUTROPENIA (EU SmPC)

HOLD_START = "hold_start"  # a baseline count below 1.5: treatment does not start
ALERT_NOW = "alert_now"  # a count below 1.5 during treatment: the clinician hears at once


def is_neutropenic(count_10e9_per_l) -> bool:
    """AE-NEUTROPENIA: an absolute neutrophil count below 1.5 x 10^9/L."""
    return count_10e9_per_l is not None and Decimal(str(count_10e9_per_l)) < NEUTROPENIA_BELOW_10E9_PER_L


def neutrophil_action(count_10e9_per_l, *, treatment_started: bool) -> str | None:
    """AE-NEUTROPENIA: what a result asks for: HOLD_START before the first dose, ALERT_NOW
    during treatment, None for a count of 1.5 x 10^9/L or more."""
    if not is_neutropenic(count_10e9_per_l):
        return None
    return ALERT_NOW if treatment_started else HOLD_START


@dataclass(frozen=True)
class TrendPoint:
    """AE-LABS: one result of the trend, with its change since the one before."""

    label: str
    done_on: date
    count: Decimal
    below_threshold: bool  # AE-NEUTROPENIA
    change: Decimal | None  # since the previous result (None for the first)


def neutrophil_trend(results: list[tuple[str, date, Decimal]]) -> list[TrendPoint]:
    """AE-LABS: the results (label, date, count) in date order, each with its change."""
    points: list[TrendPoint] = []
    previous = None
    for label, done_on, count in sorted(results, key=lambda r: r[1]):
        count = Decimal(str(count))
        points.append(
            TrendPoint(label, done_on, count, is_neutropenic(count), None if previous is None else count - previous)
        )
        previous = count
    return points
