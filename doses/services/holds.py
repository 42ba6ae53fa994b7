"""Holds and stops of treatment (issue 13): a clinician pauses or stops anakinra; rules
pause it by themselves, pending a clinician's review (AE-ALLERGY, AE-INFECTION).

While a hold is open no dose is due: the patient's pending slots on the held days are
HELD (no reminder, never marked missed, not counted for adherence or days covered) and
the log refuses with the reason and whom to call. The slots are changed here, in the
write's transaction; a slot materialised later on a held day is created HELD
(doses/schedule.py); the pull job `apply_open_holds` (the beat task that extends
schedules) ends holds whose `until` has passed and, as a defence, holds any pending slot
an open hold covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from companion.models import Patient

from .. import record_version
from .. import triage as triage_rules
from ..models import (
    CareAlert,
    DoseSlot,
    HoldReason,
    Regimen,
    SideEffect,
    SlotStatus,
    TreatmentHold,
    TreatmentStop,
)
from ..rules import emergency_numbers
from ..selectors.care_team import clinician_names
from .alerts import raise_care_alert
from .refusals import DoseRefused, RecordRefused
from .slots import materialise_upcoming_slots
from .summaries import refresh_adherence_summary_on_commit

# The rule behind each reason a clinician may choose (shared/RULES.md). TX-HOLD is this
# app's own ID for a hold for another reason (like the ACCESS-* IDs of companion/access.py).
REASON_RULES = {
    HoldReason.INFECTION: "AE-INFECTION",
    HoldReason.SURGERY: "PRE-SURGERY",
    HoldReason.PREGNANCY: "PRE-PREGNANCY",
    HoldReason.ALLERGY: "AE-ALLERGY",
    HoldReason.LOW_NEUTROPHILS: "AE-NEUTROPENIA",
    HoldReason.OTHER: "TX-HOLD",
}
# What the person logging is told to do (the sources' advice for the rule), in plain words: the
# rule ID travels beside it (HoldInForce.rule_id, DoseRefused.rule_id) for the page's "Why?".
RULE_ADVICE = {
    "AE-ALLERGY": (
        "After a severe allergic reaction anakinra must not be injected again until the doctor says so. "
        "Trouble breathing or a swelling face or throat: call {emergency} now."
    ),
    "AE-INFECTION": (
        "Anakinra is paused because of an infection: see the doctor; they decide when to restart."
    ),
    "AE-NEUTROPENIA": "Anakinra is paused because of a low neutrophil count.",
    "PRE-SURGERY": "Anakinra is paused around surgery.",
    "PRE-PREGNANCY": "Anakinra is paused for the pregnancy; discuss it with the doctor.",
    "TX-HOLD": "The clinician has paused anakinra.",
}
MAX_NOTE_CHARS = 300
MAX_HOLD_DAYS = 366  # plausibility of `until`: a longer pause is a stop, or an open hold


class HoldRefused(RecordRefused):
    """A hold, resume or stop the rules refuse; `field` names the form field."""


@dataclass(frozen=True)
class HoldInForce:
    """An open hold (or a stop) in force: the record, its rule and whom to call.

    A refusal's message is built here (refusal_text); a page's words are
    doses/presenters/holds.py's.
    """

    hold: TreatmentHold | None
    stop: TreatmentStop | None
    rule_id: str
    call: list[str]  # the clinicians to call, from the care circle
    numbers: emergency_numbers.EmergencyNumbers = emergency_numbers.UNKNOWN  # the patient's country's (AE-OVERDOSE)


def rule_advice(rule_id: str, numbers: emergency_numbers.EmergencyNumbers = emergency_numbers.UNKNOWN) -> str:
    """What the person logging is told to do for the rule behind a hold (RULE_ADVICE), with the
    emergency number of the patient's country (doses/rules/emergency_numbers.py)."""
    return RULE_ADVICE.get(rule_id, RULE_ADVICE["TX-HOLD"]).format(emergency=numbers.emergency_number)


# ---------------------------------------------------------------------------
# Reads used by the log, the pages and the jobs
# ---------------------------------------------------------------------------


