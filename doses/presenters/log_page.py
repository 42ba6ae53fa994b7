"""The log page's words: what was logged, what to do after a dose above the prescribed one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from doses.rules import syringe_supply

from .. import schedule, sites
from ..models import InjectedBy, Injection
from ..rules.emergency_numbers import EmergencyNumbers


def mg_text(value) -> str:
    """200.00 -> "200", 62.5 -> "62.5"."""
    return f"{Decimal(value or 0).normalize():f}"


def logged_message(injection: Injection, *, last_used: dict, today: date, zone) -> str:
    """The confirmation after a dose, with the next spot to use (SITE-ROTATE)."""
    next_spot = sites.suggest_next_spot(
        {**last_used, injection.site_spot: injection.taken_at}, injection.injected_by == InjectedBy.OTHER
    )
    taken = schedule.local_when(injection.taken_at, today, zone)
    return (
        f"Dose logged: {mg_text(injection.dose_mg)} mg at {taken}, {sites.spot_label(injection.site_spot)}. "
        f"Next time use: {sites.spot_label(next_spot)} (SITE-ROTATE)."
    )


def above_prescribed_message(injection: Injection, *, patient_name: str, numbers: EmergencyNumbers) -> str:
    """AE-OVERDOSE: the advice at once, after the record (MedlinePlus: poison control, the emergency
    number), with the numbers of the patient's country."""
    return (
        f"More than the prescribed dose was recorded ({mg_text(injection.dose_mg)} mg; prescribed "
        f"{mg_text(injection.prescribed_mg)} mg). Call {numbers.poison_words} now. "
        f"Call {numbers.emergency_number} if {patient_name} collapses, has a seizure, has trouble "
        "breathing or cannot be woken up. The care team has been alerted (AE-OVERDOSE)."
    )


def not_taken_message(*, when: str, reason: str) -> str:
    return (
        f"Recorded: the dose due {when} was not taken ({reason}). "
        "Take the next dose at its usual time; never a double dose (MISS-NODOUBLE)."
    )


def discarded_message(*, shortfall: bool) -> str:
    text = "The syringe is recorded as discarded. Put it in the sharps container (PREP-ONCE)."
    if shortfall:  # SUPPLY-BOX: the count was already at zero
        text += " Your syringe count was already at 0: count your syringes and correct the number (SUPPLY-BOX)."
    return text


def batch_choices(boxes, *, today: date) -> list[tuple[str, str]]:
    """TRACE-BATCH: the log form's boxes on hand, first-expiring first, then "not recorded"."""
    choices = []
    for box in boxes:
        expired = syringe_supply.is_expired(box.batch_expires_on, today)
        state = f"EXPIRED {box.batch_expires_on:%d %b %Y}: do not use" if expired else f"expires {box.batch_expires_on:%d %b %Y}"
        choices.append((str(box.pickup_id), f"Batch {box.batch_number}, {state} (about {box.left} left)"))
    choices.append(("", f"A box from before batch numbers were recorded ({syringe_supply.BATCH_NOT_RECORDED})"))
    return choices
