"""Regimen writes: versions, proposals, confirmation and the weight-change check (issue 13).

The prescription stays with the clinician. A first regimen (nothing confirmed before) is
in force as entered and marked unconfirmed. A change to a confirmed regimen by anyone
without the CONFIRM capability is a RegimenProposal: the confirmed version stays in force
(slots, reminders, the log, the calendar feed read only Regimen rows) until a clinician
confirms it (a new version, starting on its date or tomorrow if that has passed) or
declines it with a reason the family sees. Every regimen rule is asked of
regimen_review.regimen_findings, here, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from companion.models import Patient
from doses.rules import catalogue, dose_timing, dosing, regimen_review

from .. import schedule
from ..models import CareAlert, DoseSlot, Regimen, RegimenProposal, SlotStatus
from ..selectors.proposals import regimen_in_force
from .alerts import raise_care_alert
from .records import schedule_neutrophil_checks
from .slots import materialise_slots
from .summaries import refresh_adherence_summary_on_commit


class RegimenRefused(catalogue.DoseRuleError):
    """A regimen a rule refuses; `field` names the form field, `rule_id` the rule."""

    def __init__(self, message: str, field: str | None = None, rule_id: str = "", findings=()):
        super().__init__(message)
        self.field = field
        self.rule_id = rule_id
        self.findings = list(findings)


class RegimenNeedsReview(Exception):
    """Flags (DOSE-PED-START, DOSE-PED-STEP, ...) that the person saving has not seen yet."""

    def __init__(self, findings: list[regimen_review.RegimenFinding]):
        super().__init__("Check the points below before saving.")
        self.findings = findings


class RegimenNotConfirmable(Exception):
    """The version is not awaiting confirmation (already confirmed, or replaced by a newer one)."""


class ProposalNotOpen(RegimenNotConfirmable):
    """The proposal was already confirmed, declined, withdrawn or replaced."""


def _previous(regimen: Regimen | None) -> regimen_review.PreviousRegimen | None:
    if regimen is None:
        return None
    return regimen_review.PreviousRegimen(regimen.dose_basis, regimen.daily_dose_mg, regimen.mg_per_kg)


def _daily_mg(dose_basis: str, daily_dose_mg, mg_per_kg, weight_kg_basis) -> Decimal | None:
    """The daily dose the rules give, when the caller left it to them (the form only parses)."""
    if daily_dose_mg is not None:
        return Decimal(daily_dose_mg)
    if dose_basis == Regimen.DoseBasis.FIXED_ADULT:
        return dosing.ADULT_DOSE_MG
    if mg_per_kg is None or weight_kg_basis is None:
        return None
    return dosing.weight_based_daily_mg(weight_kg_basis, mg_per_kg)


def regimen_checks(
    *,
    patient: Patient,
    by_clinician: bool,
    dose_basis: str,
    interval_days: int,
    administrations_per_day: int,
    times_of_day: list[str],
    starts_on: date,
    daily_dose_mg: Decimal | None = None,
    mg_per_kg: Decimal | None = None,
    weight_kg_basis: Decimal | None = None,
    override_reason: str = "",
    previous: Regimen | None = None,
    check_start: bool = False,
    now: datetime | None = None,
) -> list[regimen_review.RegimenFinding]:
    """Every regimen rule for this patient (age on the start day, indication), refusals first.

    `previous` is the regimen the change is measured against (DOSE-PED-STEP); None for a
    first regimen (DOSE-PED-START). A read: the view calls it to show the checks before
    saving, and the writes below call it again.
    """
    found = []
    if check_start and starts_on < patient.local_today(now):
        found.append(
            regimen_review.RegimenFinding(
                "SCHED-TZ",
                regimen_review.REFUSE,
                "A regimen starts today or later (the patient's local date). Past doses stay as they were logged.",
                "starts_on",
            )
        )
    return found + regimen_review.regimen_findings(
        dose_basis=dose_basis,
        daily_dose_mg=daily_dose_mg,
        mg_per_kg=mg_per_kg,
        weight_kg=weight_kg_basis,
        interval_days=interval_days,
        administrations_per_day=administrations_per_day,
        times_of_day=times_of_day,
        age_years=patient.age_on(starts_on),
        indication=patient.indication,
        by_clinician=by_clinician,
        override_reason=override_reason,
        previous=_previous(previous),
    )


def _refuse(findings: list[regimen_review.RegimenFinding]) -> None:
    refusals = [f for f in findings if f.refuses]
    if refusals:
        first = refusals[0]
        raise RegimenRefused(first.text, first.field, first.rule_id, refusals)


def _flags(findings: list[regimen_review.RegimenFinding]) -> list[dict]:
    return [f.as_dict() for f in findings if not f.refuses]


@transaction.atomic
def create_regimen_version(
    *,
    patient: Patient,
    entered_by,
    dose_basis: str,
    interval_days: int,
    administrations_per_day: int,
    times_of_day: list[str],
    starts_on: date,
    confirmed: bool,
    daily_dose_mg: Decimal | None = None,
    mg_per_kg: Decimal | None = None,
    weight_kg_basis: Decimal | None = None,
    change_reason: str = "",
    override_reason: str = "",
    confirmed_by=None,
    rule_flags: list[dict] | None = None,
    now: datetime | None = None,
) -> Regimen:
    """Start a new regimen version; every older version ends the day the new one starts.

    The old series stops cleanly: its pending slots from `starts_on` on are removed and
    the new version's slots are materialised. Taken, missed and not-taken slots stay, and
    a local day that already has one of them gets no new slot (MISS-NODOUBLE).
    `confirmed` means a clinician entered or confirmed it (the caller checks the CONFIRM
    capability); `confirmed_by` is that clinician when someone else entered it (a confirmed
    proposal). This is the low-level write: people's entries go through save_regimen, which
    turns a non-clinician's change to a confirmed regimen into a proposal instead (an
    unconfirmed version after a confirmed one exists only in data from before proposals).
    A confirmed version replaces the open proposals.
    """
    now = now or timezone.now()
    daily_dose_mg = _daily_mg(dose_basis, daily_dose_mg, mg_per_kg, weight_kg_basis)
    # Lock the patient row: two edits at once queue up instead of both becoming "current".
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    current = Regimen.objects.current().filter(patient=patient).first()
    findings = regimen_checks(
        patient=patient,
        by_clinician=confirmed,
        dose_basis=dose_basis,
        daily_dose_mg=daily_dose_mg,
        mg_per_kg=mg_per_kg,
        weight_kg_basis=weight_kg_basis,
        interval_days=interval_days,
        administrations_per_day=administrations_per_day,
        times_of_day=times_of_day,
        starts_on=starts_on,
        override_reason=override_reason,
        previous=current,
    )
    _refuse(findings)
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
        start_utc = dose_timing.local_slot(starts_on, datetime.min.time(), patient.zone)
        DoseSlot.objects.filter(
            regimen__in=overlapping, status=SlotStatus.PENDING, scheduled_at__gte=start_utc
        ).delete()
    confirmer = (confirmed_by or entered_by) if confirmed else None
    is_override = confirmed and mg_per_kg is not None and Decimal(mg_per_kg) > dosing.PED_LABEL_MAX_MG_PER_KG
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
        confirmed_by=confirmer,
        confirmed_at=now if confirmed else None,
        change_reason=change_reason,
        override_reason=override_reason if is_override else "",
        override_by=confirmer if is_override else None,
        supersedes=current,
        rule_flags=_flags(findings) if rule_flags is None else rule_flags,
    )
    if is_override:
        # DOSE-PED-MAX: the override is recorded on the version and the care team hears of it
        # (the periodic dispatch job delivered this alert before; now it goes on commit, as all do).
        raise_care_alert(
            patient=patient,
            kind=CareAlert.Kind.DOSE_OVERRIDE,
            rule_id="DOSE-PED-MAX",
            summary=f"{mg_per_kg} mg/kg/day (above the labelled 8 mg/kg/day) prescribed by {confirmer}.",
            now=now,
        )
    if confirmed:
        # A clinician's own new version replaces every open proposal (it was decided on).
        RegimenProposal.objects.open().filter(patient=patient).update(
            status=RegimenProposal.Status.SUPERSEDED, decided_by=confirmer, decided_at=now
        )
    if current is None:
        schedule_neutrophil_checks(patient=patient, first_dose_on=starts_on)
    horizon = schedule.horizon(patient.local_today(now))
    materialise_slots(regimen=regimen, from_day=starts_on, to_day=horizon)
    refresh_adherence_summary_on_commit(patient.pk)
    return regimen


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
    refresh_adherence_summary_on_commit(regimen.patient_id)
    return regimen


@dataclass(frozen=True)
class RegimenSaved:
    """What saving a regimen form did: a new version in force, or a proposal for the clinician."""

    regimen: Regimen | None
    proposal: RegimenProposal | None
    findings: list[regimen_review.RegimenFinding]


@transaction.atomic
def save_regimen(
    *,
    patient: Patient,
    entered_by,
    can_confirm: bool,
    dose_basis: str,
    interval_days: int,
    administrations_per_day: int,
    times_of_day: list[str],
    starts_on: date,
    daily_dose_mg: Decimal | None = None,
    mg_per_kg: Decimal | None = None,
    weight_kg_basis: Decimal | None = None,
    change_reason: str = "",
    override_reason: str = "",
    flags_seen: Iterable[str] = (),
    now: datetime | None = None,
) -> RegimenSaved:
    """Save what the regimen form entered: the one entry point for people (views, commands).

    - a clinician (`can_confirm`, the CONFIRM capability): a confirmed version;
    - anyone else, nothing confirmed yet: a version in force, awaiting confirmation;
    - anyone else, a confirmed version exists: a RegimenProposal; the confirmed version
      stays in force and the clinician is alerted (REGIMEN_PROPOSAL).
    Refusals raise RegimenRefused naming the field. Flags (regimen_review.FLAG) must have been shown
    first: their rule IDs must be in `flags_seen`, else RegimenNeedsReview.
    """
    now = now or timezone.now()
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    current = Regimen.objects.current().filter(patient=patient).first()
    daily_dose_mg = _daily_mg(dose_basis, daily_dose_mg, mg_per_kg, weight_kg_basis)
    arguments = {
        "dose_basis": dose_basis,
        "daily_dose_mg": daily_dose_mg,
        "mg_per_kg": mg_per_kg if dose_basis == Regimen.DoseBasis.WEIGHT_BASED else None,
        "weight_kg_basis": weight_kg_basis if dose_basis == Regimen.DoseBasis.WEIGHT_BASED else None,
        "interval_days": interval_days,
        "administrations_per_day": administrations_per_day,
        "times_of_day": list(times_of_day),
        "starts_on": starts_on,
    }
    findings = regimen_checks(
        patient=patient,
        by_clinician=can_confirm,
        override_reason=override_reason,
        previous=current,
        check_start=True,
        now=now,
        **arguments,
    )
    _refuse(findings)
    unseen = {f.rule_id for f in findings if not f.refuses} - set(flags_seen)
    if unseen:
        raise RegimenNeedsReview(findings)
    confirmed_exists = Regimen.objects.filter(patient=patient, status=Regimen.Status.CONFIRMED).exists()
    if can_confirm or not confirmed_exists:
        regimen = create_regimen_version(
            patient=patient,
            entered_by=entered_by,
            confirmed=can_confirm,
            change_reason=change_reason,
            override_reason=override_reason,
            rule_flags=_flags(findings),
            now=now,
            **arguments,
        )
        return RegimenSaved(regimen, None, findings)
    # Only the newest change waits for the clinician: an older open one is replaced.
    RegimenProposal.objects.open().filter(patient=patient).update(
        status=RegimenProposal.Status.SUPERSEDED, decided_at=now
    )
    proposal = RegimenProposal.objects.create(
        patient=patient,
        based_on=current,
        change_reason=change_reason,
        rule_flags=_flags(findings),
        proposed_by=entered_by,
        proposed_at=now,
        **arguments,
    )
    flagged = sorted({f.rule_id for f in findings if not f.refuses})
    basis_rule = "DOSE-ADULT" if dose_basis == Regimen.DoseBasis.FIXED_ADULT else "DOSE-PED-RANGE"
    raise_care_alert(
        patient=patient,
        kind=CareAlert.Kind.REGIMEN_PROPOSAL,
        rule_id=flagged[0] if flagged else basis_rule,
        summary=f"Regimen change waiting for confirmation: {proposal.describe()}"
        + (f" (check {', '.join(flagged)})" if flagged else ""),
        now=now,
    )
    refresh_adherence_summary_on_commit(patient.pk)
    return RegimenSaved(None, proposal, findings)


def _lock_open(proposal: RegimenProposal) -> RegimenProposal:
    locked = RegimenProposal.objects.select_for_update().select_related("patient").get(pk=proposal.pk)
    if not locked.is_open:
        raise ProposalNotOpen(f"This change is no longer waiting: it was {locked.get_status_display().lower()}.")
    return locked


def _acknowledge_proposal_alerts(patient_id: int, by, now: datetime) -> None:
    CareAlert.objects.filter(
        patient_id=patient_id, kind=CareAlert.Kind.REGIMEN_PROPOSAL, acknowledged_at__isnull=True
    ).update(acknowledged_at=now, acknowledged_by=by)


@transaction.atomic
def confirm_proposal(*, proposal: RegimenProposal, clinician, now: datetime | None = None) -> Regimen:
    """A clinician confirms a proposal: it becomes a new confirmed version, in one transaction.

    It starts on its start date, or tomorrow if that is today or has passed: the dose of a
    day already under way (reminded, perhaps logged) stays the confirmed one. The caller
    checks the CONFIRM capability.
    """
    now = now or timezone.now()
    Patient.objects.select_for_update().filter(pk=proposal.patient_id).first()
    locked = _lock_open(proposal)
    patient = locked.patient
    starts_on = max(locked.starts_on, patient.local_today(now) + timedelta(days=1))
    RegimenProposal.objects.filter(pk=locked.pk).update(
        status=RegimenProposal.Status.CONFIRMED, decided_by=clinician, decided_at=now
    )
    regimen = create_regimen_version(
        patient=patient,
        entered_by=locked.proposed_by,
        confirmed=True,
        confirmed_by=clinician,
        dose_basis=locked.dose_basis,
        daily_dose_mg=locked.daily_dose_mg,
        mg_per_kg=locked.mg_per_kg,
        weight_kg_basis=locked.weight_kg_basis,
        interval_days=locked.interval_days,
        administrations_per_day=locked.administrations_per_day,
        times_of_day=list(locked.times_of_day),
        starts_on=starts_on,
        change_reason=locked.change_reason,
        rule_flags=locked.rule_flags,
        now=now,
    )
    RegimenProposal.objects.filter(pk=locked.pk).update(regimen=regimen)
    _acknowledge_proposal_alerts(patient.pk, clinician, now)
    proposal.refresh_from_db()
    return regimen


MAX_DECLINE_REASON = 1000


@transaction.atomic
def decline_proposal(
    *, proposal: RegimenProposal, clinician, reason: str, now: datetime | None = None
) -> RegimenProposal:
    """A clinician declines a proposal, with a reason the family sees; the confirmed version stays."""
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if not reason:
        raise RegimenRefused("Say why you decline the change: the family sees your reason.", "decline_reason")
    if len(reason) > MAX_DECLINE_REASON:
        raise RegimenRefused(f"Please keep the reason to {MAX_DECLINE_REASON} characters.", "decline_reason")
    locked = _lock_open(proposal)
    RegimenProposal.objects.filter(pk=locked.pk).update(
        status=RegimenProposal.Status.DECLINED, decided_by=clinician, decided_at=now, decline_reason=reason
    )
    _acknowledge_proposal_alerts(locked.patient_id, clinician, now)
    refresh_adherence_summary_on_commit(locked.patient_id)
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def withdraw_proposal(*, proposal: RegimenProposal, by, now: datetime | None = None) -> RegimenProposal:
    """The family takes back a change still waiting; the confirmed version stays."""
    now = now or timezone.now()
    locked = _lock_open(proposal)
    RegimenProposal.objects.filter(pk=locked.pk).update(
        status=RegimenProposal.Status.WITHDRAWN, decided_by=by, decided_at=now
    )
    _acknowledge_proposal_alerts(locked.patient_id, by, now)
    refresh_adherence_summary_on_commit(locked.patient_id)
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def check_dose_at_new_weight(*, patient_id: int, now: datetime | None = None) -> CareAlert | None:
    """DOSE-PED-RANGE / DOSE-PED-MAX: after a weight change, alert the clinician when the
    weight-based dose in force is outside 1-10 mg/kg/day, or above 8 mg/kg/day without a
    recorded override that covers it, at the new weight."""
    now = now or timezone.now()
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None or patient.weight_kg is None:
        return None
    in_force = regimen_in_force(patient, now)
    if in_force is None or in_force.mg_per_kg is None:
        return None  # a fixed adult dose does not follow the weight (DOSE-ADULT)
    findings = regimen_review.dose_at_weight_findings(
        daily_dose_mg=in_force.daily_dose_mg,
        weight_kg=patient.weight_kg,
        confirmed_mg_per_kg=in_force.mg_per_kg,
        override_recorded=bool(in_force.override_reason),
    )
    if not findings:
        return None
    finding = findings[0]
    return raise_care_alert(
        patient=patient,
        kind=CareAlert.Kind.WEIGHT_DOSE,
        rule_id=finding.rule_id,
        summary=f"New weight: {finding.text} Review the regimen (version {in_force.version}).",
        now=now,
    )