def covering_hold() -> Exists:
    """Exists(an open hold covering the slot's local day), for a DoseSlot queryset.

    One subquery, no query per slot: reminders, escalations and the missed-dose job
    exclude held patients with it (a defence beside the HELD status itself).
    """
    return Exists(
        TreatmentHold.objects.open()
        .filter(patient=OuterRef("patient"), starts_on__lte=OuterRef("local_date"))
        .filter(Q(until__isnull=True) | Q(until__gte=OuterRef("local_date")))
    )


def open_hold(patient: Patient) -> TreatmentHold | None:
    return TreatmentHold.objects.open().filter(patient=patient).select_related("started_by").first()


def current_stop(patient: Patient) -> TreatmentStop | None:
    """The stop in force: treatment was stopped and no regimen has been started since."""
    if Regimen.objects.current().filter(patient=patient).exists():
        return None
    return TreatmentStop.objects.filter(patient=patient).select_related("stopped_by").first()


def hold_rule_id(hold: TreatmentHold) -> str:
    return hold.rule_id or REASON_RULES.get(hold.reason, "TX-HOLD")


def hold_in_force(patient: Patient, now: datetime | None = None) -> HoldInForce | None:
    """The open hold covering `now` (or the stop in force), with whom to call; None if treatment runs."""
    now = now or timezone.now()
    hold = open_hold(patient)
    if hold is not None and hold.until is not None and patient.local_today(now) > hold.until:
        hold = None  # ended at the end of `until`; the pull job records it
    stop = None if hold is not None else current_stop(patient)
    if hold is None and stop is None:
        return None
    if hold is not None:
        rule_id = hold_rule_id(hold)
    else:
        rule_id = REASON_RULES.get(stop.reason, "TX-HOLD")
    return HoldInForce(hold, stop, rule_id, clinician_names(patient), patient.emergency_numbers)


def refusal_text(held: HoldInForce, zone) -> str:
    call = " or ".join(held.call) if held.call else "the doctor who prescribes anakinra"
    if held.hold is not None:
        hold = held.hold
        since = timezone.localtime(hold.starts_at, zone)
        what = f"Treatment is on hold since {since:%a %d %b %H:%M} ({hold.get_reason_display().lower()})"
        if hold.pending_review:
            what += ", started automatically pending a clinician's review"
        if hold.until:
            what += f", until {hold.until:%a %d %b}"
    else:
        stop = held.stop
        by = f" by {stop.stopped_by.display_name}" if stop.stopped_by else ""
        what = f"Treatment was stopped on {stop.stopped_on:%a %d %b}{by} ({stop.get_reason_display().lower()})"
    return f"{what}. Do not inject: call {call}. {rule_advice(held.rule_id, held.numbers)}"


MAY_BE_HELD = {  # annotations of a Patient queryset: the usual answer in the same statement
    "open_hold": Exists(TreatmentHold.objects.open().filter(patient=OuterRef("pk"))),
    "running": Exists(Regimen.objects.current().filter(patient=OuterRef("pk"))),
}


def may_be_held(open_hold: bool, running: bool) -> bool:
    """An open hold, or no current regimen (a stop): only then is the hold or stop read."""
    return open_hold or not running


def _may_be_held(patient: Patient) -> bool:
    """One query for the usual answer (no open hold, a current regimen: treatment runs); only
    otherwise does hold_in_force read the hold or the stop and whom to call."""
    found = Patient.objects.filter(pk=patient.pk).annotate(**MAY_BE_HELD).values_list("open_hold", "running").first()
    return found is None or may_be_held(*found)


