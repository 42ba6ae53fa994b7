"""What the log may record (AE-OVERDOSE, PREP-24H, SUPPLY-BOX): doses, syringes, counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from .catalogue import DoseRuleError
from .dose_timing import as_utc
from .dosing import SYRINGE_MG, to_decimal

# AE-OVERDOSE: a dose above the prescribed one can be recorded (it really happened), but a
# number above five full syringes (DOSE-SYRINGE: 100 mg each) is far more likely a typing
# slip (1000 for 100) than an injection; it is refused with a message to check it.
MAX_RECORDABLE_DOSE_SYRINGES = 5
MAX_RECORDABLE_DOSE_MG = MAX_RECORDABLE_DOSE_SYRINGES * SYRINGE_MG


class AbovePrescribedNotConfirmed(DoseRuleError):
    """AE-OVERDOSE: the dose typed is above the prescribed one and nobody confirmed it was really given."""


def check_recorded_dose(dose_mg, prescribed_mg, *, confirmed_above_prescribed: bool) -> bool:
    """AE-OVERDOSE: may this dose be recorded for a slot of `prescribed_mg`? True when it is above it.

    At most the prescribed dose: recorded as usual. Above it: recorded, flagged, only once the
    person confirms that it really was injected (never a silent "more than prescribed").
    Above MAX_RECORDABLE_DOSE_MG, or 0 mg or less: refused.
    """
    dose = to_decimal(dose_mg, "dose")
    prescribed = to_decimal(prescribed_mg, "prescribed dose")
    if dose <= 0:
        raise DoseRuleError("The dose must be more than 0 mg.")
    if dose > MAX_RECORDABLE_DOSE_MG:
        raise DoseRuleError(
            f"{dose:f} mg is more than {MAX_RECORDABLE_DOSE_SYRINGES} full syringes ({MAX_RECORDABLE_DOSE_MG:f} mg): "
            "please check the number you typed (AE-OVERDOSE, DOSE-SYRINGE)."
        )
    if dose <= prescribed:
        return False
    if not confirmed_above_prescribed:
        raise AbovePrescribedNotConfirmed(
            f"{dose:f} mg is more than the prescribed {prescribed:f} mg for this dose. If that much was really "
            "injected, tick the box below to record it as it happened (AE-OVERDOSE); otherwise correct the number."
        )
    return True


# PREP-24H (MedlinePlus): a syringe out of the fridge is used within 24 hours, counted in
# elapsed hours (add it in UTC, so a DST change does not move the limit).
ROOM_TEMPERATURE_USE_WITHIN = timedelta(hours=24)
# PREP-24H plausibility: a syringe "taken out" more than a week ago is a typing slip; its
# 24 hours are long over anyway.
FRIDGE_BACKDATE_LIMIT = timedelta(days=7)
# AE-OVERDOSE: Today repeats the overdose advice (poison, emergency number) for a day after a dose
# above the prescribed one was recorded.
OVERDOSE_ADVICE_SHOWN_FOR = timedelta(hours=24)


def use_by_after(taken_out_at: datetime) -> datetime:
    """PREP-24H: when a syringe taken out of the fridge at `taken_out_at` must be used by (in UTC)."""
    return as_utc(taken_out_at) + ROOM_TEMPERATURE_USE_WITHIN


def is_past_use_by(use_by: datetime, moment: datetime) -> bool:
    """PREP-24H: at `moment`, a syringe with this use-by time (24 h out of the fridge) must not be used."""
    return use_by <= moment


def syringes_taken(needed: int, on_hand: int) -> tuple[int, int]:
    """SUPPLY-BOX: (syringes taken from the count, shortfall) for a dose or discard needing `needed`.

    The count never goes below zero: what is not on hand is not taken. The dose or discard
    is still recorded (it happened); the shortfall means the count is wrong and asks for a count.
    """
    if needed < 0:
        raise DoseRuleError("A dose or discard uses syringes; it cannot add them.")
    taken = min(needed, max(on_hand, 0))
    return taken, needed - taken


def count_needed(*, total: int, counted: bool, last_counted_at, last_shortfall_at) -> bool:
    """SUPPLY-BOX: should the person count their syringes? Once a count exists (a pick-up or a
    correction), when the ledger sums below zero (records from before the rule) or a dose or
    discard found too few syringes at or after the last count."""
    if not counted:
        return False
    if total < 0:
        return True
    return last_shortfall_at is not None and (last_counted_at is None or last_shortfall_at >= last_counted_at)
