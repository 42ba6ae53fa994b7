"""Low supply in words (SUPPLY-BOX): Today's banner and its "Needs attention" line.

Built from the outlook doses/selectors/supply.py computes (the one the refill message reads);
plain functions, no query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..selectors.today import SupplyStatus


@dataclass(frozen=True)
class SupplyBanner:
    title: str
    text: str
    last_dose_on: date | None


def day_text(day: date, today: date) -> str:
    """ "on Friday 4 December"; "today, ..." or "tomorrow, ..." when it is."""
    named = f"{day:%A} {day.day} {day:%B}"
    if day == today:
        return f"today, {named}"
    if day == today + timedelta(days=1):
        return f"tomorrow, {named}"
    return f"on {named}"


def supply_banner(status: SupplyStatus, today: date) -> SupplyBanner | None:
    """The banner once the supply is below the refill threshold (syringe_supply.needs_refill)."""
    outlook = status.outlook
    if outlook is None or not outlook.low:
        return None
    left = f"{outlook.syringes} syringe{'' if outlook.syringes == 1 else 's'} left"
    if outlook.last_dose_on is None:
        return SupplyBanner(
            "No syringe left for the next dose: pick up a refill now",
            f"{left}, not enough for the next dose. Order or pick up the next boxes now so no dose is missed.",
            None,
        )
    day = day_text(outlook.last_dose_on, today)
    return SupplyBanner(
        f"Syringes run out {day}: order a refill now",
        f"{left}: the last one is for the dose {day}. Order or pick up the next boxes now so no dose is missed.",
        outlook.last_dose_on,
    )
