"""Supply (SUPPLY-BOX, PREP-ONCE, TRACE-BATCH): syringes a dose takes, days a stock lasts, each box's batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from .catalogue import DoseRuleError
from .dosing import SYRINGE_MG, to_decimal

SYRINGES_PER_BOX = 7  # SUPPLY-BOX: seven syringes a box, one per day of the week (MedlinePlus)
# SUPPLY-BOX plausibility (input limits of the app, not of the sources): 20 boxes is 140
# syringes, months of supply, at one pick-up; nobody keeps 1000 syringes at home.
MAX_BOXES_PER_PICKUP = 20
MAX_SYRINGES_ON_HAND = 1000


def syringes_per_dose(dose_mg) -> int:
    """PREP-ONCE / DOSE-SYRINGE: each syringe holds 100 mg and is used once, so a dose
    needs ceil(dose / 100 mg) syringes (leftover solution is discarded, never reused)."""
    mg = to_decimal(dose_mg, "dose")
    if mg <= 0:
        raise DoseRuleError("A dose must be more than 0 mg.")
    return int((mg / SYRINGE_MG).to_integral_value(rounding="ROUND_CEILING"))


def days_of_supply(syringes_on_hand: int, *, dose_mg, administrations_per_day: int, interval_days: int) -> int:
    """SUPPLY-BOX: whole days the syringes on hand last at the current regimen.

    Counted in doses the stock can fully cover: every other day (SCHED-RENAL) doubles
    the days per dose; a split dose (DOSE-PED-STEP) uses a syringe per administration.
    """
    if syringes_on_hand <= 0:
        return 0
    per_day_doses = syringes_per_dose(dose_mg) * administrations_per_day
    whole_dose_days = syringes_on_hand // per_day_doses
    return whole_dose_days * interval_days


def needs_refill(days_left: int, *, refill_days: int) -> bool:
    """SUPPLY-BOX: the syringes on hand last `refill_days` days or fewer (REFILL_REMINDER_DAYS):
    Today shows the run-out banner and the refill message goes. `days_left` is days_of_supply's."""
    return days_left <= refill_days


def last_dose_covered(
    syringes_on_hand: int,
    *,
    syringes_per_dose: int,
    upcoming: Sequence[date],
    interval_days: int,
    administrations_per_day: int,
    today: date,
) -> date | None:
    """SUPPLY-BOX: the local day of the last dose the syringes on hand cover (None: not even the next).

    `upcoming`: the local day of each dose still to give, in order, one entry per administration
    (doses.schedule's slots, so a held day or every other day, SCHED-RENAL, counts as the
    schedule has it). Beyond the doses given there, doses go on every `interval_days` days,
    `administrations_per_day` a day (DOSE-PED-STEP).
    """
    doses = max(syringes_on_hand, 0) // syringes_per_dose
    if doses == 0:
        return None
    if doses <= len(upcoming):
        return upcoming[doses - 1]
    beyond = doses - len(upcoming)
    days_beyond = -(-beyond // administrations_per_day)  # ceil: a day's doses share a day
    start = upcoming[-1] if upcoming else today - timedelta(days=interval_days)
    return start + timedelta(days=days_beyond * interval_days)


# ---------------------------------------------------------------------------
# TRACE-BATCH: the batch (lot) number and expiry of every box (EU SmPC: for every biologic,
# record the product name and the batch number of what was given, so it can be traced)
# ---------------------------------------------------------------------------

# GS1 Application Identifier (10), the batch/lot on a medicine pack's barcode: at most 20
# characters. Letters, digits and the separators printed on boxes (-, /, .).
BATCH_NUMBER_MAX_CHARS = 20
_BATCH_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/.")
BATCH_NOT_RECORDED = "batch not recorded"  # a dose from a box picked up before batches were recorded


def clean_batch_number(typed: str) -> str:
    """TRACE-BATCH: the lot number as printed, spaces dropped (a box prints "LOT 12 34" or "1234")."""
    text = "".join((typed or "").split())
    if text[:3].upper() == "LOT":  # people copy the label's "LOT" too
        text = text[3:].lstrip(":")
    return text


def batch_number_refusal(batch_number: str) -> str | None:
    """TRACE-BATCH: why a lot number cannot be right, or None (after clean_batch_number)."""
    if not batch_number:
        return "Enter the batch (lot) number printed on the box (after “Lot” or “Batch”)."
    if len(batch_number) > BATCH_NUMBER_MAX_CHARS:
        return (
            f"A batch number has at most {BATCH_NUMBER_MAX_CHARS} characters (it has {len(batch_number)}); "
            "please check it against the box."
        )
    if not set(batch_number) <= _BATCH_CHARACTERS:
        return "A batch number has only letters, digits, “-”, “/” and “.”; please check it against the box."
    return None


def is_expired(expires_on: date, on: date) -> bool:
    """TRACE-BATCH: a box may be used up to and including the expiry date printed on it."""
    return on > expires_on


def expired_box_refusal(*, batch_number: str, expires_on: date | None, on: date) -> str | None:
    """TRACE-BATCH: a dose from a box past its expiry on the day it is given cannot be logged."""
    if expires_on is None or not is_expired(expires_on, on):
        return None
    return (
        f"The box of batch {batch_number} expired on {expires_on:%d %b %Y}, before {on:%d %b %Y}: "
        "do not inject from it. Choose the box the syringe came from, or discard this syringe and "
        "take one from a box that has not expired (TRACE-BATCH)."
    )


def first_expiring_box(boxes, on: date):
    """TRACE-BATCH: which box on hand a syringe comes from by default: the one that expires first
    and has not expired on `on` (first-expiring, first-out). `boxes` have `.batch_expires_on`
    and `.left` (syringes left); None when no such box is on hand."""
    usable = [b for b in boxes if b.left > 0 and not is_expired(b.batch_expires_on, on)]
    return min(usable, key=lambda b: b.batch_expires_on, default=None)
