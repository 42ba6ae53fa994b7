"""The records pages' words: a symptom's name, and what the supply and fridge pages confirm."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from .. import sites, symptom_text, triage


def symptom_label(*, symptom: str, description: str) -> str:
    """The symptom as the family named it: the list's label, or their own words for "something else"."""
    if symptom == triage.OTHER:
        return description or "Something else"
    known = triage.SYMPTOMS.get(symptom)
    return known.label if known else symptom


def site_label(spot: str) -> str:
    """An injection spot in words ("Right thigh, front/outer, spot 6"); a code the body map no
    longer has stays as it was stored rather than disappearing."""
    try:
        return sites.spot_label(spot)
    except ValueError:
        return spot


@dataclass(frozen=True)
class SideEffectEntry:
    """One side effect as the history (the patient page and the report) lists it: by its label
    (issue 16, point 6), with the injection it followed, if one was named, by day and spot in words."""

    effect: object  # the SideEffect: its dates, severity and flags as stored
    pk: int
    label: str
    note: str  # the family's own description when the label is not already that description
    injection_day: date | None
    injection_site: str


def side_effect_entry(effect, zone: zoneinfo.ZoneInfo) -> SideEffectEntry:
    """`effect` is a SideEffect (its `injection` joined by the selector); `zone` the patient's."""
    label = symptom_label(symptom=effect.symptom, description=effect.description)
    note = effect.description if effect.description and effect.description != label else ""
    injection = effect.injection
    return SideEffectEntry(
        effect=effect,
        pk=effect.pk,
        label=label,
        note=note,
        injection_day=injection.taken_at.astimezone(zone).date() if injection else None,
        injection_site=site_label(injection.site_spot) if injection else "",
    )


def _temperature(value: float, unit: str) -> str:
    return f"{value:g} {unit}"


_FEVER_FROM = (
    f"{_temperature(symptom_text.FEVER_FROM_CELSIUS, '°C')} / {_temperature(symptom_text.FEVER_FROM_FAHRENHEIT, '°F')}"
)


def description_reading(result: triage.Triage) -> list[str]:
    """What the free text was read as (doses/symptom_text.py), one line each, so the family and
    the clinician see why the answer is what it is (AE-SERIOUS, AE-INFECTION)."""
    readings = {reading.words for reading in result.temperatures}  # said below, with the number
    lines = [f"“{f.words}”: {f.sign.label}." for f in result.findings if f.words not in readings]
    for reading in result.temperatures:
        unit = "" if reading.unit_typed else f" (no unit typed: read as {reading.unit} from the value)"
        verdict = f"a fever ({_FEVER_FROM} or more)" if reading.is_fever else f"below a fever ({_FEVER_FROM})"
        lines.append(f"“{reading.words}”: {_temperature(reading.value, reading.unit)}{unit}, {verdict}.")
    lines += [f"“{finding.words}”: not counted, the description says it is not there." for finding in result.set_aside]
    return lines


def pickup_message(*, boxes: int, syringes: int) -> str:
    return f"Pick-up recorded: {boxes} box(es), {syringes} syringes."


def count_message(*, change: int) -> str:
    """SUPPLY-BOX: a correction is a new row; the history stays."""
    changed = "no change" if change == 0 else f"{change:+d} syringes"
    return f"Count saved ({changed}); the earlier history is kept."


def fridge_out_message(*, use_by: datetime) -> str:
    """PREP-24H: the local time by which the syringe must be used (use_by in the patient's zone)."""
    return f"Noted. Use this syringe by {use_by:%a %d %b %H:%M} (PREP-24H)."
