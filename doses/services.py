"""Writes that touch several rows, each in one transaction. Keyword-only arguments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from companion.models import Patient

from . import rules
from .models import DoseSlot, InjectedBy, Injection, LabTest, Regimen, SlotStatus, SupplyEvent


class DoseRefused(Exception):
    """A dose the rules refuse; the message says why (MISS-NODOUBLE, SITE-SELF, ...)."""

    def __init__(self, message: str, rule_id: str = ""):
        super().__init__(message)
        self.rule_id = rule_id


def skip_within_hours() -> float:
    return float(settings.MISSED_DOSE_SKIP_WITHIN_HOURS)


@transaction.atomic
def create_regimen_version(
    *,
    patient: Patient,
    entered_by,
    dose_basis: str,
    daily_dose_mg: Decimal,
    interval_days: int,
    administrations_per_day: int,
    times_of_day: list[str],
    starts_on: date,
    confirmed: bool,
    mg_per_kg: Decimal | None = None,
    weight_kg_basis: Decimal | None = None,
    change_reason: str = "",
    override_reason: str = "",
    now: datetime | None = None,
) -> Regimen:
    """Start a new regimen version; the current one ends the day the new one starts.

    The old series stops cleanly: its pending slots from `starts_on` on are removed and
    the new version's slots are materialised. Taken, missed and not-taken slots stay.
    """
    now = now or timezone.now()
    # Lock the patient's current regimen so two edits cannot both become "current".
    current = Regimen.objects.select_for_update().filter(patient=patient, ends_on__isnull=True).first()
    version = 1
    if current is not None:
        version = current.version + 1
        if starts_on <= current.starts_on:
            # The old version never took effect: end it on its own start day (no slots).
            current.ends_on = current.starts_on
        else:
            current.ends_on = starts_on
        current.save(update_fields=["ends_on"])
        start_utc = rules.local_slot(starts_on, datetime.min.time(), patient.zone)
        DoseSlot.objects.filter(regimen=current, status=SlotStatus.PENDING, scheduled_at__gte=start_utc).delete()
    if (
        mg_per_kg is not None
        and Decimal(mg_per_kg) > rules.PED_LABEL_MAX_MG_PER_KG
        and not (confirmed and override_reason.strip())
    ):
        raise rules.DoseRuleError("A dose above 8 mg/kg/day needs a clinician override with a reason (DOSE-PED-MAX).")
    regimen = Regimen.objects.create(
        patient=patient,
        version=version,
        dose_basis=dose_basis,
        daily_dose_mg=daily_dose_mg,
        mg_per_kg=mg_per_kg,
        weight_kg_basis=weight_kg_basis,
        interval_days=interval_days,
        administrations_per_day=administrations_per_day,
        times_of_day=sorted(times_of_day),
        starts_on=starts_on,
        status=Regimen.Status.CONFIRMED if confirmed else Regimen.Status.AWAITING_CONFIRMATION,
        entered_by=entered_by,
        entered_at=now,
        confirmed_by=entered_by if confirmed else None,
        confirmed_at=now if confirmed else None,
        change_reason=change_reason,
        override_reason=override_reason if confirmed else "",
        override_by=entered_by if confirmed and override_reason else None,
        supersedes=current,
    )
    if current is None:
        schedule_neutrophil_checks(patient=patient, first_dose_on=starts_on)
    horizon = patient.local_today(now) + timedelta(days=settings.SCHEDULE_HORIZON_DAYS)
    materialise_slots(regimen=regimen, from_day=starts_on, to_day=horizon)
    return regimen


def materialise_slots(*, regimen: Regimen, from_day: date, to_day: date) -> int:
    """Create the regimen's dose slots between two local days. Idempotent."""
    zone = regimen.patient.zone
    dose = regimen.dose_per_administration_mg
    slots = [
        DoseSlot(
            patient_id=regimen.patient_id,
            regimen=regimen,
            scheduled_at=moment,
            local_date=moment.astimezone(zone).date(),
            dose_mg=dose,
        )
        for moment in regimen.slot_datetimes(from_day, to_day)
    ]
    # ignore_conflicts: a second run (or a second worker) creates nothing new.
    DoseSlot.objects.bulk_create(slots, ignore_conflicts=True, batch_size=1000)
    return len(slots)


