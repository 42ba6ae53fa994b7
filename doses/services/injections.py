"""Dose slots and injections: materialising slots, logging a dose, a dose not taken, a discarded syringe."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from companion.models import Patient
from doses.rules import record_limits, syringe_supply

from .. import schedule, signals, sites
from ..models import (
    CareAlert,
    DoseSlot,
    InjectedBy,
    Injection,
    NotTakenReason,
    SlotStatus,
    SupplyEvent,
)
from . import holds, log_records
from .alerts import raise_care_alert
from .refusals import DoseRefused
from .summaries import refresh_adherence_summary_on_commit


@transaction.atomic
def record_injection(
    *,
    taken_at: datetime,
    site_spot: str,
    by,
    patient: Patient | None = None,
    slot: DoseSlot | None = None,
    dose_mg: Decimal | None = None,
    injected_by: str = InjectedBy.SELF,
    prep_checks: dict | None = None,
    notes: str = "",
    confirm_above_prescribed: bool = False,
    fresh_syringe_used: bool = False,
    batch_pickup_id: int | None = None,
    now: datetime | None = None,
) -> Injection:
    """Log a dose and take one syringe from the supply (PREP-ONCE).

    Give the `patient`, and the dose the time counts for is found here, under the lock; or
    give the `slot` the caller means, and a time outside its window is refused.
    MISS-NODOUBLE is enforced twice: the slot rows are locked and decided on here (which dose
    the time counts for, taken already or not, the spacing from the other injections), and the
    one-to-one between slot and injection refuses a second row at the database. Every
    refusal names the form field it is about.
    What really happened is recorded (doses/services/log_records.py): a dose above the
    prescribed one once confirmed, flagged and alerted (AE-OVERDOSE); never with a syringe
    out of the fridge 24 hours (PREP-24H); the syringe count never below zero (SUPPLY-BOX).
    TRACE-BATCH: the dose carries the batch of the box its syringe came from
    (`batch_pickup_id`, a pick-up; None: a box whose batch was not recorded), never an expired one.
    """

    now = now or timezone.now()
    patient = patient if patient is not None else slot.patient
    if refusal := record_limits.future_moment_refusal(taken_at, now, "time taken", patient.zone):
        raise DoseRefused(refusal, field="taken_at")
    if refusal := sites.site_refusal(site_spot, injected_by == InjectedBy.OTHER):  # SITE-SELF / SITE-OTHER
        raise DoseRefused(refusal, "SITE-SELF", field="site_spot")
    # MISS-NODOUBLE spacing looks at the patient's other injections, and the supply count
    # (SUPPLY-BOX) must not go below zero: the patient row is locked first (as a regimen change
    # does), then the slots around the time, so two doses logged at once are decided one after
    # the other.
    log_records.lock_patient_supply(patient.pk)
    facts = log_records.dose_facts_locked(patient.pk, pickup_id=batch_pickup_id)
    found = schedule.timeline(patient, taken_at, lock=True)
    meant = (found.slot(slot.pk) or slot) if slot is not None else None
    decision = found.decide(taken_at, now=now, slot=meant)  # window, taken already, spacing
    # AE-ALLERGY / AE-INFECTION: no dose while treatment is on hold or stopped (checked under
    # the patient lock a hold also takes, so a hold started at this moment is seen; the
    # slot's HELD status as read under its own lock).
    holds.refuse_if_held(patient, taken_at, decision.slot, now=now, possibly_held=facts.possibly_held)
    if not decision.accepted:
        raise DoseRefused(decision.reason, decision.rule_id, field="taken_at")
    locked = decision.slot
    dose = Decimal(dose_mg) if dose_mg is not None else locked.dose_mg
    try:  # AE-OVERDOSE, PREP-24H: refusals that name their form field
        above = log_records.check_dose_amount(
            dose_mg=dose, prescribed_mg=locked.dose_mg, confirm_above_prescribed=confirm_above_prescribed
        )
        fridge = log_records.syringe_for_dose(
            patient_id=locked.patient_id,
            taken_at=taken_at,
            fresh_syringe_used=fresh_syringe_used,
            fridge_open=facts.fridge_open,
        )
        batch = log_records.batch_for_dose(  # TRACE-BATCH
            pickup_id=batch_pickup_id, box=facts.box, taken_at=taken_at, zone=patient.zone
        )
    except log_records.LogRefused as refused:
        raise DoseRefused(str(refused), refused.rule_id, field=refused.field) from None
    try:
        # No savepoint of its own: nothing runs after a refused insert but the raise, and the
        # raise leaves this function's atomic block, which rolls back to its savepoint.
        injection = Injection.objects.create(
            slot=locked,
            patient_id=locked.patient_id,
            taken_at=taken_at,
            dose_mg=dose,
            site_spot=site_spot,
            injected_by=injected_by,
            prep_checks=prep_checks or {},
            notes=notes,
            logged_by=by,
            logged_at=now,
            above_prescribed=above,
            prescribed_mg=locked.dose_mg,
            batch_number=batch.batch_number,
            batch_expires_on=batch.expires_on,
        )
    except IntegrityError as exc:  # the one-to-one refused a second injection for the slot
        raise DoseRefused("This dose is already logged (MISS-NODOUBLE).", "MISS-NODOUBLE") from exc
    locked.status = SlotStatus.TAKEN
    locked.not_taken_reason = ""
    locked.status_changed_at = now
    locked.status_changed_by = by
    locked.save(update_fields=["status", "not_taken_reason", "status_changed_at", "status_changed_by"])
    # PREP-ONCE: each syringe is used once, so a dose above 100 mg uses more than one;
    # SUPPLY-BOX: never more than the count has.
    taken = log_records.take_syringes(
        patient_id=locked.patient_id,
        needed=syringe_supply.syringes_per_dose(dose),
        kind=SupplyEvent.Kind.DOSE,
        occurred_at=taken_at,
        by=by,
        injection=injection,
        patient_locked=True,  # above, before the slot
        from_pickup_id=batch.pickup_id,
        on_hand=facts.syringes_on_hand,  # read under that lock; nothing has been taken since
    )
    # SUPPLY-BOX: the dose that takes the supply to the refill threshold sends the refill message now.
    log_records.announce_if_supply_low(
        patient_id=locked.patient_id, on_hand=facts.syringes_on_hand + taken.syringes, regimen=found.current_regimen
    )
    # PREP-24H: the syringe warming up (within its 24 hours) is the one just used; close it so
    # Today stops counting down. An expired one stays open for the discard flow.
    log_records.close_as_used(fridge, now=now)
    if above:  # AE-OVERDOSE: the care team hears at once (reminders: even in quiet hours)
        raise_care_alert(
            patient=locked.patient,
            kind=CareAlert.Kind.OVERDOSE,
            rule_id="AE-OVERDOSE",
            summary=log_records.overdose_alert_summary(injection, locked.dose_mg),
            now=now,
        )
    refresh_adherence_summary_on_commit(locked.patient_id)
    return injection


# ---------------------------------------------------------------------------
# Injection log: which dose a time belongs to, not-taken doses, discarded syringes
# (added by the injection-log helper)
# ---------------------------------------------------------------------------


@transaction.atomic
def record_not_taken(*, slot: DoseSlot, reason: str, by, now: datetime | None = None) -> DoseSlot:
    """Record that a scheduled dose was not taken, and why (forgot, side effect, ...).

    A dose already logged as taken stays taken (MISS-NODOUBLE: the record of a dose given
    is never overwritten); a dose whose window has not opened yet cannot be marked.
    """

    now = now or timezone.now()
    if reason not in NotTakenReason.values:
        raise DoseRefused("Choose why the dose was not taken.")
    locked = DoseSlot.objects.select_for_update().select_related("regimen__patient").get(pk=slot.pk)
    if locked.status == SlotStatus.TAKEN:
        raise DoseRefused("This dose is already logged as taken, so it cannot be marked as not taken.", "MISS-NODOUBLE")
    holds.refuse_if_held(locked.regimen.patient, locked.scheduled_at, locked, now=now)  # a held dose is not due
    window = schedule.window_for_slot(locked)
    if now < window.opens_at:
        local = timezone.localtime(window.opens_at, locked.regimen.patient.zone)
        raise DoseRefused(f"This dose is not due yet. You can record it from {local:%a %d %b %H:%M}.")
    locked.status = SlotStatus.NOT_TAKEN
    locked.not_taken_reason = reason
    locked.status_changed_at = now
    locked.status_changed_by = by
    locked.save(update_fields=["status", "not_taken_reason", "status_changed_at", "status_changed_by"])
    refresh_adherence_summary_on_commit(locked.patient_id)
    return locked


def record_discarded_syringe(*, patient: Patient, reason: str, by, at: datetime | None = None) -> SupplyEvent:
    """PREP-24H / PREP-LOOK / PREP-ONCE: a syringe that must not be used leaves the supply.

    It is a discard, not a dose: the scheduled dose stays open for a new syringe. The
    count never goes below zero (SUPPLY-BOX): at zero the discard is recorded and asks for a count.
    """
    with transaction.atomic():
        event = log_records.take_syringes(
            patient_id=patient.pk,
            needed=1,
            kind=SupplyEvent.Kind.DISCARD,
            occurred_at=at or timezone.now(),
            by=by,
            note=reason,
        )
        # SUPPLY-BOX: a discard may take the supply to the refill threshold too; reminders checks
        # (one query on a rare action, instead of reading the regimen here).
        signals.announce_supply_taken_on_commit(patient.pk)
    refresh_adherence_summary_on_commit(patient.pk)
    return event


