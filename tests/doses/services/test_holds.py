"""Holds and stops (issue 13, part 3): doses/services/holds.py and the jobs that respect them.

alice takes 100 mg daily at 08:00 London time (GMT in March: 08:00 UTC) since 7 March 2026;
carol is her clinician, bob her caregiver.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.core import mail

from companion.models import CareMembership
from doses import sites
from doses.models import (
    CareAlert,
    DoseSlot,
    HoldReason,
    Regimen,
    SlotStatus,
    TreatmentHold,
    TreatmentStop,
)
from doses.selectors.panel import compute_adherence_summaries
from doses.services import holds, refusals
from doses.services import injections as injection_services
from doses.services import records as record_services
from doses.services import slots as slot_services
from reminders import dispatch
from reminders.models import Delivery, Kind, NotificationPreference
from tests.conftest import start_adult_regimen

pytestmark = pytest.mark.django_db

START = date(2026, 3, 7)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def daily(world):
    return start_adult_regimen(world.alice, world.carol, starts_on=START, now=at(7, 7))


def slot_on(world, day: int) -> DoseSlot:
    return DoseSlot.objects.get(patient=world.alice, local_date=date(2026, 3, day))


def take(world, day: int, by=None):
    slot = slot_on(world, day)
    return injection_services.record_injection(
        slot=slot, taken_at=at(day, 8, 5), site_spot=_spot(), by=by or world.alice_user, now=at(day, 8, 6)
    )


def _spot() -> str:
    return sites.allowed_spots(False)[0]


def allergy(world, now, **extra):
    return record_services.record_side_effect(
        patient=world.alice,
        symptom=extra.pop("symptom", "allergic_reaction"),
        severity=extra.pop("severity", "severe"),
        started_on=now.date(),
        by=world.bob,
        now=now,
        **extra,
    )


def checklist(world, now, **answers):
    defaults = {
        "active_infection": False,
        "ecoli_protein_allergy": False,
        "latex_allergy": False,
        "pregnant_or_breastfeeding": False,
    }
    return record_services.save_baseline_checklist(
        patient=world.alice, by=world.alice_user, now=now, **{**defaults, **answers}
    )


# --- the case: a severe allergic reaction is logged --------------------------------


def test_AE_ALLERGY_severe_allergic_reaction_holds_treatment_pending_review(world, daily):
    recorded = allergy(world, at(10, 20))
    hold = TreatmentHold.objects.get(patient=world.alice)
    assert hold.is_open and hold.is_automatic and hold.pending_review
    assert (hold.rule_id, hold.reason, hold.trigger) == ("AE-ALLERGY", HoldReason.ALLERGY, "side_effect")
    assert hold.side_effect == recorded.side_effect
    assert hold.started_by is None
    # The next morning's dose and every later one is held.
    assert slot_on(world, 11).status == SlotStatus.HELD
    assert not DoseSlot.objects.filter(patient=world.alice, local_date__gt=date(2026, 3, 10), status="pending")


def test_AE_ALLERGY_the_care_team_is_alerted_at_once_with_a_delivery_each(
    world, daily, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        allergy(world, at(10, 20))
    alert = CareAlert.objects.get(patient=world.alice, kind=CareAlert.Kind.TREATMENT_HOLD)
    assert alert.rule_id == "AE-ALLERGY"
    deliveries = Delivery.objects.filter(kind=Kind.CARE_ALERT, subject_key=f"alert:{alert.pk}")
    assert {d.recipient.email for d in deliveries} >= {"carol@example.org", "bob@example.org"}
    held_mail = [m for m in mail.outbox if "on hold" in m.subject]
    assert held_mail, [m.subject for m in mail.outbox]
    by_address = {m.to[0]: m for m in held_mail}
    # Worded for each reader (issue 16, point 7): family reads "for Alice", Alice reads "your".
    assert "Treatment for Alice is on hold - open the app" in by_address["bob@example.org"].body
    assert "Your treatment is on hold - open the app" in by_address["alice@example.org"].body
    assert "Treatment for your patient Alice is on hold" in by_address["carol@example.org"].body
    for message in held_mail:
        assert "allerg" not in message.body.lower()  # minimal health data in e-mail


def test_AE_ALLERGY_hold_alert_reaches_the_clinician_even_in_quiet_hours(world, daily):
    membership = CareMembership.objects.get(patient=world.alice, user=world.carol)
    NotificationPreference.objects.create(membership=membership, quiet_start=time(0, 0), quiet_end=time(23, 59))
    allergy(world, at(10, 20))
    alert = CareAlert.objects.get(kind=CareAlert.Kind.TREATMENT_HOLD)
    dispatch.queue_care_alerts(at(10, 20, 1), CareAlert.objects.filter(pk=alert.pk))
    delivery = Delivery.objects.get(recipient=world.carol, subject_key=f"alert:{alert.pk}")
    assert delivery.not_before is None and delivery.bypass_quiet_hours


def test_AE_ALLERGY_no_injection_reminder_the_next_morning(world, daily):
    allergy(world, at(10, 20))
    assert dispatch.queue_injection_reminders(at(11, 8)) == 0
    assert dispatch.queue_injection_reminders(at(11, 8, 30)) == 0
    assert dispatch.queue_escalations(at(11, 10)) == 0
    assert not Delivery.objects.filter(kind__in=[Kind.INJECTION_REMINDER, Kind.ESCALATION]).exists()


def test_AE_ALLERGY_the_dose_is_refused_with_the_reason_and_whom_to_call(world, daily):
    allergy(world, at(10, 20))
    with pytest.raises(refusals.DoseRefused) as refused:
        take(world, 11)
    assert refused.value.rule_id == "AE-ALLERGY"
    text = str(refused.value)
    assert "on hold" in text and "allergic" in text.lower()
    assert "Dr Carol Clinician" in text
    assert not DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.TAKEN, local_date__gt=date(2026, 3, 10))


def test_AE_ALLERGY_no_dose_is_marked_missed_while_held(world, daily):
    for day in (7, 8, 9, 10):
        take(world, day)
    allergy(world, at(10, 20))
    for day in (11, 12, 13):
        assert dispatch.mark_missed_doses(at(day, 23)) == []
    assert not DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.MISSED).exists()


def test_AE_ALLERGY_held_days_change_neither_adherence_nor_days_covered(world, daily):
    record_services.record_pickup(patient=world.alice, boxes=1, on=START, by=world.alice_user, now=at(7, 7, 30))
    for day in (7, 8, 9, 10):
        take(world, day)
    allergy(world, at(10, 20))
    summary = compute_adherence_summaries([world.alice], at(14, 12))[world.alice.pk]
    assert (summary.adherence_30_taken, summary.adherence_30_due) == (4, 4)
    assert summary.missed_run == 0
    # Days covered: 7-9 March on treatment and covered; the held days (10, when the hold
    # started, to 14) are not in the period, so the hold neither helps nor hurts.
    assert (summary.pdc_covered_days, summary.pdc_period_days) == (3, 3)
    assert "hold_review" in summary.flags


def test_AE_ALLERGY_a_mild_rash_does_not_hold_treatment(world, daily):
    allergy(world, at(10, 20), symptom="rash", severity="mild")
    assert not TreatmentHold.objects.exists()


def test_AE_ALLERGY_trouble_breathing_after_an_injection_holds_treatment(world, daily):
    injection = take(world, 10)
    allergy(
        world, at(10, 9), symptom="other", severity="moderate", description="trouble breathing", injection=injection
    )
    assert TreatmentHold.objects.open().get().rule_id == "AE-ALLERGY"


def test_AE_ALLERGY_anaphylaxis_in_the_words_holds_treatment(world, daily):
    allergy(world, at(10, 9), symptom="other", severity="severe", description="Anaphylaxis, ambulance came")
    assert TreatmentHold.objects.open().exists()


def test_AE_ALLERGY_a_second_reaction_while_held_starts_no_second_hold(world, daily):
    allergy(world, at(10, 20))
    allergy(world, at(11, 9))
    assert TreatmentHold.objects.count() == 1
    assert CareAlert.objects.filter(kind=CareAlert.Kind.TREATMENT_HOLD).count() == 1


def test_AE_ALLERGY_a_dose_given_before_the_reaction_can_still_be_logged(world, daily):
    allergy(world, at(10, 9))  # logged at 09:00; the 08:05 dose really happened before it
    injection = injection_services.record_injection(
        slot=slot_on(world, 10), taken_at=at(10, 8, 5), site_spot=_spot(), by=world.alice_user, now=at(10, 9, 30)
    )
    assert injection.slot.status == SlotStatus.TAKEN


# --- before-you-start answers -----------------------------------------------------------------


def test_AE_ALLERGY_ecoli_protein_allergy_answer_holds_treatment_and_alerts(world, daily):
    checklist(world, at(10, 9), ecoli_protein_allergy=True)
    hold = TreatmentHold.objects.open().get(patient=world.alice)
    assert (hold.rule_id, hold.trigger, hold.reason) == ("AE-ALLERGY", "checklist", HoldReason.ALLERGY)
    assert CareAlert.objects.filter(kind=CareAlert.Kind.TREATMENT_HOLD, rule_id="AE-ALLERGY").exists()
    assert dispatch.queue_injection_reminders(at(11, 8)) == 0


def test_AE_ALLERGY_ecoli_allergy_before_any_regimen_holds_the_first_doses(world):
    checklist(world, at(6, 9), ecoli_protein_allergy=True)
    regimen = start_adult_regimen(world.alice, world.carol, starts_on=START, now=at(6, 10))
    # No reminder even before the pull job marks the new slots held.
    assert dispatch.queue_injection_reminders(at(7, 8)) == 0
    holds.apply_open_holds(at(6, 11))
    assert set(regimen.slots.values_list("status", flat=True)) == {SlotStatus.HELD}


def test_AE_INFECTION_severe_active_infection_answer_holds_treatment_and_alerts(world, daily):
    checklist(world, at(10, 9), active_infection=True, infection_is_severe=True)
    hold = TreatmentHold.objects.open().get(patient=world.alice)
    assert (hold.rule_id, hold.reason) == ("AE-INFECTION", HoldReason.INFECTION)
    assert CareAlert.objects.filter(kind=CareAlert.Kind.TREATMENT_HOLD, rule_id="AE-INFECTION").exists()
    with pytest.raises(refusals.DoseRefused) as refused:
        take(world, 11)
    assert refused.value.rule_id == "AE-INFECTION"


def test_AE_INFECTION_an_infection_that_is_not_severe_is_told_to_the_doctor_but_holds_nothing(world, daily):
    _, findings = checklist(world, at(10, 9), active_infection=True, infection_is_severe=False)
    assert any(f.rule_id == "AE-INFECTION" for f in findings)
    assert not TreatmentHold.objects.exists()


# --- a clinician holds, resumes, stops ----------------------------------------------------------


def test_clinician_hold_until_a_date_holds_those_days_and_ends_by_itself(world, daily):
    hold = holds.hold_treatment(
        patient=world.alice, by=world.carol, reason=HoldReason.SURGERY, until=date(2026, 3, 12), now=at(10, 7)
    )
    assert hold.rule_id == "PRE-SURGERY" and not hold.is_automatic
    statuses = dict(DoseSlot.objects.filter(patient=world.alice).values_list("local_date", "status"))
    assert [statuses[date(2026, 3, d)] for d in (10, 11, 12, 13)] == ["held", "held", "held", "pending"]
    # Still held on the 12th; the job at the start of the 13th ends the hold.
    assert holds.apply_open_holds(at(12, 23))["expired"] == 0
    assert dispatch.queue_injection_reminders(at(12, 8, 1)) == 0
    assert holds.apply_open_holds(at(13, 0, 30))["expired"] == 1
    hold.refresh_from_db()
    assert hold.outcome == TreatmentHold.Outcome.EXPIRED and not hold.is_open
    assert slot_on(world, 13).status == SlotStatus.PENDING
    assert slot_on(world, 12).status == SlotStatus.HELD  # history stays
    assert dispatch.queue_injection_reminders(at(13, 8, 1)) == 1
    take(world, 13)


def test_a_dose_after_until_is_accepted_even_before_the_pull_job_ends_the_hold(world, daily):
    holds.hold_treatment(
        patient=world.alice, by=world.carol, reason=HoldReason.INFECTION, until=date(2026, 3, 11), now=at(10, 7)
    )
    take(world, 12)  # the hold's last day was the 11th


def test_resume_gives_doses_again_from_the_next_day(world, daily):
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.INFECTION, now=at(10, 7))
    hold = holds.resume_treatment(patient=world.alice, by=world.carol, now=at(11, 12))
    assert hold.outcome == TreatmentHold.Outcome.RESUMED and hold.ended_by == world.carol
    assert slot_on(world, 11).status == SlotStatus.HELD  # today stays held
    assert slot_on(world, 12).status == SlotStatus.PENDING
    with pytest.raises(refusals.DoseRefused):
        injection_services.record_injection(
            slot=slot_on(world, 11), taken_at=at(11, 12, 5), site_spot=_spot(), by=world.alice_user, now=at(11, 12, 6)
        )
    assert dispatch.queue_injection_reminders(at(12, 8, 1)) == 1
    take(world, 12)


def test_resuming_an_automatic_hold_records_the_review(world, daily):
    allergy(world, at(10, 20))
    hold = holds.resume_treatment(patient=world.alice, by=world.carol, note="Rash only, not allergy", now=at(11, 9))
    assert hold.reviewed_by == world.carol and hold.reviewed_at == at(11, 9)
    assert hold.end_note == "Rash only, not allergy"


def test_a_clinician_hold_over_an_automatic_one_reviews_it(world, daily):
    allergy(world, at(10, 20))
    hold = holds.hold_treatment(
        patient=world.alice, by=world.carol, reason=HoldReason.ALLERGY, until=date(2026, 3, 12), now=at(11, 9)
    )
    assert hold.reviewed_by == world.carol and not hold.pending_review and hold.until == date(2026, 3, 12)
    assert slot_on(world, 13).status == SlotStatus.PENDING
    assert TreatmentHold.objects.count() == 1


def test_stop_ends_the_regimen_and_no_more_slots_or_reminders(world, daily):
    take(world, 10)
    stop = holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.ALLERGY, now=at(10, 12))
    daily.refresh_from_db()
    assert daily.ends_on == date(2026, 3, 11)
    assert not Regimen.objects.current().filter(patient=world.alice).exists()
    assert stop.stopped_on == date(2026, 3, 10) and stop.stopped_by == world.carol
    assert not DoseSlot.objects.filter(patient=world.alice, local_date__gt=date(2026, 3, 10)).exists()
    assert slot_on(world, 10).status == SlotStatus.TAKEN
    assert dispatch.extend_dose_schedules(at(11, 0)) == 0
    slot_services.materialise_upcoming_slots(patient=world.alice, now=at(11, 7))
    assert dispatch.queue_injection_reminders(at(11, 8, 1)) == 0
    assert not DoseSlot.objects.filter(patient=world.alice, local_date__gt=date(2026, 3, 10)).exists()


def test_stop_refuses_later_doses_and_names_who_stopped(world, daily):
    holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.OTHER, now=at(10, 7))
    held = holds.hold_in_force(world.alice, at(11, 8))
    assert held.stop is not None
    text = holds.refusal_text(held, world.alice.zone)
    assert "stopped on Tue 10 Mar by Dr Carol Clinician" in text


def test_stop_while_held_ends_the_hold_as_stopped(world, daily):
    allergy(world, at(10, 20))
    holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.ALLERGY, now=at(11, 9))
    hold = TreatmentHold.objects.get()
    assert hold.outcome == TreatmentHold.Outcome.STOPPED and hold.reviewed_by == world.carol
    assert TreatmentStop.objects.filter(patient=world.alice).count() == 1


def test_a_new_regimen_after_a_stop_restarts_treatment(world, daily):
    holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.OTHER, now=at(10, 7))
    start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 3, 12), now=at(11, 7))
    assert holds.hold_in_force(world.alice, at(12, 8)) is None
    take(world, 12)


# --- refusals of the services themselves ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"reason": "holiday"}, "reason"),
        ({"reason": HoldReason.OTHER, "until": date(2026, 3, 9)}, "until"),
        ({"reason": HoldReason.OTHER, "until": date(2028, 3, 9)}, "until"),
        ({"reason": HoldReason.OTHER, "note": "x" * 301}, "note"),
    ],
)
def test_hold_refuses_bad_input_naming_the_field(world, daily, kwargs, field):
    with pytest.raises(holds.HoldRefused) as refused:
        holds.hold_treatment(patient=world.alice, by=world.carol, now=at(10, 7), **kwargs)
    assert refused.value.field == field
    assert not TreatmentHold.objects.exists()


def test_a_second_hold_while_one_is_open_is_refused(world, daily):
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.SURGERY, now=at(10, 7))
    with pytest.raises(holds.HoldRefused):
        holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.OTHER, now=at(10, 8))


def test_resume_without_a_hold_and_stop_without_a_regimen_are_refused(world, daily):
    with pytest.raises(holds.HoldRefused):
        holds.resume_treatment(patient=world.alice, by=world.carol, now=at(10, 7))
    holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.OTHER, now=at(10, 7))
    with pytest.raises(holds.HoldRefused):
        holds.stop_treatment(patient=world.alice, by=world.carol, reason=HoldReason.OTHER, now=at(10, 8))


def test_not_taken_cannot_be_recorded_for_a_held_dose(world, daily):
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.SURGERY, now=at(10, 7))
    with pytest.raises(refusals.DoseRefused):
        injection_services.record_not_taken(
            slot=slot_on(world, 10), reason="forgot", by=world.alice_user, now=at(10, 12)
        )


# --- the pull job ------------------------------------------------------------------------------


def test_slots_materialised_after_the_hold_are_created_held_and_the_pull_job_is_idempotent(world, daily):
    for day in (7, 8, 9):
        take(world, day)
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.PREGNANCY, now=at(10, 7))
    before = DoseSlot.objects.filter(patient=world.alice).count()
    dispatch.extend_dose_schedules(at(20, 0))  # new slots to the horizon: on held days, created held
    assert DoseSlot.objects.filter(patient=world.alice).count() > before
    assert not DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.PENDING).exists()
    # The pull job is a defence: a pending slot an open hold covers (however it got there) is held.
    stray = DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.HELD).order_by("scheduled_at").first()
    DoseSlot.objects.filter(pk=stray.pk).update(status=SlotStatus.PENDING)
    assert dispatch.mark_missed_doses(at(30, 23)) == []  # the job skips it even before the pull
    assert holds.apply_open_holds(at(20, 0, 1))["held"] == 1
    assert holds.apply_open_holds(at(20, 0, 2))["held"] == 0
    assert not DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.PENDING).exists()


def test_apply_open_holds_reads_the_day_in_the_patients_own_zone(world):
    world.alice.time_zone = "Pacific/Auckland"  # UTC+13 in March
    world.alice.save()
    start_adult_regimen(world.alice, world.carol, starts_on=START, now=at(7, 0))
    # 11 March 10:00 UTC is 23:00 on the 11th in Auckland: a hold until the 11th is still open.
    holds.hold_treatment(
        patient=world.alice, by=world.carol, reason=HoldReason.OTHER, until=date(2026, 3, 11), now=at(10, 0)
    )
    assert holds.apply_open_holds(at(11, 10))["expired"] == 0
    assert holds.apply_open_holds(at(11, 11, 30))["expired"] == 1  # 00:30 on the 12th in Auckland


def test_a_regimen_change_during_a_hold_stays_held_and_resumes_at_the_new_dose_times(world, daily):
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.INFECTION, now=at(10, 7))
    start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 3, 12), times=("20:00",), now=at(11, 7))
    holds.apply_open_holds(at(11, 7, 1))
    held_days = DoseSlot.objects.filter(patient=world.alice, local_date__gte=date(2026, 3, 10))
    assert set(held_days.values_list("status", flat=True)) == {SlotStatus.HELD}
    assert dispatch.queue_injection_reminders(at(12, 20, 1)) == 0
    holds.resume_treatment(patient=world.alice, by=world.carol, now=at(12, 9))
    slot = slot_on(world, 13)
    assert (slot.status, slot.scheduled_at) == (SlotStatus.PENDING, at(13, 20))
    assert dispatch.queue_injection_reminders(at(13, 20, 1)) == 1


def test_each_hold_resume_and_stop_request_has_its_audit_row(world, daily, client_for):
    from django.urls import reverse

    from companion.models import AuditEvent

    client = client_for(world.carol)
    client.post(reverse("doses:treatment_hold", args=[world.alice.pk]), {"hold-reason": "surgery"})
    client.post(reverse("doses:treatment_resume", args=[world.alice.pk]), {})
    client.post(reverse("doses:treatment_stop", args=[world.alice.pk]), {"stop-reason": "other"})
    names = list(
        AuditEvent.objects.filter(actor=world.carol, action="changed").order_by("pk").values_list("url_name", flat=True)
    )
    assert names == ["doses:treatment_hold", "doses:treatment_resume", "doses:treatment_stop"]


def test_AE_ALLERGY_contraindication_answered_before_any_regimen_holds_the_first_regimens_doses(world):
    """The checklist comes first (before you start): the regimen entered afterwards never
    sets up daily reminders, and its doses are held from the start until a clinician reviews."""
    record_services.save_baseline_checklist(
        patient=world.alice,
        by=world.alice_user,
        active_infection=False,
        ecoli_protein_allergy=True,
        latex_allergy=False,
        pregnant_or_breastfeeding=False,
        now=at(6, 9),
    )
    hold = TreatmentHold.objects.get(patient=world.alice, ended_at__isnull=True)
    assert hold.is_automatic and hold.rule_id == "AE-ALLERGY"
    start_adult_regimen(world.alice, world.carol, starts_on=START, now=at(6, 10))
    slots = DoseSlot.objects.filter(patient=world.alice)
    assert slots.exists() and set(slots.values_list("status", flat=True)) == {SlotStatus.HELD}
    assert dispatch.queue_injection_reminders(at(7, 8)) == 0
    assert dispatch.mark_missed_doses(at(9, 23)) == []
    with pytest.raises(refusals.DoseRefused, match="AE-ALLERGY|hold"):
        take(world, 7)


@pytest.mark.parametrize(
    "reason,rule_id,advice",
    [
        (HoldReason.LOW_NEUTROPHILS, "AE-NEUTROPENIA", "paused because of a low neutrophil count."),
        (HoldReason.OTHER, "TX-HOLD", "The clinician has paused anakinra."),
    ],
)
def test_AE_NEUTROPENIA_and_TX_HOLD_a_clinicians_hold_cites_its_rule_and_refuses_a_dose(
    world, daily, reason, rule_id, advice
):
    hold = holds.hold_treatment(patient=world.alice, by=world.carol, reason=reason, now=at(9, 7))
    assert hold.rule_id == rule_id
    held = holds.hold_in_force(world.alice, now=at(9, 8))
    assert (held.rule_id, advice in holds.rule_advice(held.rule_id)) == (rule_id, True)
    with pytest.raises(refusals.DoseRefused, match="Do not inject"):
        take(world, 9)
