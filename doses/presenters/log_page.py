"""The log page's words: what was logged, what to do after a dose above the prescribed one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from doses.rules import catalogue, syringe_supply

from .. import schedule, sites
from ..models import Injection
from ..rules.emergency_numbers import EmergencyNumbers


def mg_text(value) -> str:
    """200.00 -> "200", 62.5 -> "62.5"."""
    return f"{Decimal(value or 0).normalize():f}"


def logged_message(injection: Injection, *, last_used: dict, today: date, zone, viewer_is_patient: bool) -> str:
    """The confirmation after a dose, with the next spot to use (SITE-ROTATE).

    The next spot is the one Today suggests to the same person next (sites.suggested_spot_for),
    not one for whoever gave this injection: the message is read on Today, beside that suggestion.
    """
    next_spot = sites.suggested_spot_for(
        {**last_used, injection.site_spot: injection.taken_at}, viewer_is_patient=viewer_is_patient
    )
    taken = schedule.local_when(injection.taken_at, today, zone)
    return (
        f"Dose logged: {mg_text(injection.dose_mg)} mg at {taken}, {sites.spot_label(injection.site_spot)}. "
        f"Next time use: {sites.spot_label(next_spot)}."  # SITE-ROTATE (plain words: no ID in the sentence)
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


@dataclass(frozen=True)
class DoneForToday:
    """The log page when the dose due is already logged: who logged it and when, in plain words."""

    due: str  # "08:00 today"
    taken: str  # "08:05 today"
    zone_name: str  # the patient's time zone, which every time above is in
    logged_by: str  # "you", or the display name of whoever logged it
    next_due: str  # "" when no next dose is scheduled
    next_log_from: str


def done_for_today(done, *, viewer, today: date, zone, zone_name: str) -> DoneForToday:
    """MISS-NODOUBLE: the dose due is logged; say by whom ("you" for the viewer) and when (SCHED-TZ)."""
    injection = done.injection
    logger = injection.logged_by if injection is not None else done.slot.status_changed_by
    if logger is None:
        who = "someone in the care circle"
    elif viewer is not None and logger.pk == viewer.pk:
        who = "you"
    else:
        who = logger.display_name
    taken_at = injection.taken_at if injection is not None else done.slot.scheduled_at
    return DoneForToday(
        due=schedule.local_when(done.slot.scheduled_at, today, zone),
        taken=schedule.local_when(taken_at, today, zone),
        zone_name=zone_name,
        logged_by=who,
        next_due=schedule.local_when(done.next_slot.scheduled_at, today, zone) if done.next_slot else "",
        next_log_from=schedule.local_when(done.next_log_from, today, zone) if done.next_log_from else "",
    )


# "(MISS-NODOUBLE)", "(MISS-NODOUBLE, MISS-SKIP)": rule IDs in brackets at the end of a clause.
_RULE_IDS_IN_BRACKETS = re.compile(r"\s*\(((?:[A-Z]{2,}-[A-Z0-9-]+)(?:,\s*[A-Z]{2,}-[A-Z0-9-]+)*)\)")


@dataclass(frozen=True)
class PlainWords:
    """A sentence for a patient, parent or caregiver, with its rule IDs apart (for the "Why?")."""

    text: str
    rule_ids: tuple[str, ...]

    @property
    def rules(self) -> list[catalogue.Rule]:
        return [catalogue.RULES[rule_id] for rule_id in self.rule_ids if rule_id in catalogue.RULES]


def plain_words(text: str) -> PlainWords:
    """The rule IDs a refusal or an error names, taken out of its sentence and kept, in order, once."""
    ids: list[str] = []
    for match in _RULE_IDS_IN_BRACKETS.finditer(text):
        ids.extend(rule_id.strip() for rule_id in match.group(1).split(",") if rule_id.strip() not in ids)
    return PlainWords(_RULE_IDS_IN_BRACKETS.sub("", text), tuple(dict.fromkeys(ids)))