def schedule_neutrophil_checks(*, patient: Patient, first_dose_on: date) -> None:
    """AE-LABS: neutrophil count before starting, monthly for 3 months, then quarterly to a year."""
    LabTest.objects.bulk_create(
        [
            LabTest(patient=patient, label=label, due_on=due)
            for due, label in rules.neutrophil_check_dates(first_dose_on)
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def confirm_regimen(*, regimen: Regimen, clinician, now: datetime | None = None) -> Regimen:
    Regimen.objects.filter(pk=regimen.pk, status=Regimen.Status.AWAITING_CONFIRMATION).update(
        status=Regimen.Status.CONFIRMED, confirmed_by=clinician, confirmed_at=now or timezone.now()
    )
    regimen.refresh_from_db()
    return regimen


def window_for_slot(slot: DoseSlot) -> rules.DoseWindow:
    """MISS-NODOUBLE: the dose window of a slot, from its neighbours on the schedule."""
    neighbours = neighbouring_slot_times(slot)
    return rules.dose_window(
        slot.scheduled_at,
        neighbours["next"],
        neighbours["previous"],
        rules.default_skip_within(neighbours["next"] - slot.scheduled_at, skip_within_hours()),
    )


def neighbouring_slot_times(slot: DoseSlot) -> dict[str, datetime | None]:
    """The scheduled times just before and after a slot, from the rules (not only stored rows)."""
    regimen = slot.regimen
    local_day = slot.local_date
    span = timedelta(days=regimen.interval_days + 1)
    times = regimen.slot_datetimes(local_day - span, local_day + span)
    if regimen.ends_on is not None or not any(t > slot.scheduled_at for t in times):
        successor = Regimen.objects.filter(patient=slot.patient, supersedes=regimen).first()
        if successor is not None:
            times += successor.slot_datetimes(local_day, local_day + span)
    times = sorted(set(times) | {slot.scheduled_at})
    index = times.index(slot.scheduled_at)
    previous = times[index - 1] if index > 0 else None
    following = (
        times[index + 1] if index + 1 < len(times) else slot.scheduled_at + timedelta(days=regimen.interval_days)
    )
    return {"previous": previous, "next": following}


@transaction.atomic
def record_injection(
    *,
    slot: DoseSlot,
    taken_at: datetime,
    site_spot: str,
    by,
    dose_mg: Decimal | None = None,
    injected_by: str = InjectedBy.SELF,
    prep_checks: dict | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> Injection:
    """Log a dose for a slot and take one syringe from the supply (PREP-ONCE).

    MISS-NODOUBLE is enforced twice: the slot row is locked and checked here, and the
    one-to-one between slot and injection refuses a second row at the database.
    """
    from . import sites

    now = now or timezone.now()
    if taken_at > now + timedelta(minutes=1):
        raise DoseRefused("The time taken cannot be in the future.")
    if not sites.is_allowed(site_spot, injected_by == InjectedBy.OTHER):
        raise DoseRefused(
            "That site is only for when someone else gives the injection: use the stomach or thighs "
            "when injecting yourself (SITE-SELF, SITE-OTHER).",
            "SITE-SELF",
        )
    locked = DoseSlot.objects.select_for_update().get(pk=slot.pk)
    if locked.status == SlotStatus.TAKEN:
        raise DoseRefused(
            "This dose is already logged. Never take a double dose to make up for a missed one (MISS-NODOUBLE).",
            "MISS-NODOUBLE",
        )
    window = window_for_slot(locked)
    if taken_at not in window:
        raise DoseRefused(
            "That time is outside this dose's window "
            f"({timezone.localtime(window.opens_at, slot.patient.zone):%a %d %b %H:%M} to "
            f"{timezone.localtime(window.closes_at, slot.patient.zone):%a %d %b %H:%M}).",
            "MISS-SKIP",
        )
    dose = Decimal(dose_mg) if dose_mg is not None else locked.dose_mg
    if dose <= 0 or dose > locked.dose_mg:
        raise DoseRefused(f"The dose must be more than 0 mg and no more than the prescribed {locked.dose_mg} mg.")
    try:
        with transaction.atomic():
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
            )
    except IntegrityError as exc:  # a concurrent transaction won the race
        raise DoseRefused("This dose is already logged (MISS-NODOUBLE).", "MISS-NODOUBLE") from exc
    locked.status = SlotStatus.TAKEN
    locked.not_taken_reason = ""
    locked.status_changed_at = now
    locked.status_changed_by = by
    locked.save(update_fields=["status", "not_taken_reason", "status_changed_at", "status_changed_by"])
    SupplyEvent.objects.create(
        patient_id=locked.patient_id,
        kind=SupplyEvent.Kind.DOSE,
        syringes=-1,
        occurred_at=taken_at,
        injection=injection,
        recorded_by=by,
    )
    return injection
