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

from django.db.models import Exists, OuterRef, Subquery, Sum

from companion.models import Patient
from doses.rules import catalogue, recorded_doses, syringe_supply

from .. import signals
from ..models import FridgeSyringe, Injection, SupplyEvent
from ..selectors import supply as supply_selectors
from .holds import MAY_BE_HELD, may_be_held


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


@dataclass(frozen=True)
class DoseFacts:
    """What logging a dose asks of the record, read in one statement under the patient lock."""

    possibly_held: bool  # an open hold or no current regimen (AE-ALLERGY, AE-INFECTION, TX-HOLD)
    syringes_on_hand: int  # the ledger (SUPPLY-BOX)
    fridge_open: bool  # a syringe out of the fridge and not yet closed (PREP-24H)
    box: tuple[str, date | None] | None  # the chosen pick-up's batch and expiry, if it is one (TRACE-BATCH)


def dose_facts_locked(patient_id: int, *, pickup_id: int | None = None) -> DoseFacts:
    """Call after lock_patient_supply: a statement of its own, so it sees every write committed
    before the lock was granted (a hold, a pick-up, a syringe taken out). `pickup_id`: the box
    the person chose, read in the same statement (only a pick-up of this patient with a batch)."""
    on_hand = (
        SupplyEvent.objects.filter(patient=OuterRef("pk")).order_by().values("patient").annotate(total=Sum("syringes"))
    )
    box = SupplyEvent.objects.filter(
        pk=pickup_id, patient=OuterRef("pk"), kind=SupplyEvent.Kind.PICKUP
    ).exclude(batch_number="")
    open_hold, running, total, fridge_open, box_batch, box_expires = (
        Patient.objects.filter(pk=patient_id)
        .annotate(
            **MAY_BE_HELD,
            on_hand=Subquery(on_hand.values("total")),
            fridge_open=Exists(FridgeSyringe.objects.filter(patient=OuterRef("pk"), closed_at__isnull=True)),
            box_batch=Subquery(box.values("batch_number")[:1]),
            box_expires=Subquery(box.values("batch_expires_on")[:1]),
        )
        .values_list("open_hold", "running", "on_hand", "fridge_open", "box_batch", "box_expires")
        .get()
    )
    found = (box_batch, box_expires) if pickup_id is not None and box_batch is not None else None
    return DoseFacts(may_be_held(open_hold, running), total or 0, fridge_open, found)


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


def syringe_for_dose(
    *, patient_id: int, taken_at: datetime, fresh_syringe_used: bool, fridge_open: bool = True
) -> FridgeOutcome:
    """PREP-24H: which open fridge syringe a dose taken at `taken_at` used, refusing an expired one.

    A syringe out for 24 hours or more at `taken_at` must not be used. If one is open, the
    dose is refused unless the person says a fresh syringe was used; then the dose uses the
    oldest syringe still within its 24 hours (if any) and the expired ones stay open, so
    Today keeps saying "Do not use the syringe out of the fridge" until it is discarded.
    """
    if not fridge_open:  # DoseFacts: no syringe is out of the fridge
        return FridgeOutcome(used=None, left_expired=())
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
    on_hand: int | None = None,
) -> SupplyEvent:
    """SUPPLY-BOX: take `needed` syringes from the count for a dose or a discard, never below zero.

    The patient row is locked first (unless the caller already holds the lock in this
    transaction: `patient_locked`), so two writes at once see each other's result.
    `on_hand`: the ledger as the caller read it under that lock (DoseFacts).
    """
    if not patient_locked:
        lock_patient_supply(patient_id)
    if on_hand is None:
        on_hand = syringes_on_hand_locked(patient_id)
    taken, shortfall = recorded_doses.syringes_taken(needed, on_hand)
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


def announce_if_supply_low(*, patient_id: int, on_hand: int, regimen) -> None:
    """SUPPLY-BOX: once the dose's transaction commits, tell reminders (doses.signals.supply_taken)
    if the `on_hand` syringes left now need a refill at `regimen` (the rule the refill job and
    Today's banner use): the refill message goes at once. Decided here, from what the dose read
    under its lock, so a dose that leaves plenty costs no query more."""
    if regimen is None:
        return
    days = syringe_supply.days_of_supply(
        on_hand,
        dose_mg=regimen.dose_per_administration_mg,
        administrations_per_day=regimen.administrations_per_day,
        interval_days=regimen.interval_days,
    )
    if syringe_supply.needs_refill(days, refill_days=supply_selectors.refill_days()):
        signals.announce_supply_taken_on_commit(patient_id)


@dataclass(frozen=True)
class BatchUsed:
    pickup_id: int | None
    batch_number: str
    expires_on: date | None


def batch_for_dose(*, pickup_id: int | None, box: tuple[str, date | None] | None, taken_at: datetime, zone) -> BatchUsed:
    """TRACE-BATCH: the box (a pick-up with its batch) the dose's syringe came from, refusing an
    expired one (`box`: as DoseFacts read it). None: a syringe from a box whose batch was not
    recorded (picked up before)."""
    if pickup_id is None:
        return BatchUsed(None, "", None)
    if box is None:
        raise LogRefused("Choose one of the boxes on hand from the list.", field="batch", rule_id="TRACE-BATCH")
    batch_number, expires_on = box
    if refusal := syringe_supply.expired_box_refusal(
        batch_number=batch_number, expires_on=expires_on, on=taken_at.astimezone(zone).date()
    ):
        raise LogRefused(refusal, field="batch", rule_id="TRACE-BATCH")
    return BatchUsed(pickup_id, batch_number, expires_on)
