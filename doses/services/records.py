"""Records: side effects, supply, fridge syringes, other medicines, vaccinations, the checklist, labs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from companion.models import Patient
from doses import before_you_start as start_checks
from doses import vaccines as vaccine_rules
from doses.rules import dose_timing, lab_checks, record_limits, recorded_doses, syringe_supply

from .. import medicines as medicine_rules
from .. import triage as triage_rules
from ..models import (
    BaselineChecklist,
    CareAlert,
    FridgeSyringe,
    HoldReason,
    Injection,
    LabTest,
    MedicineCategory,
    MedicineMatch,
    OtherMedicine,
    Severity,
    SideEffect,
    SupplyEvent,
    TreatmentHold,
    Vaccination,
)
from . import holds
from .alerts import raise_care_alert
from .injections import record_discarded_syringe
from .refusals import RecordRefused
from .summaries import refresh_adherence_summaries, refresh_adherence_summary_on_commit


@dataclass(frozen=True)
class SideEffectRecorded:
    side_effect: SideEffect
    triage: triage_rules.Triage
    alert: CareAlert | None


@transaction.atomic
def record_side_effect(
    *,
    patient: Patient,
    symptom: str,
    severity: str,
    started_on: date,
    by,
    description: str = "",
    injection: Injection | None = None,
    now: datetime | None = None,
) -> SideEffectRecorded:
    """Log a symptom, triage it (AE-COMMON, AE-SERIOUS, AE-ALLERGY, AE-OVERDOSE) and alert the care team.

    A serious symptom (call the doctor now, or an emergency) is stored as serious and raises
    a SERIOUS_SYMPTOM alert citing the rule (AE-SERIOUS, or AE-OVERDOSE / AE-COMMON when
    that is why). A site reaction is one by its symptom, or a rash / hot swollen skin linked
    to an injection (AE-ISR-DURATION then watches it).
    """
    now = now or timezone.now()
    description = (description or "").strip()
    try:
        known = triage_rules.get_symptom(symptom)
    except triage_rules.UnknownSymptom as exc:
        raise RecordRefused(str(exc), "symptom") from None
    if severity not in Severity.values:
        raise RecordRefused("Choose how bad it is: mild, moderate or severe.", "severity")
    if known.code == triage_rules.OTHER and not description:
        raise RecordRefused("Describe the symptom in a few words.", "description")
    if len(description) > triage_rules.MAX_DESCRIPTION_CHARS:
        raise RecordRefused(
            f"Please keep the description to {triage_rules.MAX_DESCRIPTION_CHARS} characters "
            f"(it has {len(description)}).",
            "description",
        )
    today = patient.local_today(now)
    if refusal := record_limits.future_date_refusal(started_on, today, "start date"):
        raise RecordRefused(refusal, "started_on")
    if started_on < patient.date_of_birth:
        raise RecordRefused("The start date cannot be before the patient was born; please check it.", "started_on")
    if injection is not None and injection.patient_id != patient.pk:
        raise RecordRefused("Choose one of this patient's injections.", "injection")
    result = triage_rules.triage(known.code, severity, description, numbers=patient.emergency_numbers)
    side_effect = SideEffect.objects.create(
        patient=patient,
        symptom=known.code,
        description=description,
        severity=severity,
        started_on=started_on,
        injection=injection,
        is_site_reaction=known.site_reaction or (known.may_be_site_reaction and injection is not None),
        is_serious=result.is_serious,
        logged_by=by,
        logged_at=now,
    )
    alert = None
    if result.alert_care_team:
        what = description if known.code == triage_rules.OTHER else known.label
        read_as = ", ".join(dict.fromkeys(finding.sign.label for finding in result.findings))
        if read_as:  # what the description was read as: the reason, when the list's choice was not serious
            what = (
                f"{read_as}: “{description}”" if known.code == triage_rules.OTHER else f"{what}; described: {read_as}"
            )
        alert = raise_care_alert(
            patient=patient,
            kind=CareAlert.Kind.SERIOUS_SYMPTOM,
            rule_id=result.alert_rule_id,
            summary=f"{'Emergency' if result.is_emergency else 'Serious symptom'} ({severity}): {what}",
            side_effect=side_effect,
            now=now,
        )
    holds.hold_after_side_effect(side_effect=side_effect, result=result, now=now)  # AE-ALLERGY
    if side_effect.is_serious or side_effect.is_site_reaction:  # the only kinds the panel counts
        # In this transaction rather than on commit: the alert above is this write's one
        # after-commit hand-off (and a rollback undoes both).
        refresh_adherence_summaries(patient_ids=[patient.pk], now=now)
    return SideEffectRecorded(side_effect, result, alert)


def resolve_side_effect(*, side_effect: SideEffect, by, resolved_at: datetime | None = None, now=None) -> SideEffect:
    """Record when a symptom ended. Once only: a second resolve changes nothing."""
    now = now or timezone.now()
    resolved_at = resolved_at or now
    if refusal := record_limits.future_moment_refusal(resolved_at, now, "time it ended"):
        raise RecordRefused(refusal, "resolved_at")
    zone = side_effect.patient.zone
    if resolved_at.astimezone(zone).date() < side_effect.started_on:
        raise RecordRefused("It cannot end before the day it started.", "resolved_at")
    # Conditional update: two carers pressing "resolved" at once record one time.
    SideEffect.objects.filter(pk=side_effect.pk, resolved_at__isnull=True).update(resolved_at=resolved_at)
    side_effect.refresh_from_db()
    refresh_adherence_summary_on_commit(side_effect.patient_id)
    return side_effect


def flag_persistent_site_reactions(*, today: date | None = None, now: datetime | None = None) -> list[CareAlert]:
    """AE-ISR-DURATION: raise one alert for each site reaction still open after 2 weeks.

    One unit of work per call, safe to repeat (a periodic job calls it). "Today" is each
    patient's local date unless `today` is given. Each side effect is locked before the
    check, so two workers cannot both raise its alert.
    """
    now = now or timezone.now()
    # A generous SQL pre-filter (UTC date, one day of slack for time zones), then the exact rule.
    cutoff = (today or now.date()) - triage_rules.ISR_USUAL_DURATION + timedelta(days=1)
    candidates = (
        SideEffect.objects.filter(is_site_reaction=True, resolved_at__isnull=True, started_on__lt=cutoff)
        .exclude(alerts__kind=CareAlert.Kind.PERSISTENT_SITE_REACTION)
        .select_related("patient")
    )
    raised = []
    for side_effect in candidates:
        local_today = today or side_effect.patient.local_today(now)
        if not triage_rules.is_persistent_site_reaction(side_effect.started_on, local_today):
            continue
        with transaction.atomic():
            locked = SideEffect.objects.select_for_update().get(pk=side_effect.pk)
            if locked.resolved_at or locked.alerts.filter(kind=CareAlert.Kind.PERSISTENT_SITE_REACTION).exists():
                continue
            label = triage_rules.SYMPTOMS.get(locked.symptom)
            days = (local_today - locked.started_on).days
            raised.append(
                raise_care_alert(
                    patient=side_effect.patient,
                    kind=CareAlert.Kind.PERSISTENT_SITE_REACTION,
                    rule_id="AE-ISR-DURATION",
                    summary=f"Injection-site reaction open for {days} days: {label.label if label else locked.symptom}",
                    side_effect=locked,
                    now=now,
                )
            )
    return raised


@transaction.atomic
def record_pickup(
    *,
    patient: Patient,
    boxes: int,
    on: date,
    by,
    batch_number: str = "",
    expires_on: date | None = None,
    now: datetime | None = None,
) -> SupplyEvent:
    """SUPPLY-BOX: a pharmacy pick-up of whole boxes, 7 syringes each (the refill history).

    TRACE-BATCH: with the boxes' batch (lot) number and expiry, both or neither (a call
    without them is a pick-up whose batch was not recorded: the seed and older records); a
    box already expired on the day it was picked up is refused.
    """
    now = now or timezone.now()
    batch_number = syringe_supply.clean_batch_number(batch_number)
    if batch_number or expires_on is not None:
        if refusal := syringe_supply.batch_number_refusal(batch_number):
            raise RecordRefused(refusal, "batch_number", "TRACE-BATCH")
        if expires_on is None:
            raise RecordRefused("Enter the expiry date printed on the box.", "expires_on", "TRACE-BATCH")
        if syringe_supply.is_expired(expires_on, on):
            raise RecordRefused(
                f"That box expired on {expires_on:%d %b %Y}, before it was picked up: check the date on the box; "
                "an expired box is not used (TRACE-BATCH).",
                "expires_on",
                "TRACE-BATCH",
            )
    if not isinstance(boxes, int) or boxes < 1:
        raise RecordRefused("Enter the number of boxes picked up: at least 1.", "boxes")
    if boxes > syringe_supply.MAX_BOXES_PER_PICKUP:
        raise RecordRefused(f"{boxes} boxes is more than we expect at once; please check the number.", "boxes")
    today = patient.local_today(now)
    if refusal := record_limits.future_date_refusal(on, today, "pick-up date"):
        raise RecordRefused(refusal, "on")
    # Today's pick-up is stamped now; an earlier day at local noon, so it sorts on its own day.
    occurred_at = now if on == today else dose_timing.local_slot(on, time(12, 0), patient.zone)
    refresh_adherence_summary_on_commit(patient.pk)
    return SupplyEvent.objects.create(
        patient=patient,
        kind=SupplyEvent.Kind.PICKUP,
        syringes=boxes * syringe_supply.SYRINGES_PER_BOX,
        boxes=boxes,
        occurred_at=occurred_at,
        recorded_by=by,
        batch_number=batch_number,
        batch_expires_on=expires_on if batch_number else None,
    )


def syringes_on_hand(patient: Patient) -> int:
    """SUPPLY-BOX: the ledger sum (pick-ups minus doses and discards, plus corrections)."""
    return SupplyEvent.objects.filter(patient=patient).aggregate(total=Sum("syringes"))["total"] or 0


@transaction.atomic
def correct_supply_count(
    *, patient: Patient, actual_count: int, by, note: str = "", now: datetime | None = None
) -> SupplyEvent:
    """Set the stock to what was counted, as a CORRECTION of the difference; history is kept.

    The patient row is locked so two corrections at once do not both add the same difference.
    A count that already matches is still recorded (the history of counts is useful).
    """
    now = now or timezone.now()
    if not isinstance(actual_count, int) or actual_count < 0:
        raise RecordRefused("The number of syringes cannot be negative.", "actual_count")
    if actual_count > syringe_supply.MAX_SYRINGES_ON_HAND:
        raise RecordRefused(
            "That is more syringes than we expect anyone to keep; please check the number.", "actual_count"
        )
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    difference = actual_count - syringes_on_hand(patient)
    refresh_adherence_summary_on_commit(patient.pk)
    return SupplyEvent.objects.create(
        patient=patient,
        kind=SupplyEvent.Kind.CORRECTION,
        syringes=difference,
        occurred_at=now,
        note=(note.strip() or f"Counted {actual_count} syringes")[:300],
        recorded_by=by,
    )


def take_syringe_out_of_fridge(
    *, patient: Patient, by, taken_out_at: datetime | None = None, now: datetime | None = None
) -> FridgeSyringe:
    """PREP-WARM / PREP-24H: note a syringe taken out to warm up; it must be used within 24 hours."""
    now = now or timezone.now()
    taken_out_at = taken_out_at or now
    if refusal := record_limits.future_moment_refusal(taken_out_at, now, "time it was taken out"):
        raise RecordRefused(refusal, "taken_out_at")
    if taken_out_at < now - recorded_doses.FRIDGE_BACKDATE_LIMIT:
        raise RecordRefused("That is more than a week ago; enter a more recent time.", "taken_out_at")
    return FridgeSyringe.objects.create(
        patient=patient,
        taken_out_at=taken_out_at,
        use_by=recorded_doses.use_by_after(taken_out_at),  # PREP-24H, in elapsed hours
        recorded_by=by,
    )


FRIDGE_USED = "used"
FRIDGE_DISCARDED = "discarded"
FRIDGE_PUT_BACK = "put_back"
FRIDGE_OUTCOMES = (FRIDGE_USED, FRIDGE_DISCARDED, FRIDGE_PUT_BACK)


@transaction.atomic
def close_fridge_syringe(
    *, fridge_syringe: FridgeSyringe, outcome: str, by, now: datetime | None = None, reason: str = ""
) -> str:
    """Close a syringe that was out of the fridge: used, discarded or put back.

    PREP-24H: past its use-by time it can only be discarded. A discard takes one syringe
    from the supply; "used" does not, because logging the dose already did (PREP-ONCE).
    """
    now = now or timezone.now()
    if outcome not in FRIDGE_OUTCOMES:
        raise RecordRefused("Choose what happened to the syringe.", "outcome")
    if outcome != FRIDGE_DISCARDED and now > fridge_syringe.use_by:
        raise RecordRefused(
            "Do not use this syringe: it has been at room temperature for more than 24 hours (PREP-24H). "
            "Mark it as discarded.",
            "outcome",
            "PREP-24H",
        )
    closed = FridgeSyringe.objects.filter(pk=fridge_syringe.pk, closed_at__isnull=True).update(closed_at=now)
    if not closed:
        raise RecordRefused("This syringe was already marked.", "outcome")
    if outcome == FRIDGE_DISCARDED:
        if now > fridge_syringe.use_by:
            reason = "Out of the fridge for more than 24 hours (PREP-24H)" + (f"; {reason}" if reason else "")
        record_discarded_syringe(patient=fridge_syringe.patient, reason=reason or "Discarded", by=by, at=now)
    return outcome


@transaction.atomic
def write_off_syringe(
    *, patient: Patient, reason: str, by, fridge_syringe_id: int | None = None, now: datetime | None = None
) -> SupplyEvent:
    """PREP-24H / PREP-LOOK / PREP-ONCE: the person confirmed this syringe is not to be used.

    When it is the syringe noted as out of the fridge (still open), that one is closed as
    discarded, so Today stops asking about it and the count drops once, not twice.
    """
    now = now or timezone.now()
    warming = None
    if fridge_syringe_id is not None:
        warming = (
            FridgeSyringe.objects.select_for_update()
            .filter(pk=fridge_syringe_id, patient=patient, closed_at__isnull=True)
            .first()
        )
    if warming is not None:
        close_fridge_syringe(fridge_syringe=warming, outcome=FRIDGE_DISCARDED, by=by, now=now, reason=reason)
        return SupplyEvent.objects.filter(patient=patient, kind=SupplyEvent.Kind.DISCARD).latest("pk")
    return record_discarded_syringe(patient=patient, reason=reason, by=by, at=now)


@dataclass(frozen=True)
class MedicineRecorded:
    medicine: OtherMedicine
    advice: medicine_rules.MedicineAdvice
    alert: CareAlert | None


@transaction.atomic
def record_medicine(
    *,
    patient: Patient,
    name: str,
    by,
    category: str = "",
    started_on: date | None = None,
    match_answer: str = "",
    now: datetime | None = None,
) -> MedicineRecorded:
    """Add another medicine; IX-TNF / IX-BIOLOGIC raise an INTERACTION alert, IX-IMMUNO a note.

    The name is stored as typed, with the generic name it resolves to. A close spelling
    ("Humera") is refused until `match_answer` says what it is: the suggested generic name
    (applied as confirmed) or medicines.KEEP_AS_TYPED (stored unclassified; a possible TNF
    blocker or biologic still alerts the care team, marked as not confirmed).
    """
    now = now or timezone.now()
    name = " ".join((name or "").split())
    if not name:
        raise RecordRefused("Enter the medicine's name.", "name")
    if len(name) > 120:
        raise RecordRefused("Please keep the name to 120 characters.", "name")
    if medicine_rules.is_anakinra(name):
        raise RecordRefused(medicine_rules.ANAKINRA_REFUSAL, "name")
    if category and category not in MedicineCategory.values:
        raise RecordRefused("Choose a kind of medicine from the list.", "category")
    if refusal := record_limits.future_date_refusal(started_on, patient.local_today(now), "start date"):
        raise RecordRefused(refusal, "started_on")
    advice = medicine_rules.classify_medicine(name, category, answer=match_answer)
    if advice.status == medicine_rules.PENDING:
        raise RecordRefused(f"{advice.question} Choose an answer below.", "match_answer")
    if advice.category == medicine_rules.ANAKINRA_CLASS:  # a close spelling of Kineret, confirmed
        raise RecordRefused(medicine_rules.ANAKINRA_REFUSAL, "name")
    current = OtherMedicine.objects.filter(patient=patient, stopped_on__isnull=True)
    if current.filter(name__iexact=name).exists():
        raise RecordRefused(f"{name} is already on the list.", "name")
    recognised = advice.status in (medicine_rules.EXACT, medicine_rules.CONFIRMED) and advice.matched
    if recognised and (
        same := current.filter(generic_name__iexact=advice.matched).exclude(match=MedicineMatch.UNCONFIRMED).first()
    ):
        raise RecordRefused(f"{name} is {advice.matched}, already on the list as {same.name}.", "name")
    medicine = OtherMedicine.objects.create(
        patient=patient,
        name=name,
        category=advice.category,
        generic_name=advice.matched,
        match=advice.status if advice.matched else "",
        started_on=started_on,
        recorded_by=by,
        recorded_at=now,
    )
    alert = None
    if advice.flag_clinician:
        if advice.status == medicine_rules.UNCONFIRMED:
            summary = (
                f"Possible interaction, not confirmed: {name} may be {advice.matched} ({advice.rule_id}); kept as typed"
            )
        else:
            generic = f" ({advice.matched})" if advice.matched and advice.matched != name.lower() else ""
            confirmed = ", confirmed from a close spelling" if advice.status == medicine_rules.CONFIRMED else ""
            summary = (
                f"{name}{generic} logged with anakinra ({medicine.get_category_display()}, {advice.rule_id}){confirmed}"
            )
        alert = raise_care_alert(
            patient=patient, kind=CareAlert.Kind.INTERACTION, rule_id=advice.rule_id, summary=summary, now=now
        )
    refresh_adherence_summary_on_commit(patient.pk)
    return MedicineRecorded(medicine, advice, alert)


def stop_medicine(*, medicine: OtherMedicine, stopped_on: date, by) -> OtherMedicine:
    if medicine.started_on and stopped_on < medicine.started_on:
        raise RecordRefused("It cannot stop before it started.", "stopped_on")
    if refusal := record_limits.future_date_refusal(stopped_on, medicine.patient.local_today(), "stop date"):
        raise RecordRefused(refusal, "stopped_on")
    OtherMedicine.objects.filter(pk=medicine.pk, stopped_on__isnull=True).update(stopped_on=stopped_on)
    medicine.refresh_from_db()
    refresh_adherence_summary_on_commit(medicine.patient_id)
    return medicine


@dataclass(frozen=True)
class VaccinationRecorded:
    vaccination: Vaccination
    advice: vaccine_rules.VaccineAdvice
    alert: CareAlert | None


@transaction.atomic
def record_vaccination(
    *, patient: Patient, name: str, given_on: date, by, is_live_answer: str = "unsure", now: datetime | None = None
) -> VaccinationRecorded:
    """IX-LIVE-VACCINE: log a vaccination; a live (or possibly live) one raises a LIVE_VACCINE alert."""
    now = now or timezone.now()
    name = " ".join((name or "").split())
    if not name:
        raise RecordRefused("Enter the vaccine's name.", "name")
    if len(name) > 120:
        raise RecordRefused("Please keep the name to 120 characters.", "name")
    if given_on > patient.local_today(now):
        raise RecordRefused(vaccine_rules.PLANNED_VACCINATION_REFUSAL, "given_on")
    advice = vaccine_rules.classify_vaccine(name, is_live_answer)
    vaccination = Vaccination.objects.create(
        patient=patient, name=name, is_live=advice.is_live, given_on=given_on, recorded_by=by, recorded_at=now
    )
    alert = None
    if advice.is_live:
        alert = raise_care_alert(
            patient=patient,
            kind=CareAlert.Kind.LIVE_VACCINE,
            rule_id="IX-LIVE-VACCINE",
            summary=f"{'Live' if advice.certain else 'Possibly live'} vaccine logged: {name} on {given_on:%d %b %Y}",
            now=now,
        )
    return VaccinationRecorded(vaccination, advice, alert)


@transaction.atomic
def save_baseline_checklist(
    *,
    patient: Patient,
    by,
    active_infection: bool,
    ecoli_protein_allergy: bool,
    latex_allergy: bool,
    pregnant_or_breastfeeding: bool,
    pneumococcal_vaccinated: bool | None = None,
    hib_vaccinated: bool | None = None,
    infection_is_severe: bool = False,
    now: datetime | None = None,
) -> tuple[BaselineChecklist, list[start_checks.BaselineFinding]]:
    """Before-you-start answers (AE-INFECTION, AE-ALLERGY, PRE-PREGNANCY, PRE-CHILD-VACCINE), one per patient.

    Saving again replaces the answers and records who answered and when. The child
    questions are kept only for a child.
    """
    now = now or timezone.now()
    is_child = patient.is_child(patient.local_today(now))
    answers = {
        "active_infection": bool(active_infection),
        "ecoli_protein_allergy": bool(ecoli_protein_allergy),
        "latex_allergy": bool(latex_allergy),
        "pregnant_or_breastfeeding": bool(pregnant_or_breastfeeding),
        "pneumococcal_vaccinated": pneumococcal_vaccinated if is_child else None,
        "hib_vaccinated": hib_vaccinated if is_child else None,
    }
    checklist, _ = BaselineChecklist.objects.update_or_create(
        patient=patient,
        defaults={
            **answers,
            "infection_is_severe": bool(active_infection and infection_is_severe),
            "completed_at": now,
            "completed_by": by,
        },
    )
    holds.hold_after_checklist(
        patient=patient, answers={**answers, "infection_is_severe": infection_is_severe}, now=now
    )
    return checklist, start_checks.baseline_findings(is_child=is_child, **answers)


@transaction.atomic
def record_lab_result(
    *, lab_test: LabTest, done_on: date, neutrophils_10e9_per_l: Decimal, by, now: datetime | None = None
) -> LabTest:
    """AE-LABS: enter the neutrophil count of a scheduled test."""
    now = now or timezone.now()
    if refusal := record_limits.future_date_refusal(done_on, lab_test.patient.local_today(now), "test date"):
        raise RecordRefused(refusal, "done_on")
    value = Decimal(neutrophils_10e9_per_l)
    if refusal := lab_checks.neutrophil_count_refusal(value):
        raise RecordRefused(refusal, "neutrophils_10e9_per_l")
    LabTest.objects.filter(pk=lab_test.pk).update(done_on=done_on, neutrophils_10e9_per_l=value, recorded_by=by)
    lab_test.refresh_from_db()
    _act_on_neutrophil_count(lab_test, now)
    refresh_adherence_summary_on_commit(lab_test.patient_id)
    return lab_test


def _act_on_neutrophil_count(lab_test: LabTest, now: datetime) -> None:
    """AE-NEUTROPENIA (EU SmPC): below 1.5 x 10^9/L before the first dose, treatment does not
    start (an automatic hold pending the clinician's review, which alerts); during treatment
    the clinician is alerted at once. Treatment has started once a dose has been logged."""
    patient = lab_test.patient
    count = lab_test.neutrophils_10e9_per_l
    started = Injection.objects.filter(patient=patient).exists()
    action = lab_checks.neutrophil_action(count, treatment_started=started)
    if action is None:
        return
    when = f"{lab_test.label}, {lab_test.done_on:%d %b %Y}"
    if action == lab_checks.HOLD_START:
        held = holds.start_automatic_hold(
            patient=patient,
            rule_id="AE-NEUTROPENIA",
            reason=HoldReason.LOW_NEUTROPHILS,
            trigger=TreatmentHold.Trigger.LAB_RESULT,
            summary=f"neutrophil count {count} x10^9/L ({when}) is below 1.5: treatment must not be started.",
            now=now,
        )
        if held is not None:
            return  # the hold raised its own alert
    raise_care_alert(
        patient=patient,
        kind=CareAlert.Kind.LOW_NEUTROPHILS,
        rule_id="AE-NEUTROPENIA",
        summary=(
            f"Neutrophil count {count} x10^9/L ({when}) is below 1.5"
            + (" during treatment" if started else " before the first dose")
            + ": review now (AE-NEUTROPENIA)."
        ),
        now=now,
    )


def schedule_neutrophil_checks(*, patient: Patient, first_dose_on: date) -> None:
    """AE-LABS: neutrophil count before starting, monthly for 3 months, then quarterly to a year."""
    LabTest.objects.bulk_create(
        [
            LabTest(patient=patient, label=label, due_on=due)
            for due, label in lab_checks.neutrophil_check_dates(first_dose_on)
        ],
        ignore_conflicts=True,
    )