def refuse_if_held(
    patient: Patient,
    taken_at: datetime,
    slot: DoseSlot | None = None,
    *,
    now: datetime | None = None,
    possibly_held: bool | None = None,
) -> None:
    """The log refuses a dose while treatment is on hold or stopped, with the reason and whom to call.

    A dose given before the hold started (logged late) is what really happened and is kept.
    A slot still HELD after the hold ended (the resume day: doses from the next day) is
    refused too: `slot` is read under its row lock by the caller, so its status is current.
    `possibly_held`: the caller has read MAY_BE_HELD under the patient lock already.
    """
    if possibly_held is None:
        possibly_held = _may_be_held(patient)
    held = hold_in_force(patient, now=max(taken_at, now or timezone.now())) if possibly_held else None
    if held is not None:
        started = held.hold.starts_at if held.hold is not None else held.stop.stopped_at
        if taken_at >= started:
            raise DoseRefused(refusal_text(held, patient.zone), held.rule_id)
    if slot is not None and slot.status == SlotStatus.HELD:
        hold = (
            TreatmentHold.objects.filter(patient=patient, starts_on__lte=slot.local_date).order_by("-starts_at").first()
        )
        if hold is None or taken_at >= hold.starts_at:
            rule_id = hold_rule_id(hold) if hold else "TX-HOLD"
            raise DoseRefused(
                "The clinician held this dose; do not inject it. Doses start again from the day after the hold "
                f"ended. {rule_advice(rule_id, patient.emergency_numbers)}",
                rule_id,
            )


# ---------------------------------------------------------------------------
# Slots
# ---------------------------------------------------------------------------


def _hold_slots(patient_id: int, starts_on: date, until: date | None) -> int:
    slots = DoseSlot.objects.filter(patient_id=patient_id, status=SlotStatus.PENDING, local_date__gte=starts_on)
    if until is not None:
        slots = slots.filter(local_date__lte=until)
    record_version.record_changed([patient_id])  # an update sends no signal
    return slots.update(status=SlotStatus.HELD)


def _release_slots(patient: Patient, from_day: date, now: datetime) -> None:
    """HELD slots from `from_day` are due again: the current regimen's become PENDING, and
    those of a version that ended meanwhile go (the current version materialises its own)."""
    held = DoseSlot.objects.filter(patient=patient, status=SlotStatus.HELD, local_date__gte=from_day)
    held.exclude(regimen__ends_on__isnull=True).delete()
    held.update(status=SlotStatus.PENDING, status_changed_at=now)
    record_version.record_changed([patient.pk])  # an update sends no signal
    materialise_upcoming_slots(patient=patient, now=now)


def apply_open_holds(now: datetime | None = None, patient_ids=None) -> dict[str, int]:
    """The pull job: hold what open holds cover, and end holds whose `until` has passed.

    Idempotent and cheap (a fixed number of queries whatever the number of patients): the
    beat task that extends schedules calls it. Slots materialised after a hold started are
    created held (doses/schedule.py); this catches any that were not.
    """
    now = now or timezone.now()
    holds = TreatmentHold.objects.open()
    if patient_ids is not None:
        holds = holds.filter(patient_id__in=patient_ids)
    # Holds whose last day has passed in the patient's zone (the UTC date is a pre-filter).
    candidates = holds.filter(until__isnull=False, until__lt=now.astimezone(UTC).date() + timedelta(days=1))
    expired = [
        pk
        for pk, until, zone in candidates.values_list("pk", "until", "patient__time_zone")
        if Patient(time_zone=zone).local_today(now) > until
    ]
    released = 0
    if expired:
        with transaction.atomic():
            ended = list(
                TreatmentHold.objects.filter(pk__in=expired, ended_at__isnull=True).values_list("patient_id", "until")
            )
            TreatmentHold.objects.filter(pk__in=expired, ended_at__isnull=True).update(
                ended_at=now, outcome=TreatmentHold.Outcome.EXPIRED
            )
            for patient_id, until in ended:  # rare: a few holds a day end by themselves
                patient = Patient.objects.get(pk=patient_id)
                released += DoseSlot.objects.filter(
                    patient_id=patient_id, status=SlotStatus.HELD, local_date__gt=until
                ).count()
                _release_slots(patient, until + timedelta(days=1), now)
                refresh_adherence_summary_on_commit(patient_id)
    pending = DoseSlot.objects.filter(status=SlotStatus.PENDING)
    if patient_ids is not None:
        pending = pending.filter(patient_id__in=patient_ids)
    covered = pending.filter(covering_hold())
    record_version.record_changed(covered.values_list("patient_id", flat=True).distinct())  # an update sends no signal
    held = covered.update(status=SlotStatus.HELD, status_changed_at=now)
    return {"held": held, "expired": len(expired), "released": released}


# ---------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------


