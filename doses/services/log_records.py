"""The log records what really happened: the parts of logging a dose that decide what is written.

Called from record_injection and record_discarded_syringe (doses/services/__init__.py) in a
few lines each, inside their transaction:

- AE-OVERDOSE: a dose above the prescribed one is recorded only after an explicit
  confirmation, flagged on the Injection with the prescribed dose of the time.
- PREP-24H: a syringe the app knows has been out of the fridge for 24 hours or more when
  the dose was taken is never closed as "used"; the dose is refused unless the person says
  a fresh syringe was used, and the old one stays open for the discard flow.
- SUPPLY-BOX: the syringe ledger never goes below zero; a dose or discard takes what is on
  hand and notes the shortfall (Today then asks for a count). The patient row is locked so
  two writes at once cannot both take the last syringe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Sum

from companion.models import Patient
from doses.rules import catalogue, recorded_doses, syringe_supply

from ..models import FridgeSyringe, Injection, SupplyEvent


class LogRefused(Exception):
    """A dose the log refuses; `field` names the form field, `rule_id` the rule.

    record_injection re-raises it as its DoseRefused (same message, rule and field), so its
    callers keep catching one exception.
    """

    def __init__(self, message: str, *, field: str | None = None, rule_id: str = ""):
        super().__init__(message)
        self.field = field
        self.rule_id = rule_id


def lock_patient_supply(patient_id: int) -> None:
    """Lock the patient row for the rest of the transaction (as correct_supply_count does).

    Taken before the slot row in record_injection, the order create_regimen_version and
    reschedule_after_time_zone_change use (patient, then slots), so they cannot deadlock.
    """
    Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True).first()


def check_dose_amount(*, dose_mg: Decimal, prescribed_mg: Decimal, confirm_above_prescribed: bool) -> bool:
    """AE-OVERDOSE: True when the dose is above the prescribed one (and confirmed); refuses otherwise."""
    try:
        return recorded_doses.check_recorded_dose(dose_mg, prescribed_mg, confirmed_above_prescribed=confirm_above_prescribed)
    except catalogue.DoseRuleError as refused:
        raise LogRefused(str(refused), field="dose_mg", rule_id="AE-OVERDOSE") from None


def overdose_alert_summary(injection: Injection, prescribed_mg: Decimal) -> str:
    """The care team's line for an OVERDOSE alert (AE-OVERDOSE); the alert e-mail says less."""
    return (
        f"{Decimal(injection.dose_mg).normalize():f} mg injected, above the prescribed "
        f"{Decimal(prescribed_mg).normalize():f} mg (AE-OVERDOSE)"
    )


def open_fridge_syringes_before(*, patient_id: int, moment: datetime) -> list[FridgeSyringe]:
    """Syringes still open that were taken out of the fridge at or before `moment`, oldest first."""
    return list(
        FridgeSyringe.objects.filter(patient_id=patient_id, closed_at__isnull=True, taken_out_at__lte=moment)
        .select_for_update()
        .order_by("taken_out_at", "pk")
    )


@dataclass(frozen=True)
class FridgeOutcome:
    used: FridgeSyringe | None  # the warming syringe the dose used (closed as used)
    left_expired: tuple[FridgeSyringe, ...]  # PREP-24H: still open, to be discarded


def syringe_for_dose(*, patient_id: int, taken_at: datetime, fresh_syringe_used: bool) -> FridgeOutcome:
    """PREP-24H: which open fridge syringe a dose taken at `taken_at` used, refusing an expired one.

    A syringe out for 24 hours or more at `taken_at` must not be used. If one is open, the
    dose is refused unless the person says a fresh syringe was used; then the dose uses the
    oldest syringe still within its 24 hours (if any) and the expired ones stay open, so
    Today keeps saying "Do not use the syringe out of the fridge" until it is discarded.
    """
    candidates = open_fridge_syringes_before(patient_id=patient_id, moment=taken_at)
    expired = tuple(s for s in candidates if recorded_doses.is_past_use_by(s.use_by, taken_at))
    usable = [s for s in candidates if not recorded_doses.is_past_use_by(s.use_by, taken_at)]
    if expired and not fresh_syringe_used:
        raise LogRefused(
            "The syringe taken out of the fridge had been at room temperature for more than 24 hours when "
            "this dose was taken: do not use it; discard it and take a new one from the fridge (PREP-24H). "
            "If you injected with a fresh syringe, tick the box below to say so.",
            field="fresh_syringe_used",
            rule_id="PREP-24H",
        )
    return FridgeOutcome(used=usable[0] if usable else None, left_expired=expired)


def close_as_used(outcome: FridgeOutcome, *, now: datetime) -> None:
    """Close the warming syringe the dose used; an expired one is never closed here (PREP-24H)."""
    if outcome.used is not None:
        FridgeSyringe.objects.filter(pk=outcome.used.pk, closed_at__isnull=True).update(closed_at=now)


def syringes_on_hand_locked(patient_id: int) -> int:
    """The ledger sum; call with the patient row locked (lock_patient_supply) before writing."""
    return SupplyEvent.objects.filter(patient_id=patient_id).aggregate(total=Sum("syringes"))["total"] or 0


def take_syringes(
    *,
    patient_id: int,
    needed: int,
    kind: str,
    occurred_at: datetime,
    by,
    injection: Injection | None = None,
    note: str = "",
    patient_locked: bool = False,
    from_pickup_id: int | None = None,
) -> SupplyEvent:
    """SUPPLY-BOX: take `needed` syringes from the count for a dose or a discard, never below zero.

    The patient row is locked first (unless the caller already holds the lock in this
    transaction: `patient_locked`), so two writes at once see each other's result.
    """
    if not patient_locked:
        lock_patient_supply(patient_id)
    taken, shortfall = recorded_doses.syringes_taken(needed, syringes_on_hand_locked(patient_id))
    return SupplyEvent.objects.create(
        patient_id=patient_id,
        kind=kind,
        syringes=-taken,
        shortfall=shortfall,
        occurred_at=occurred_at,
        injection=injection,
        note=note[:300],
        recorded_by=by,
        from_pickup_id=from_pickup_id,  # TRACE-BATCH: the box the syringes came from
    )


@dataclass(frozen=True)
class BatchUsed:
    pickup_id: int | None
    batch_number: str
    expires_on: date | None


def batch_for_dose(*, patient_id: int, pickup_id: int | None, taken_at: datetime, zone) -> BatchUsed:
    """TRACE-BATCH: the box (a pick-up with its batch) the dose's syringe came from, refusing an
    expired one. None: a syringe from a box whose batch was not recorded (picked up before)."""
    if pickup_id is None:
        return BatchUsed(None, "", None)
    row = (
        SupplyEvent.objects.filter(pk=pickup_id, patient_id=patient_id, kind=SupplyEvent.Kind.PICKUP)
        .exclude(batch_number="")
        .values_list("batch_number", "batch_expires_on")
        .first()
    )
    if row is None:
        raise LogRefused("Choose one of the boxes on hand from the list.", field="batch", rule_id="TRACE-BATCH")
    batch_number, expires_on = row
    if refusal := syringe_supply.expired_box_refusal(
        batch_number=batch_number, expires_on=expires_on, on=taken_at.astimezone(zone).date()
    ):
        raise LogRefused(refusal, field="batch", rule_id="TRACE-BATCH")
    return BatchUsed(pickup_id, batch_number, expires_on)
