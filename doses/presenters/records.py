"""The records pages' words: a symptom's name, and what the supply and fridge pages confirm."""

from __future__ import annotations

from datetime import datetime

from .. import symptom_text, triage


def symptom_label(*, symptom: str, description: str) -> str:
    """The symptom as the family named it: the list's label, or their own words for "something else"."""
    if symptom == triage.OTHER:
        return description or "Something else"
    known = triage.SYMPTOMS.get(symptom)
    return known.label if known else symptom


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
