"""The words and numbers of kidney function and neutrophil results (SCHED-RENAL, AE-LABS,
AE-NEUTROPENIA): where each number comes from, for the clinician's pages and the family's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from doses.rules import kidney_function as kidney_rules
from doses.rules import lab_checks as neutrophil_rules

from ..models import KidneyFunction


def _day(day) -> str:
    return f"{day.day} {day:%b %Y}"


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


@dataclass(frozen=True)
class KidneyFacts:
    """One kidney function result as the pages show it."""

    headline: str  # "Creatinine clearance 30.7 mL/min" / "End-stage renal disease / dialysis"
    source: str  # "estimated from serum creatinine (Cockcroft-Gault), blood taken 3 Mar 2026"
    creatinine: str  # "2.10 mg/dL (186 µmol/L)", "" if none
    typed: str  # what was typed, in its unit ("186 µmol/L"), "" if none
    formula: str  # kidney.FORMULA_TEXT for an estimate, "" otherwise
    inputs: str  # "(140 − 62) × 70 kg ÷ (72 × 2.10 mg/dL) × 0.85 = 30.7 mL/min"
    recorded_by: str
    note: str


def creatinine_text(mg_dl: Decimal | None) -> str:
    """SCHED-RENAL: a creatinine in both units."""
    if mg_dl is None:
        return ""
    return f"{Decimal(mg_dl):.2f} mg/dL ({kidney_rules.creatinine_umol_l(mg_dl)} µmol/L)"


def source_text(measurement: KidneyFunction | None, *, legacy: bool = False) -> str:
    """Where the clearance comes from, in words."""
    if measurement is None:
        return "typed on the profile before results were recorded: no date, no unit, no source" if legacy else ""
    if measurement.kind == KidneyFunction.Kind.CREATININE:
        return f"estimated from serum creatinine (Cockcroft-Gault), blood taken {_day(measurement.measured_on)}"
    if measurement.kind == KidneyFunction.Kind.CLEARANCE:
        return f"entered by the clinician, {_day(measurement.measured_on)}"
    return f"recorded {_day(measurement.measured_on)}"


def kidney_facts(measurement: KidneyFunction) -> KidneyFacts:
    if measurement.is_end_stage:
        headline = "End-stage renal disease / dialysis"
    else:
        headline = f"Creatinine clearance {measurement.clearance_ml_min} mL/min"
    formula = inputs = ""
    if measurement.is_estimated and measurement.clearance_ml_min is not None:
        female = (
            f" × {kidney_rules.COCKCROFT_GAULT_FEMALE_FACTOR} (female)"
            if measurement.sex == KidneyFunction.Sex.FEMALE
            else " (male)"
        )
        formula = kidney_rules.FORMULA_TEXT
        inputs = (
            f"({kidney_rules.COCKCROFT_GAULT_AGE_FROM} − {measurement.age_years} years) × "
            f"{_plain(measurement.weight_kg)} kg ÷ ({kidney_rules.COCKCROFT_GAULT_DIVISOR} × "
            f"{measurement.creatinine_mg_dl:.2f} mg/dL){female} = {measurement.clearance_ml_min} mL/min"
        )
    typed = ""
    if measurement.creatinine_value is not None:
        typed = f"{_plain(measurement.creatinine_value)} {measurement.get_creatinine_unit_display()}"
    return KidneyFacts(
        headline=headline,
        source=source_text(measurement),
        creatinine=creatinine_text(measurement.creatinine_mg_dl),
        typed=typed,
        formula=formula,
        inputs=inputs,
        recorded_by=measurement.recorded_by.display_name if measurement.recorded_by else "",
        note=measurement.note,
    )


def renal_change_reason(headline: str, source: str) -> str:
    """The reason prefilled on the regimen form's every-other-day proposal (SCHED-RENAL)."""
    return f"{headline} ({source}): every other day (SCHED-RENAL)."


def low_neutrophils_message(count) -> str:
    """AE-NEUTROPENIA: what the person who entered a low count is told."""
    threshold = _plain(neutrophil_rules.NEUTROPENIA_BELOW_10E9_PER_L)
    return (
        f"A neutrophil count of {Decimal(count):.2f} ×10⁹/L is below {threshold} ×10⁹/L (AE-NEUTROPENIA): the "
        "clinician has been alerted. Before the first dose, treatment does not start until the clinician has "
        "reviewed it."
    )


# --- neutrophil trend (AE-LABS, AE-NEUTROPENIA): the SVG's geometry; the markup is a template ---

CHART_WIDTH_PER_POINT = 56
CHART_LEFT = 40
CHART_TOP = 10
CHART_HEIGHT = 120


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    points: list[dict]
    polyline: str
    threshold_y: int
    threshold_label: str
    top_value: str


def neutrophil_chart(points: list[neutrophil_rules.TrendPoint]) -> TrendChart | None:
    """A line of the counts in date order, with the AE-NEUTROPENIA threshold drawn across."""
    if not points:
        return None
    threshold = neutrophil_rules.NEUTROPENIA_BELOW_10E9_PER_L
    top = max(max(p.count for p in points), threshold * 2)
    top = Decimal(int(top) + 1)

    def y_of(value: Decimal) -> int:
        return CHART_TOP + round(CHART_HEIGHT * (1 - float(value / top)))

    drawn = []
    for i, point in enumerate(points):
        x = CHART_LEFT + i * CHART_WIDTH_PER_POINT + CHART_WIDTH_PER_POINT // 2
        drawn.append(
            {
                "x": x,
                "y": y_of(point.count),
                "below": point.below_threshold,
                "label": point.label,
                "day": _day(point.done_on),
                "value": f"{point.count:.2f}",
                "title": f"{point.label}, {_day(point.done_on)}: {point.count:.2f} ×10⁹/L"
                + (f" (below {_plain(threshold)})" if point.below_threshold else ""),
            }
        )
    return TrendChart(
        width=CHART_LEFT + len(points) * CHART_WIDTH_PER_POINT + 10,
        height=CHART_TOP + CHART_HEIGHT + 34,
        points=drawn,
        polyline=" ".join(f"{p['x']},{p['y']}" for p in drawn),
        threshold_y=y_of(threshold),
        threshold_label=f"{_plain(threshold)}",
        top_value=_plain(top),
    )


def change_text(change: Decimal | None) -> str:
    if change is None:
        return "first result"
    if change == 0:
        return "no change"
    return f"{'up' if change > 0 else 'down'} {abs(change):.2f}"


def trend_rows(points: list[neutrophil_rules.TrendPoint]) -> list[dict]:
    """The table beside the chart, newest first."""
    return [
        {
            "label": p.label,
            "day": _day(p.done_on),
            "value": f"{p.count:.2f}",
            "below": p.below_threshold,
            "change": change_text(p.change),
        }
        for p in reversed(points)
    ]
