"""Writes that touch several rows, each in one transaction. Keyword-only arguments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from companion.models import Patient

from . import rules
from .models import CareAlert, DoseSlot, InjectedBy, Injection, LabTest, Regimen, SlotStatus, SupplyEvent


class DoseRefused(Exception):
    """A dose the rules refuse; the message says why (MISS-NODOUBLE, SITE-SELF, ...)."""

    def __init__(self, message: str, rule_id: str = ""):
        super().__init__(message)
        self.rule_id = rule_id


def skip_within_hours() -> float:
    return float(settings.MISSED_DOSE_SKIP_WITHIN_HOURS)


def _check_regimen(
    *,
    dose_basis: str,
    daily_dose_mg: Decimal,
    interval_days: int,
    administrations_per_day: int,
    times_of_day: list[str],
    confirmed: bool,
    mg_per_kg: Decimal | None,
    weight_kg_basis: Decimal | None,
    override_reason: str,
) -> None:
    """Refuse a regimen the rules do not allow, before anything is written."""
    if interval_days not in (1, 2):  # SCHED-DAILY / SCHED-RENAL
        raise rules.DoseRuleError("Anakinra is given every day or every other day.")
    if administrations_per_day not in (1, 2):  # DOSE-PED-STEP
        raise rules.DoseRuleError("A daily dose is given once, or split into two injections a day.")
    if len(times_of_day) != administrations_per_day:
        raise rules.DoseRuleError("Give one time of day for each injection of the day (SCHED-DAILY, SCHED-TZ).")
    if len(set(times_of_day)) != len(times_of_day):
        raise rules.DoseRuleError("The two injections of a split dose need two different times of day.")
    if dose_basis == Regimen.DoseBasis.FIXED_ADULT:
        if Decimal(daily_dose_mg) != rules.ADULT_DOSE_MG:
            raise rules.DoseRuleError("The fixed adult dose is 100 mg once a day (DOSE-ADULT).")
    else:
        if mg_per_kg is None or weight_kg_basis is None:
            raise rules.DoseRuleError("A weight-based dose needs the weight and the dose per kilogram.")
        computed = rules.paediatric_dose(weight_kg_basis, mg_per_kg)  # DOSE-PED-RANGE refuses outside 1-10
        if Decimal(daily_dose_mg) != computed.mg:
            raise rules.DoseRuleError(
                f"{mg_per_kg} mg/kg × {weight_kg_basis} kg is {computed.mg} mg a day, not {daily_dose_mg} mg."
            )
        if computed.needs_clinician_override and not (confirmed and override_reason.strip()):
            raise rules.DoseRuleError(
                "A dose above 8 mg/kg/day needs a clinician override with a reason (DOSE-PED-MAX)."
            )


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
    """Start a new regimen version; every older version ends the day the new one starts.

    The old series stops cleanly: its pending slots from `starts_on` on are removed and
    the new version's slots are materialised. Taken, missed and not-taken slots stay, and
    a local day that already has one of them gets no new slot (MISS-NODOUBLE).
    `confirmed` means a clinician entered it (the caller checks the CONFIRM capability).
    """
    now = now or timezone.now()
    _check_regimen(
        dose_basis=dose_basis,
        daily_dose_mg=daily_dose_mg,
        interval_days=interval_days,
        administrations_per_day=administrations_per_day,
        times_of_day=times_of_day,
        confirmed=confirmed,
        mg_per_kg=mg_per_kg,
        weight_kg_basis=weight_kg_basis,
        override_reason=override_reason,
    )
    # Lock the patient row: two edits at once queue up instead of both becoming "current".
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    current = Regimen.objects.current().filter(patient=patient).first()
    version = (Regimen.objects.filter(patient=patient).aggregate(top=Max("version"))["top"] or 0) + 1
    # Every version still running on or after the new start ends there. A version that had
    # not started yet ends on its own start day, so it never produces a slot.
    overlapping = list(
        Regimen.objects.filter(patient=patient).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=starts_on))
    )
    for old in overlapping:
        old.ends_on = max(starts_on, old.starts_on)
        old.save(update_fields=["ends_on"])
    if overlapping:
        start_utc = rules.local_slot(starts_on, datetime.min.time(), patient.zone)
        DoseSlot.objects.filter(
            regimen__in=overlapping, status=SlotStatus.PENDING, scheduled_at__gte=start_utc
        ).delete()
    is_override = confirmed and mg_per_kg is not None and Decimal(mg_per_kg) > rules.PED_LABEL_MAX_MG_PER_KG
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
        override_reason=override_reason if is_override else "",
        override_by=entered_by if is_override else None,
        supersedes=current,
    )
    if is_override:
        # DOSE-PED-MAX: the override is recorded on the version and shown to the care team.
        CareAlert.objects.create(
            patient=patient,
            kind=CareAlert.Kind.DOSE_OVERRIDE,
            rule_id="DOSE-PED-MAX",
            summary=f"{mg_per_kg} mg/kg/day (above the labelled 8 mg/kg/day) prescribed by {entered_by}.",
            created_at=now,
        )
    if current is None:
        schedule_neutrophil_checks(patient=patient, first_dose_on=starts_on)
    horizon = patient.local_today(now) + timedelta(days=settings.SCHEDULE_HORIZON_DAYS)
    materialise_slots(regimen=regimen, from_day=starts_on, to_day=horizon)
    return regimen


def materialise_slots(*, regimen: Regimen, from_day: date, to_day: date) -> int:
    """Create the regimen's dose slots between two local days. Idempotent.

    MISS-NODOUBLE: a local day that already has a taken, missed or not-taken dose from an
    earlier version keeps it and gets no slot from this one (the change day of a regimen).
    """
    zone = regimen.patient.zone
    dose = regimen.dose_per_administration_mg
    closed_days = set(
        DoseSlot.objects.filter(patient_id=regimen.patient_id, local_date__gte=from_day, local_date__lte=to_day)
        .exclude(regimen=regimen)
        .exclude(status=SlotStatus.PENDING)
        .values_list("local_date", flat=True)
    )
    slots = [
        DoseSlot(
            patient_id=regimen.patient_id,
            regimen=regimen,
            scheduled_at=moment,
            local_date=moment.astimezone(zone).date(),
            dose_mg=dose,
        )
        for moment in regimen.slot_datetimes(from_day, to_day)
        if moment.astimezone(zone).date() not in closed_days
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


class RegimenNotConfirmable(Exception):
    """The version is not awaiting confirmation (already confirmed, or replaced by a newer one)."""


@transaction.atomic
def confirm_regimen(*, regimen: Regimen, clinician, now: datetime | None = None) -> Regimen:
    """A clinician confirms a patient- or parent-entered version that is still in force.

    The caller checks the CONFIRM capability. A version replaced before anyone confirmed
    it stays in the history as it was.
    """
    updated = Regimen.objects.filter(
        pk=regimen.pk, status=Regimen.Status.AWAITING_CONFIRMATION, ends_on__isnull=True
    ).update(status=Regimen.Status.CONFIRMED, confirmed_by=clinician, confirmed_at=now or timezone.now())
    regimen.refresh_from_db()
    if not updated:
        if regimen.is_confirmed:
            raise RegimenNotConfirmable("This regimen is already confirmed.")
        raise RegimenNotConfirmable("This version was replaced by a newer one; confirm the current regimen instead.")
    return regimen


def window_for_slot(slot: DoseSlot) -> rules.DoseWindow:
    """MISS-NODOUBLE: the dose window of a slot, from its neighbours on the schedule."""
    neighbours = neighbouring_slot_times(slot)
    return rules.dose_window(
        slot.scheduled_at,
        neighbours["next"],
        neighbours["previous"],
        timedelta(hours=skip_within_hours()),
    )


def neighbouring_slot_times(slot: DoseSlot) -> dict[str, datetime | None]:
    """The scheduled times just before and after a slot, from the rules (not only stored rows).

    Across a change of regimen the neighbours come from the versions in force around the
    slot (the one before and the one after), so the windows on the change day neither
    overlap nor leave a hole (MISS-NODOUBLE).
    """
    regimen = slot.regimen
    local_day = slot.local_date
    span = timedelta(days=3)
    nearby = Regimen.objects.filter(patient_id=slot.patient_id, starts_on__lte=local_day + span).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=local_day - span)
    )
    times = {slot.scheduled_at}
    for version in nearby.select_related("patient"):
        times.update(version.slot_datetimes(local_day - span, local_day + span))
    ordered = sorted(times)
    index = ordered.index(slot.scheduled_at)
    previous = ordered[index - 1] if index > 0 else None
    following = (
        ordered[index + 1] if index + 1 < len(ordered) else slot.scheduled_at + timedelta(days=regimen.interval_days)
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
    if site_spot not in sites.ALL_SPOTS:
        raise DoseRefused("Choose an injection spot on the body map.", "SITE-SELF")
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
        # PREP-ONCE: each syringe is used once, so a dose above 100 mg uses more than one.
        syringes=-rules.syringes_per_dose(dose),
        occurred_at=taken_at,
        injection=injection,
        recorded_by=by,
    )
    return injection


# ---------------------------------------------------------------------------
# Injection log: which dose a time belongs to, not-taken doses, discarded syringes
# (added by the injection-log helper)
# ---------------------------------------------------------------------------


def slot_for_time(*, patient: Patient, moment: datetime) -> DoseSlot | None:
    """MISS-NODOUBLE: the stored dose whose window contains `moment`, if any.

    Windows meet end to end, so at most one slot matches. Only the few slots within a
    few days of the moment are candidates; the window itself comes from the rules.
    """
    candidates = (
        DoseSlot.objects.filter(
            patient=patient,
            scheduled_at__gte=moment - timedelta(days=3),
            scheduled_at__lte=moment + timedelta(days=3),
        )
        .select_related("regimen__patient")
        .order_by("scheduled_at")
    )
    # Nearest first: the matching slot is almost always the closest one.
    for slot in sorted(candidates, key=lambda s: abs(s.scheduled_at - moment)):
        if moment in window_for_slot(slot):
            return slot
    return None


@transaction.atomic
def record_not_taken(*, slot: DoseSlot, reason: str, by, now: datetime | None = None) -> DoseSlot:
    """Record that a scheduled dose was not taken, and why (forgot, side effect, ...).

    A dose already logged as taken stays taken (MISS-NODOUBLE: the record of a dose given
    is never overwritten); a dose whose window has not opened yet cannot be marked.
    """
    from .models import NotTakenReason

    now = now or timezone.now()
    if reason not in NotTakenReason.values:
        raise DoseRefused("Choose why the dose was not taken.")
    locked = DoseSlot.objects.select_for_update().select_related("regimen__patient").get(pk=slot.pk)
    if locked.status == SlotStatus.TAKEN:
        raise DoseRefused("This dose is already logged as taken, so it cannot be marked as not taken.", "MISS-NODOUBLE")
    window = window_for_slot(locked)
    if now < window.opens_at:
        local = timezone.localtime(window.opens_at, locked.regimen.patient.zone)
        raise DoseRefused(f"This dose is not due yet. You can record it from {local:%a %d %b %H:%M}.")
    locked.status = SlotStatus.NOT_TAKEN
    locked.not_taken_reason = reason
    locked.status_changed_at = now
    locked.status_changed_by = by
    locked.save(update_fields=["status", "not_taken_reason", "status_changed_at", "status_changed_by"])
    return locked


def record_discarded_syringe(*, patient: Patient, reason: str, by, at: datetime | None = None) -> SupplyEvent:
    """PREP-24H / PREP-LOOK / PREP-ONCE: a syringe that must not be used leaves the supply.

    It is a discard, not a dose: the scheduled dose stays open for a new syringe.
    """
    return SupplyEvent.objects.create(
        patient=patient,
        kind=SupplyEvent.Kind.DISCARD,
        syringes=-1,
        occurred_at=at or timezone.now(),
        note=reason[:300],
        recorded_by=by,
    )
