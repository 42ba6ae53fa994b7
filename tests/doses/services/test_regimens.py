"""Regimen changes are proposals until a clinician confirms them; every regimen rule in the service.

doses/services/regimens.py: save_regimen, confirm_proposal, decline_proposal, withdraw_proposal,
check_dose_at_new_weight; the rules in doses/rules/regimen_review.py: regimen_findings (issue 13, parts 1-2).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from companion import services as companion_services
from companion.forms import PatientForm
from companion.models import CareRole, Indication, Patient
from doses.models import CareAlert, DoseSlot, Regimen, RegimenProposal, SlotStatus
from doses.presenters.proposals import proposal_notice_text
from doses.rules import catalogue, dosing, regimen_review
from doses.selectors.proposals import proposal_notice
from doses.services import injections as injection_services
from doses.services import refusals
from doses.services import regimens as regimen_services
from reminders import dispatch
from reminders.feeds import ScheduleFeed
from reminders.models import Delivery, Kind
from tests.conftest import link, make_patient, make_user
from tests.doses.log_helpers import freeze

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 07:00 in London: today's 08:00 dose is still to come


@pytest.fixture
def now(monkeypatch):
    return freeze(monkeypatch, NOW)


@pytest.fixture
def sam(world, now):
    """A 5-year-old with CAPS, 20 kg, on a confirmed 40 mg (2 mg/kg) a day from Dr Reyes; pat is the parent."""
    pat = make_user("pat@example.org", "Pat Parent")
    reyes = make_user("reyes@example.org", "Dr Reyes")
    child = make_patient(
        "Sam Child", dob=date(2021, 3, 1), weight_kg=Decimal("20.0"), weight_measured_on=date(2026, 11, 1)
    )
    child.indication = Indication.NOMID_CAPS
    child.save()
    link(child, pat, CareRole.PARENT)
    link(child, reyes, CareRole.CLINICIAN)
    child.parent, child.reyes = pat, reyes
    child.confirmed = regimen_services.create_regimen_version(  # started three days ago (the form allows today on)
        patient=child,
        entered_by=reyes,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        mg_per_kg=Decimal("2"),
        weight_kg_basis=Decimal("20.0"),
        interval_days=1,
        administrations_per_day=1,
        times_of_day=["08:00"],
        starts_on=date(2026, 11, 22),
        confirmed=True,
    )
    return child


def weight_based(patient, by, *, can_confirm: bool, mg_per_kg="2", weight="20.0", **changes):
    arguments = {
        "patient": patient,
        "entered_by": by,
        "can_confirm": can_confirm,
        "dose_basis": Regimen.DoseBasis.WEIGHT_BASED,
        "mg_per_kg": Decimal(mg_per_kg),
        "weight_kg_basis": Decimal(weight),
        "interval_days": 1,
        "administrations_per_day": 1,
        "times_of_day": ["08:00"],
        "starts_on": patient.local_today(),
        "change_reason": "As prescribed.",
    }
    arguments.update(changes)
    return regimen_services.save_regimen(**arguments)


def fixed(patient, by, *, can_confirm: bool, **changes):
    arguments = {
        "patient": patient,
        "entered_by": by,
        "can_confirm": can_confirm,
        "dose_basis": Regimen.DoseBasis.FIXED_ADULT,
        "interval_days": 1,
        "administrations_per_day": 1,
        "times_of_day": ["08:00"],
        "starts_on": patient.local_today(),
    }
    arguments.update(changes)
    return regimen_services.save_regimen(**arguments)


def slot_on(patient, day: date) -> DoseSlot:
    return DoseSlot.objects.select_related("regimen").get(patient=patient, local_date=day)


TODAY = date(2026, 11, 25)
TOMORROW = TODAY + timedelta(days=1)


# --- the case: a parent's change to a confirmed regimen ------------------------------


def test_DOSE_PED_STEP_parents_change_to_80_mg_is_a_proposal_and_40_mg_stays_in_force_everywhere(sam, client_for):
    saved = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="4", flags_seen=["DOSE-PED-STEP"])
    assert saved.regimen is None and saved.proposal.is_open
    assert saved.proposal.daily_dose_mg == Decimal("80.0") and saved.proposal.based_on == sam.confirmed
    # The confirmed version stays in force: no new version, no slot of 80 mg.
    assert list(Regimen.objects.filter(patient=sam)) == [sam.confirmed]
    assert Regimen.objects.current().get(patient=sam).daily_dose_mg == Decimal("40.0")
    tomorrow = slot_on(sam, TOMORROW)
    assert tomorrow.dose_mg == Decimal("40.0") and tomorrow.regimen == sam.confirmed
    assert set(DoseSlot.objects.filter(patient=sam).values_list("dose_mg", flat=True)) == {Decimal("40.0")}
    # The reminder queued for tomorrow's dose is for the 40 mg slot.
    dispatch.queue_injection_reminders(tomorrow.scheduled_at + timedelta(minutes=1))
    delivery = Delivery.objects.get(kind=Kind.INJECTION_REMINDER, subject_key=f"slot:{tomorrow.pk}")
    assert DoseSlot.objects.get(pk=int(delivery.subject_key.split(":")[1])).dose_mg == Decimal("40.0")
    # The log form offers 40 mg.
    body = client_for(sam.parent).get(reverse("doses:log", args=[sam.pk])).content.decode()
    dose_input = re.search(r'<input[^>]*name="dose_mg"[^>]*>', body).group(0)
    assert 'value="40.0"' in dose_input
    # The calendar feed has only the confirmed version's doses.
    feed = ScheduleFeed(sam).calendar().to_ical().decode()
    assert f"regimen-{sam.confirmed.pk}-" in feed and "regimen-" + str(sam.confirmed.pk + 1) not in feed
    # An 80 mg injection is refused as more than prescribed.
    # Without the AE-OVERDOSE confirmation (what really happened can be recorded, flagged).
    with pytest.raises(refusals.DoseRefused, match="more than the prescribed 40.0 mg"):
        injection_services.record_injection(
            slot=tomorrow,
            taken_at=tomorrow.scheduled_at,
            site_spot="abdomen-left-1",
            by=sam.parent,
            dose_mg=Decimal("80"),
            now=tomorrow.scheduled_at,
        )
    # The clinician hears of it, with the rule check.
    alert = CareAlert.objects.get(patient=sam, kind=CareAlert.Kind.REGIMEN_PROPOSAL)
    assert alert.rule_id == "DOSE-PED-STEP" and "80.0 mg" in alert.summary


def test_clinician_confirms_the_proposal_and_it_starts_tomorrow_when_its_start_date_is_today(sam):
    proposal = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="2.5").proposal
    assert proposal.starts_on == TODAY and proposal.rule_flags == []
    regimen = regimen_services.confirm_proposal(proposal=proposal, clinician=sam.reyes)
    proposal.refresh_from_db()
    assert proposal.status == RegimenProposal.Status.CONFIRMED and proposal.regimen == regimen
    assert proposal.decided_by == sam.reyes
    assert regimen.is_confirmed and regimen.confirmed_by == sam.reyes and regimen.entered_by == sam.parent
    assert (regimen.version, regimen.starts_on, regimen.daily_dose_mg) == (2, TOMORROW, Decimal("50.0"))
    # Today's dose stays the confirmed 40 mg (it may have been reminded already); tomorrow's is 50 mg.
    assert slot_on(sam, TODAY).dose_mg == Decimal("40.0")
    assert slot_on(sam, TOMORROW).dose_mg == Decimal("50.0")
    assert not CareAlert.objects.filter(
        patient=sam, kind=CareAlert.Kind.REGIMEN_PROPOSAL, acknowledged_at__isnull=True
    ).exists()


def test_a_confirmed_proposal_with_a_later_start_date_starts_on_that_date(sam):
    later = TODAY + timedelta(days=4)
    proposal = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="3", starts_on=later).proposal
    regimen = regimen_services.confirm_proposal(proposal=proposal, clinician=sam.reyes)
    assert regimen.starts_on == later
    assert slot_on(sam, later - timedelta(days=1)).dose_mg == Decimal("40.0")
    assert slot_on(sam, later).dose_mg == Decimal("60.0")


def test_a_proposal_confirmed_after_its_start_date_has_passed_starts_tomorrow(sam, monkeypatch):
    proposal = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="3").proposal
    freeze(monkeypatch, NOW + timedelta(days=3))
    regimen = regimen_services.confirm_proposal(proposal=proposal, clinician=sam.reyes)
    assert regimen.starts_on == TODAY + timedelta(days=4)


def test_decline_needs_a_reason_and_the_confirmed_version_stays(sam):
    proposal = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="4", flags_seen=["DOSE-PED-STEP"]).proposal
    with pytest.raises(regimen_services.RegimenRefused) as refused:
        regimen_services.decline_proposal(proposal=proposal, clinician=sam.reyes, reason="   ")
    assert refused.value.field == "decline_reason"
    assert RegimenProposal.objects.get(pk=proposal.pk).is_open
    regimen_services.decline_proposal(proposal=proposal, clinician=sam.reyes, reason="Too big a step; 3 mg/kg first.")
    proposal.refresh_from_db()
    assert proposal.status == RegimenProposal.Status.DECLINED
    assert proposal.decline_reason == "Too big a step; 3 mg/kg first." and proposal.decided_by == sam.reyes
    assert list(Regimen.objects.filter(patient=sam)) == [sam.confirmed]
    with pytest.raises(regimen_services.ProposalNotOpen):
        regimen_services.confirm_proposal(proposal=proposal, clinician=sam.reyes)


def test_a_newer_proposal_supersedes_the_older_open_one(sam):
    first = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="2.5").proposal
    second = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="3").proposal
    first.refresh_from_db()
    assert first.status == RegimenProposal.Status.SUPERSEDED and second.is_open
    assert RegimenProposal.objects.open().filter(patient=sam).get() == second
    with pytest.raises(regimen_services.ProposalNotOpen):
        regimen_services.confirm_proposal(proposal=first, clinician=sam.reyes)


def test_a_clinicians_own_new_version_supersedes_the_open_proposal(sam):
    proposal = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="3").proposal
    own = weight_based(sam, sam.reyes, can_confirm=True, mg_per_kg="2.5").regimen
    proposal.refresh_from_db()
    assert own.is_confirmed and proposal.status == RegimenProposal.Status.SUPERSEDED


def test_the_family_can_withdraw_a_waiting_change(sam):
    proposal = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="3").proposal
    regimen_services.withdraw_proposal(proposal=proposal, by=sam.parent)
    proposal.refresh_from_db()
    assert proposal.status == RegimenProposal.Status.WITHDRAWN
    assert list(Regimen.objects.filter(patient=sam)) == [sam.confirmed]


def test_a_first_regimen_by_a_parent_is_in_force_as_entered_and_unconfirmed(world, now):
    pat = make_user("pat@example.org", "Pat Parent")
    child = make_patient("Kim Child", dob=date(2020, 6, 1), weight_kg=Decimal("20.0"))
    link(child, pat, CareRole.PARENT)
    saved = weight_based(child, pat, can_confirm=False)
    assert saved.proposal is None and saved.regimen.status == Regimen.Status.AWAITING_CONFIRMATION
    assert slot_on(child, TODAY).dose_mg == Decimal("40.0")
    # A second change before any clinician confirmed: still in force as entered (nothing confirmed yet).
    again = weight_based(child, pat, can_confirm=False, mg_per_kg="2.5", starts_on=TOMORROW)
    assert again.proposal is None and again.regimen.version == 2
    assert not RegimenProposal.objects.exists()


def test_an_adults_change_to_her_confirmed_regimen_is_a_proposal_too(world, now):
    confirmed = fixed(world.alice, world.carol, can_confirm=True).regimen
    saved = fixed(world.alice, world.alice_user, can_confirm=False, times_of_day=["20:00"], interval_days=2)
    assert saved.proposal is not None and saved.proposal.based_on == confirmed
    assert Regimen.objects.current().get(patient=world.alice) == confirmed


# --- DOSE-ADULT ----------------------------------------------------------------------------


@pytest.mark.parametrize("can_confirm", [False, True])
def test_DOSE_ADULT_a_fixed_100_mg_dose_under_18_is_refused_naming_the_field(sam, can_confirm):
    with pytest.raises(regimen_services.RegimenRefused, match="18 and over") as refused:
        fixed(sam, sam.reyes if can_confirm else sam.parent, can_confirm=can_confirm)
    assert (refused.value.field, refused.value.rule_id) == ("dose_basis", "DOSE-ADULT")
    assert not RegimenProposal.objects.exists() and Regimen.objects.filter(patient=sam).count() == 1


def test_DOSE_ADULT_a_fixed_dose_turning_18_on_the_start_date_is_allowed(world, now):
    young = make_patient("Young Adult", dob=date(2008, 11, 26))
    with pytest.raises(regimen_services.RegimenRefused, match="DOSE-ADULT"):
        fixed(young, world.carol, can_confirm=True, starts_on=TODAY)
    assert fixed(young, world.carol, can_confirm=True, starts_on=TOMORROW).regimen.starts_on == TOMORROW


@pytest.mark.parametrize("can_confirm", [False, True])
def test_DOSE_ADULT_a_split_fixed_dose_is_refused(world, now, can_confirm):
    with pytest.raises(regimen_services.RegimenRefused, match="not split") as refused:
        fixed(
            world.alice,
            world.carol if can_confirm else world.alice_user,
            can_confirm=can_confirm,
            administrations_per_day=2,
            times_of_day=["08:00", "20:00"],
        )
    assert (refused.value.field, refused.value.rule_id) == ("administrations_per_day", "DOSE-ADULT")
    assert not Regimen.objects.filter(patient=world.alice).exists()


def test_DOSE_ADULT_low_level_create_refuses_a_split_fixed_dose_too(world, now):
    with pytest.raises(catalogue.DoseRuleError, match="DOSE-ADULT"):
        regimen_services.create_regimen_version(
            patient=world.alice,
            entered_by=world.carol,
            dose_basis=Regimen.DoseBasis.FIXED_ADULT,
            interval_days=1,
            administrations_per_day=2,
            times_of_day=["08:00", "20:00"],
            starts_on=TODAY,
            confirmed=True,
        )


def test_DOSE_ADULT_RA_adults_weight_based_dose_above_100_mg_is_refused_without_a_clinician(world, now):
    with pytest.raises(regimen_services.RegimenRefused, match="higher doses gave no better response") as refused:
        weight_based(world.alice, world.alice_user, can_confirm=False, weight="70", mg_per_kg="2")
    assert (refused.value.field, refused.value.rule_id) == ("mg_per_kg", "DOSE-ADULT")
    assert not Regimen.objects.filter(patient=world.alice).exists()
    # 100 mg a day weight-based is no more than the label's dose: allowed.
    assert weight_based(world.alice, world.alice_user, can_confirm=False, weight="50", mg_per_kg="2").regimen


def test_DOSE_ADULT_a_clinician_may_prescribe_an_RA_adult_above_100_mg_after_seeing_the_flag(world, now):
    with pytest.raises(regimen_services.RegimenNeedsReview) as review:
        weight_based(world.alice, world.carol, can_confirm=True, weight="70", mg_per_kg="2")
    assert [f.rule_id for f in review.value.findings] == ["DOSE-ADULT"]
    regimen = weight_based(
        world.alice, world.carol, can_confirm=True, weight="70", mg_per_kg="2", flags_seen=["DOSE-ADULT"]
    ).regimen
    assert regimen.daily_dose_mg == Decimal("140.0") and regimen.rule_flags[0]["rule_id"] == "DOSE-ADULT"


def test_DOSE_ADULT_a_child_with_RA_is_not_capped_at_100_mg(world, now):
    teen = make_patient("Teen", dob=date(2012, 1, 1), weight_kg=Decimal("60"))
    assert weight_based(teen, world.carol, can_confirm=False, weight="60", mg_per_kg="2").regimen.daily_dose_mg == 120


# --- DOSE-PED-START / DOSE-PED-STEP flags: before saving, stored for the clinician --------------


def test_DOSE_PED_START_a_first_weight_based_regimen_outside_1_to_2_mg_per_kg_is_flagged_before_saving(world, now):
    pat = make_user("pat@example.org", "Pat Parent")
    child = make_patient("Kim Child", dob=date(2020, 6, 1), weight_kg=Decimal("20.0"))
    link(child, pat, CareRole.PARENT)
    with pytest.raises(regimen_services.RegimenNeedsReview) as review:
        weight_based(child, pat, can_confirm=False, mg_per_kg="3")
    assert [(f.rule_id, f.level) for f in review.value.findings] == [("DOSE-PED-START", regimen_review.FLAG)]
    assert not Regimen.objects.filter(patient=child).exists()
    regimen = weight_based(child, pat, can_confirm=False, mg_per_kg="3", flags_seen=["DOSE-PED-START"]).regimen
    assert [f["rule_id"] for f in regimen.rule_flags] == ["DOSE-PED-START"]
    assert "outside the usual starting dose of 1-2 mg/kg/day" in regimen.rule_flags[0]["text"]


@pytest.mark.parametrize("mg_per_kg", ["1", "1.5", "2"])
def test_DOSE_PED_START_1_to_2_mg_per_kg_is_not_flagged(world, now, mg_per_kg):
    child = make_patient("Kim Child", dob=date(2020, 6, 1), weight_kg=Decimal("20.0"))
    assert weight_based(child, world.carol, can_confirm=True, mg_per_kg=mg_per_kg).regimen.rule_flags == []


@pytest.mark.parametrize(
    ("new", "flagged"),
    [("2.5", False), ("3", False), ("1", False), ("2", False), ("2.25", True), ("3.5", True), ("8", True)],
)
def test_DOSE_PED_STEP_a_change_outside_steps_of_half_to_one_mg_per_kg_is_flagged_on_the_proposal(sam, new, flagged):
    if flagged:
        with pytest.raises(regimen_services.RegimenNeedsReview):
            weight_based(sam, sam.parent, can_confirm=False, mg_per_kg=new)
    saved = weight_based(sam, sam.parent, can_confirm=False, mg_per_kg=new, flags_seen=["DOSE-PED-STEP"])
    flags = saved.proposal.rule_flags if saved.proposal else saved.regimen.rule_flags
    assert [f["rule_id"] for f in flags] == (["DOSE-PED-STEP"] if flagged else [])


def test_DOSE_PED_MAX_a_parent_cannot_propose_above_8_mg_per_kg(sam):
    with pytest.raises(regimen_services.RegimenRefused, match="Only a clinician") as refused:
        weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="9", flags_seen=["DOSE-PED-STEP"])
    assert refused.value.rule_id == "DOSE-PED-MAX" and not RegimenProposal.objects.exists()


def test_DOSE_PED_RANGE_a_proposal_outside_1_to_10_is_refused(sam):
    with pytest.raises(regimen_services.RegimenRefused, match="1 to 10") as refused:
        weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="0.5")
    assert refused.value.field == "mg_per_kg"


def test_a_start_date_in_the_past_is_refused_by_the_service(sam):
    with pytest.raises(regimen_services.RegimenRefused) as refused:
        weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="2.5", starts_on=TODAY - timedelta(days=1))
    assert refused.value.field == "starts_on"


def test_the_panel_summary_flags_an_open_proposal_first(sam, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the commit, then the worker's refresh (eager)
        weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="2.5")
    summary = sam.__class__.objects.get(pk=sam.pk).adherence_summary
    assert summary.flags[0] == "proposal" and summary.attention_score >= 200


# --- weight changes (DOSE-PED-RANGE, DOSE-PED-MAX) -----------------------------------------------


def change_weight(patient, weight: str, callbacks) -> None:
    data = {
        "display_name": patient.display_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "weight_kg": weight,
        "weight_measured_on": "2026-11-24",
        "time_zone": patient.time_zone,
        "indication": patient.indication,
        "creatinine_clearance_ml_min": "",
    }
    form = PatientForm(data, instance=patient)
    assert form.is_valid(), form.errors
    with callbacks(execute=True):
        companion_services.save_patient_profile(form=form, previous_time_zone=patient.time_zone)


def weight_alerts(patient):
    return list(CareAlert.objects.filter(patient=patient, kind=CareAlert.Kind.WEIGHT_DOSE))


def test_DOSE_PED_MAX_a_lower_weight_that_puts_the_dose_in_force_above_8_mg_per_kg_alerts_the_clinician(
    sam, django_capture_on_commit_callbacks
):
    change_weight(sam, "4.5", django_capture_on_commit_callbacks)  # 40 mg / 4.5 kg = 8.89 mg/kg
    [alert] = weight_alerts(sam)
    assert alert.rule_id == "DOSE-PED-MAX" and "8.89 mg/kg/day" in alert.summary


def test_DOSE_PED_RANGE_a_weight_that_puts_the_dose_in_force_outside_1_to_10_alerts_the_clinician(
    sam, django_capture_on_commit_callbacks
):
    change_weight(sam, "45", django_capture_on_commit_callbacks)  # 0.89 mg/kg
    change_weight(sam, "3.5", django_capture_on_commit_callbacks)  # 11.43 mg/kg
    assert [a.rule_id for a in weight_alerts(sam)] == ["DOSE-PED-RANGE", "DOSE-PED-RANGE"]


def test_a_weight_change_that_keeps_the_dose_within_the_range_alerts_nobody(sam, django_capture_on_commit_callbacks):
    change_weight(sam, "25", django_capture_on_commit_callbacks)  # 1.6 mg/kg
    change_weight(sam, "25", django_capture_on_commit_callbacks)  # unchanged: no signal either
    assert weight_alerts(sam) == []


def test_DOSE_PED_MAX_a_recorded_override_covers_the_dose_up_to_its_mg_per_kg(
    world, now, django_capture_on_commit_callbacks
):
    child = make_patient("Dira Child", dob=date(2025, 1, 1), weight_kg=Decimal("10.0"))
    regimen_services.create_regimen_version(
        patient=child,
        entered_by=world.carol,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        mg_per_kg=Decimal("9"),
        weight_kg_basis=Decimal("10.0"),
        interval_days=1,
        administrations_per_day=1,
        times_of_day=["08:00"],
        starts_on=TODAY,
        confirmed=True,
        override_reason="DIRA flare despite 8 mg/kg.",
    )
    change_weight(child, "10.1", django_capture_on_commit_callbacks)  # 8.91 mg/kg: covered by the 9 mg/kg override
    assert weight_alerts(child) == []
    change_weight(child, "9.5", django_capture_on_commit_callbacks)  # 9.47 mg/kg: more than the override
    assert [a.rule_id for a in weight_alerts(child)] == ["DOSE-PED-MAX"]


def test_a_fixed_adult_dose_does_not_follow_the_weight(world, now, django_capture_on_commit_callbacks):
    fixed(world.alice, world.carol, can_confirm=True)
    change_weight(world.alice, "120", django_capture_on_commit_callbacks)
    assert weight_alerts(world.alice) == []


def test_the_weight_alert_goes_to_the_care_alert_pipeline(sam, django_capture_on_commit_callbacks):
    change_weight(sam, "4.5", django_capture_on_commit_callbacks)
    [alert] = weight_alerts(sam)
    dispatch.queue_care_alerts(alert.created_at, CareAlert.objects.filter(pk=alert.pk))
    assert Delivery.objects.filter(kind=Kind.CARE_ALERT, subject_key=f"alert:{alert.pk}").exists()


def test_a_slot_of_the_confirmed_version_is_still_pending_while_a_proposal_waits(sam):
    weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="3")
    assert slot_on(sam, TODAY).status == SlotStatus.PENDING and slot_on(sam, TODAY).regimen == sam.confirmed


def test_the_pure_rules_name_the_same_values_as_the_models():
    assert regimen_review.FIXED_BASIS == Regimen.DoseBasis.FIXED_ADULT and regimen_review.WEIGHT_BASIS == Regimen.DoseBasis.WEIGHT_BASED
    assert regimen_review.RA_INDICATION == Indication.RHEUMATOID_ARTHRITIS
    assert dosing.ADULT_FROM_AGE_YEARS == Patient.ADULT_AGE_YEARS


def test_while_a_newer_version_is_planned_the_family_is_told_the_dose_given_today(sam):

    regimen_services.create_regimen_version(
        patient=sam,
        entered_by=sam.reyes,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        mg_per_kg=Decimal("2.5"),
        weight_kg_basis=Decimal("20.0"),
        interval_days=1,
        administrations_per_day=1,
        times_of_day=["08:00"],
        starts_on=TODAY + timedelta(days=5),
        confirmed=True,
    )
    weight_based(sam, sam.parent, can_confirm=False, mg_per_kg="3", starts_on=TODAY + timedelta(days=6))
    assert proposal_notice_text(proposal_notice(sam)).waiting_text == "Waiting for Dr Reyes; keep injecting 40 mg"
