"""Supply (SUPPLY-BOX, PREP-ONCE): syringes a dose takes, days a stock lasts."""

from __future__ import annotations

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