def _clean_note(note: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE_CHARS:
        raise HoldRefused(f"Please keep the note to {MAX_NOTE_CHARS} characters.", "note")
    return note


def _create_hold(*, patient: Patient, now: datetime, **fields) -> TreatmentHold:
    try:
        with transaction.atomic():
            hold = TreatmentHold.objects.create(
                patient=patient, starts_at=now, starts_on=patient.local_today(now), **fields
            )
    except IntegrityError:  # a concurrent request opened one first (one open hold per patient)
        raise HoldRefused("Treatment is already on hold.", "reason")
    _hold_slots(patient.pk, hold.starts_on, hold.until)
    refresh_adherence_summary_on_commit(patient.pk)
    return hold


@transaction.atomic
def hold_treatment(
    *, patient: Patient, by, reason: str, until: date | None = None, note: str = "", now: datetime | None = None
) -> TreatmentHold:
    """A clinician holds treatment from now, optionally until a local date (its last held day).

    The caller checks the CONFIRM capability. An open automatic hold is taken over: it
    counts as reviewed, and the clinician's reason and end date replace the rule's.
    """
    now = now or timezone.now()
    if reason not in HoldReason.values:
        raise HoldRefused("Choose why treatment is held.", "reason")
    note = _clean_note(note)
    today = patient.local_today(now)
    if until is not None:
        if until < today:
            raise HoldRefused("The hold cannot end before today.", "until")
        if until > today + timedelta(days=MAX_HOLD_DAYS):
            raise HoldRefused("A hold can last up to a year; for longer, stop treatment.", "until")
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if current_stop(patient) is not None:
        raise HoldRefused("Treatment is stopped; start a new regimen to restart it.", "reason")
    existing = TreatmentHold.objects.open().filter(patient=patient).first()
    if existing is not None:
        if not existing.is_automatic or existing.reviewed_at is not None:
            raise HoldRefused("Treatment is already on hold: resume or stop it first.", "reason")
        # Reviewing an automatic hold: it continues under the clinician's terms.
        existing.reason, existing.until, existing.note = reason, until, note or existing.note
        existing.reviewed_at, existing.reviewed_by = now, by
        existing.save(update_fields=["reason", "until", "note", "reviewed_at", "reviewed_by"])
        if until is not None:
            _release_slots(patient, until + timedelta(days=1), now)
        _hold_slots(patient.pk, existing.starts_on, until)
        refresh_adherence_summary_on_commit(patient.pk)
        return existing
    return _create_hold(
        patient=patient,
        now=now,
        reason=reason,
        until=until,
        note=note,
        started_by=by,
        rule_id=REASON_RULES[reason],
        trigger=TreatmentHold.Trigger.CLINICIAN,
    )


def start_automatic_hold(
    *,
    patient: Patient,
    rule_id: str,
    reason: str,
    trigger: str,
    summary: str,
    side_effect: SideEffect | None = None,
    now: datetime | None = None,
) -> TreatmentHold | None:
    """A rule holds treatment pending a clinician's review, and the care team hears at once.

    Runs inside the caller's transaction (the symptom or checklist write). With a hold
    already open nothing new starts (one open hold per patient; the symptom raises its own
    alert); with treatment stopped there is nothing to hold.
    """
    now = now or timezone.now()
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if TreatmentHold.objects.open().filter(patient=patient).exists():
            return None
        if current_stop(patient) is not None:
            return None
        hold = _create_hold(
            patient=patient,
            now=now,
            reason=reason,
            is_automatic=True,
            rule_id=rule_id,
            trigger=trigger,
            side_effect=side_effect,
        )
        raise_care_alert(
            patient=patient,
            kind=CareAlert.Kind.TREATMENT_HOLD,
            rule_id=rule_id,
            summary=f"Treatment on hold pending your review ({rule_id}): {summary}",
            side_effect=side_effect,
            now=now,
        )
    return hold


def hold_after_side_effect(*, side_effect: SideEffect, result: triage_rules.Triage, now: datetime):
    """AE-ALLERGY: a severe allergic reaction logged holds treatment (see triage.holds_treatment_for_allergy)."""
    if not triage_rules.holds_treatment_for_allergy(
        result,
        symptom_code=side_effect.symptom,
        severity=side_effect.severity,
        free_text=side_effect.description,
        linked_to_injection=side_effect.injection_id is not None,
    ):
        return None
    return start_automatic_hold(
        patient=side_effect.patient,
        rule_id="AE-ALLERGY",
        reason=HoldReason.ALLERGY,
        trigger=TreatmentHold.Trigger.SIDE_EFFECT,
        summary=f"severe allergic reaction logged, starting {side_effect.started_on:%d %b %Y}",
        side_effect=side_effect,
        now=now,
    )


def hold_after_checklist(*, patient: Patient, answers: dict, now: datetime):
    """AE-ALLERGY: an allergy to E. coli-derived proteins is a contraindication; AE-INFECTION:
    anakinra is not recommended with a severe active infection. Either holds treatment."""
    if answers.get("ecoli_protein_allergy"):
        return start_automatic_hold(
            patient=patient,
            rule_id="AE-ALLERGY",
            reason=HoldReason.ALLERGY,
            trigger=TreatmentHold.Trigger.CHECKLIST,
            summary="before-you-start answer: allergy to E. coli-derived proteins (contraindication)",
            now=now,
        )
    if answers.get("active_infection") and answers.get("infection_is_severe"):
        return start_automatic_hold(
            patient=patient,
            rule_id="AE-INFECTION",
            reason=HoldReason.INFECTION,
            trigger=TreatmentHold.Trigger.CHECKLIST,
            summary="before-you-start answer: severe active infection",
            now=now,
        )
    return None


@transaction.atomic
def resume_treatment(*, patient: Patient, by, note: str = "", now: datetime | None = None) -> TreatmentHold:
    """A clinician ends the hold: doses are due again from the next local day (today's stay held)."""
    now = now or timezone.now()
    note = _clean_note(note)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    hold = TreatmentHold.objects.open().filter(patient=patient).first()
    if hold is None:
        raise HoldRefused("Treatment is not on hold.", "hold")
    updates = {"ended_at": now, "ended_by": by, "outcome": TreatmentHold.Outcome.RESUMED, "end_note": note}
    if hold.is_automatic and hold.reviewed_at is None:
        updates.update(reviewed_at=now, reviewed_by=by)
    TreatmentHold.objects.filter(pk=hold.pk).update(**updates)
    hold.refresh_from_db()
    _release_slots(patient, patient.local_today(now) + timedelta(days=1), now)
    refresh_adherence_summary_on_commit(patient.pk)
    return hold


@transaction.atomic
def stop_treatment(*, patient: Patient, by, reason: str, note: str = "", now: datetime | None = None) -> TreatmentStop:
    """A clinician stops treatment: the regimen in force ends after today, doses still to
    come go, and an open hold ends as "stopped". A new regimen restarts treatment."""
    now = now or timezone.now()
    if reason not in HoldReason.values:
        raise HoldRefused("Choose why treatment is stopped.", "reason")
    note = _clean_note(note)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    regimen = Regimen.objects.current().filter(patient=patient).first()
    if regimen is None:
        raise HoldRefused("There is no regimen in force to stop.", "reason")
    today = patient.local_today(now)
    # Regimen.ends_on is the first day not in force: treatment runs through today at most.
    regimen.ends_on = max(today + timedelta(days=1), regimen.starts_on)
    regimen.save(update_fields=["ends_on"])
    # Nothing more is due: today's and later doses not given go (a dose given today stays).
    DoseSlot.objects.filter(
        patient=patient, status__in=[SlotStatus.PENDING, SlotStatus.HELD], local_date__gte=today
    ).delete()
    hold = TreatmentHold.objects.open().filter(patient=patient).first()
    if hold is not None:
        updates = {"ended_at": now, "ended_by": by, "outcome": TreatmentHold.Outcome.STOPPED, "end_note": note}
        if hold.is_automatic and hold.reviewed_at is None:
            updates.update(reviewed_at=now, reviewed_by=by)
        TreatmentHold.objects.filter(pk=hold.pk).update(**updates)
    stop = TreatmentStop.objects.create(
        patient=patient, regimen=regimen, reason=reason, note=note, stopped_at=now, stopped_on=today, stopped_by=by
    )
    refresh_adherence_summary_on_commit(patient.pk)
    return stop
