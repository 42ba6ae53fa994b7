"""Supply outlook (SUPPLY-BOX): how long the syringes on hand last and the day of the last dose
they cover, as facts. Today's banner (doses/presenters/supply.py) and the refill message
(reminders) read the same answer; the numbers come from doses/rules/syringe_supply.py and the
refill threshold from REFILL_REMINDER_DAYS.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Sum

from doses.rules import regimen_review, syringe_supply

from ..models import DoseSlot, Regimen, SlotStatus, SupplyEvent


@dataclass(frozen=True)
class SupplyOutlook:
    syringes: int  # on hand, never below zero
    days_left: int  # syringe_supply.days_of_supply at the current regimen
    last_dose_on: date | None  # the local day of the last dose covered; None: not even the next one
    low: bool  # syringe_supply.needs_refill: the banner shows and the refill message goes


def refill_days() -> int:
    """SUPPLY-BOX: the refill threshold in days (REFILL_REMINDER_DAYS, README)."""
    return settings.REFILL_REMINDER_DAYS


def outlook(
    syringes: int,
    *,
    daily_dose_mg,
    administrations_per_day: int,
    interval_days: int,
    upcoming: Sequence[date],
    today: date,
) -> SupplyOutlook:
    """The outlook at one regimen; `upcoming`: the local days of the pending doses from today, in order."""
    per_administration = regimen_review.split_dose_mg(daily_dose_mg, administrations_per_day)
    syringes = max(syringes, 0)
    days = syringe_supply.days_of_supply(
        syringes,
        dose_mg=per_administration,
        administrations_per_day=administrations_per_day,
        interval_days=interval_days,
    )
    last = syringe_supply.last_dose_covered(
        syringes,
        syringes_per_dose=syringe_supply.syringes_per_dose(per_administration),
        upcoming=upcoming,
        interval_days=interval_days,
        administrations_per_day=administrations_per_day,
        today=today,
    )
    return SupplyOutlook(syringes, days, last, syringe_supply.needs_refill(days, refill_days=refill_days()))


def upcoming_days(slots: Iterable[DoseSlot], today: date) -> list[date]:
    """The local days of the pending doses from `today` on (a dose still to give uses a syringe)."""
    return [
        slot.local_date
        for slot in sorted(slots, key=lambda s: s.scheduled_at)
        if slot.status == SlotStatus.PENDING and slot.local_date >= today
    ]


def supply_outlooks(patient_ids: Iterable[int], now: datetime) -> dict[int, SupplyOutlook]:
    """The outlook of each patient with a current regimen and a supply record, in three queries
    whatever the number of patients (the refill job and the refill message read it)."""
    ids = set(patient_ids)
    regimens = {r.patient_id: r for r in Regimen.objects.current().filter(patient_id__in=ids).select_related("patient")}
    on_hand = dict(
        SupplyEvent.objects.filter(patient_id__in=regimens)
        .order_by()
        .values_list("patient_id")
        .annotate(total=Sum("syringes"))
    )
    # The doses to come within the materialised horizon; one day early so every zone's today is in.
    slots: dict[int, list[DoseSlot]] = defaultdict(list)
    for slot in DoseSlot.objects.filter(
        patient_id__in=on_hand, status=SlotStatus.PENDING, scheduled_at__gte=now - timedelta(days=1)
    ).only("patient_id", "scheduled_at", "local_date", "status"):
        slots[slot.patient_id].append(slot)
    found = {}
    for patient_id, total in on_hand.items():
        regimen = regimens[patient_id]
        today = now.astimezone(zoneinfo.ZoneInfo(regimen.patient.time_zone)).date()
        found[patient_id] = outlook(
            total or 0,
            daily_dose_mg=regimen.daily_dose_mg,
            administrations_per_day=regimen.administrations_per_day,
            interval_days=regimen.interval_days,
            upcoming=upcoming_days(slots[patient_id], today),
            today=today,
        )
    return found
