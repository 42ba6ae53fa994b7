"""Reads for the log page's record of what really happened (PREP-24H, SUPPLY-BOX)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce

from companion.models import Patient

from .. import schedule
from ..models import DoseSlot, FridgeSyringe, Injection, SlotStatus, SupplyEvent


@dataclass(frozen=True)
class DoneDose:
    """The dose due now is already logged: the log page says so instead of showing the form."""

    slot: DoseSlot
    injection: Injection | None  # None: marked taken without an injection row (older records)
    next_slot: DoseSlot | None
    next_log_from: datetime | None  # MISS-NODOUBLE: when the next dose can be logged


def done_dose(timeline: schedule.Timeline, now: datetime, *, slot: DoseSlot | None = None) -> DoneDose | None:
    """The dose due at `now` (or the one tapped, `slot`) when it is already logged; None otherwise.

    "The dose due" comes from doses/schedule.py (Timeline.dose_due), so an every-other-day regimen
    is done until its next dose opens, not just for the calendar day (SCHED-RENAL, MISS-NODOUBLE).
    `timeline`: the log page's own, around the time it shows (no query here but an old record's logger).
    """
    due = timeline.slot(slot.pk) if slot is not None else timeline.dose_due(now)
    if due is None or due.status != SlotStatus.TAKEN:
        return None
    following = timeline.next_slot_after(now)  # the next dose whose window opens after now
    return DoneDose(
        slot=due,
        injection=schedule.injection_of(due),
        next_slot=following,
        next_log_from=timeline.log_span(following).log_from if following is not None else None,
    )


def expired_fridge_syringes(patient: Patient, moment: datetime) -> list[FridgeSyringe]:
    """PREP-24H: open syringes taken out at or before `moment` and out 24 hours or more by then.

    The same test services.log_records.syringe_for_dose refuses a dose with (recorded_doses.is_past_use_by).
    """
    return list(
        FridgeSyringe.objects.filter(
            patient=patient, closed_at__isnull=True, taken_out_at__lte=moment, use_by__lte=moment
        ).order_by("taken_out_at", "pk")
    )


def warming_syringe(patient: Patient, now: datetime) -> FridgeSyringe | None:
    """The syringe out of the fridge that the pre-injection checks are about: the oldest open one."""
    return (
        FridgeSyringe.objects.filter(patient=patient, closed_at__isnull=True, taken_out_at__lte=now)
        .order_by("taken_out_at", "pk")
        .first()
    )


def syringes_on_hand(patient: Patient) -> int:
    """SUPPLY-BOX: the count as shown, never below zero (older records may sum below it)."""
    total = SupplyEvent.objects.filter(patient=patient).aggregate(total=Sum("syringes"))["total"] or 0
    return max(total, 0)


@dataclass(frozen=True)
class BoxOnHand:
    """TRACE-BATCH: a pick-up whose batch was recorded, with the syringes left of it."""

    pickup_id: int
    batch_number: str
    batch_expires_on: date
    picked_up_at: datetime
    left: int


def boxes_on_hand(patient: Patient) -> list[BoxOnHand]:
    """TRACE-BATCH: the batches picked up with syringes left, first-expiring first (one query).

    Left = the pick-up's syringes less those of the doses taken from it (`from_pickup`); a
    dose or discard that named no box, and count corrections, are not put on any batch.
    """
    rows = (
        SupplyEvent.objects.filter(patient=patient, kind=SupplyEvent.Kind.PICKUP)
        .exclude(batch_number="")
        .annotate(left=F("syringes") + Coalesce(Sum("taken_from__syringes"), Value(0)))
        .filter(left__gt=0)
        .order_by("batch_expires_on", "occurred_at", "pk")
        .values_list("pk", "batch_number", "batch_expires_on", "occurred_at", "left")
    )
    return [BoxOnHand(*row) for row in rows]


def doses_above_prescribed(patient: Patient, date_range) -> list[Injection]:
    """AE-OVERDOSE: the doses recorded above the prescribed one in a page's date range (one query)."""
    start, end = date_range.bounds(patient.zone)
    return list(
        Injection.objects.filter(patient=patient, above_prescribed=True, taken_at__gte=start, taken_at__lt=end)
        .select_related("logged_by")
        .order_by("taken_at")
    )
