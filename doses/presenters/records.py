"""The records pages' words: a symptom's name, and what the supply and fridge pages confirm."""

from __future__ import annotations

from datetime import datetime

from .. import triage


def symptom_label(*, symptom: str, description: str) -> str:
    """The symptom as the family named it: the list's label, or their own words for "something else"."""
    if symptom == triage.OTHER:
        return description or "Something else"
    known = triage.SYMPTOMS.get(symptom)
    return known.label if known else symptom


def pickup_message(*, boxes: int, syringes: int) -> str:
    return f"Pick-up recorded: {boxes} box(es), {syringes} syringes."


def count_message(*, change: int) -> str:
    """SUPPLY-BOX: a correction is a new row; the history stays."""
    changed = "no change" if change == 0 else f"{change:+d} syringes"
    return f"Count saved ({changed}); the earlier history is kept."


def fridge_out_message(*, use_by: datetime) -> str:
    """PREP-24H: the local time by which the syringe must be used (use_by in the patient's zone)."""
    return f"Noted. Use this syringe by {use_by:%a %d %b %H:%M} (PREP-24H)."
