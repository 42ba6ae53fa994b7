"""Proposals on the pages: the review step, "Waiting for Dr Reyes; keep injecting 40 mg", Confirm / Decline.

doses/views/regimen.py (regimen_new, proposal_confirm, proposal_decline, proposal_withdraw), the
patient page and the panel (doses/views/dashboard.py), Today (doses/selectors today_summary).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from companion.models import AuditEvent, CareRole
from doses.models import DoseSlot, Regimen, RegimenProposal
from doses.services import records as record_services
from doses.services import summaries as summary_services
from tests.conftest import link, make_patient, make_user, start_weight_based_regimen
from tests.doses.conftest import PROPOSAL_NOW as NOW
from tests.doses.conftest import PROPOSAL_TODAY as TODAY
from tests.doses.log_helpers import freeze
from tests.doses.why_helpers import rule_ids_outside_why, why_text


@pytest.fixture
def sam(sam, world):
    """tests/doses/conftest.py's Sam (Dr Reyes, pat the parent, the clock at NOW), bob a caregiver too."""
    link(sam, world.bob, CareRole.CAREGIVER)
    return sam


def form_data(patient, **changes) -> dict:
    data = {
        "dose_basis": "weight",
        "weight_kg": "20.0",
        "mg_per_kg": "2",
        "interval_days": "1",
        "administrations_per_day": "1",
        "time_1": "08:00",
        "time_2": "",
        "starts_on": TODAY.isoformat(),
        "change_reason": "Flares every afternoon.",
    }
    data.update(changes)
    return data


def new_url(patient) -> str:
    return reverse("doses:regimen_new", args=[patient.pk])


def propose_80(sam, client) -> RegimenProposal:
    client.post(new_url(sam), form_data(sam, mg_per_kg="4", flags_seen="DOSE-PED-STEP"))
    return RegimenProposal.objects.get(patient=sam)


def test_DOSE_PED_STEP_the_parents_change_is_reviewed_then_sent_to_the_clinician(sam, client_for):
    client = client_for(sam.parent)
    assert "Send to the clinician" in client.get(new_url(sam)).content.decode()
    review = client.post(new_url(sam), form_data(sam, mg_per_kg="4"))
    body = review.content.decode()
    assert review.status_code == 200
    assert "not a step of 0.5-1 mg/kg" in body and "Check before saving" in body
    # The parent reads plain words; the rule is under "Why?" (issue 16).
    assert "DOSE-PED-STEP" in why_text(body) and rule_ids_outside_why(body) == []
    assert 'value="4"' in body and 'value="DOSE-PED-STEP"' in body and "Send to the clinician" in body
    assert not RegimenProposal.objects.exists()
    page = client.post(new_url(sam), form_data(sam, mg_per_kg="4", flags_seen="DOSE-PED-STEP"), follow=True)
    body = page.content.decode()
    assert "Waiting for Dr Reyes; keep injecting 40 mg" in body
    assert "sent to the clinician" in body
    assert RegimenProposal.objects.get(patient=sam).is_open
    assert Regimen.objects.filter(patient=sam).count() == 1
    today = client.get(reverse("doses:today", args=[sam.pk])).content.decode()
    assert "Waiting for Dr Reyes; keep injecting 40 mg" in today


def test_changed_values_after_the_review_are_reviewed_again(sam, client_for):
    client = client_for(sam.parent)
    response = client.post(new_url(sam), form_data(sam, mg_per_kg="5", flags_seen="DOSE-PED-START"))
    assert "DOSE-PED-STEP" in why_text(response.content.decode()) and not RegimenProposal.objects.exists()


def test_DOSE_PED_START_a_first_regimen_outside_1_to_2_is_shown_before_saving(world, client_for, monkeypatch):
    freeze(monkeypatch, NOW)
    pat = make_user("pat@example.org", "Pat Parent")
    kim = make_patient("Kim Child", dob=date(2020, 6, 1), weight_kg=Decimal("20.0"))
    link(kim, pat, CareRole.PARENT)
    client = client_for(pat)
    review = client.post(new_url(kim), form_data(kim, mg_per_kg="3", change_reason=""))
    assert "outside the usual starting dose of 1-2 mg/kg/day" in review.content.decode()
    assert "DOSE-PED-START" in why_text(review.content.decode())
    assert "Save anyway" in review.content.decode() and not Regimen.objects.filter(patient=kim).exists()
    client.post(new_url(kim), form_data(kim, mg_per_kg="3", change_reason="", flags_seen="DOSE-PED-START"))
    regimen = Regimen.objects.get(patient=kim)
    assert regimen.status == Regimen.Status.AWAITING_CONFIRMATION
    assert regimen.rule_flags[0]["rule_id"] == "DOSE-PED-START"
    page = client_for(world.carol).get(reverse("doses:regimen", args=[kim.pk]))  # carol is not in kim's circle
    assert page.status_code == 404


def test_DOSE_ADULT_refusals_are_form_errors_and_what_was_typed_is_kept(sam, client_for, world):
    response = client_for(sam.parent).post(new_url(sam), form_data(sam, dose_basis="fixed", weight_kg="", mg_per_kg=""))
    assert response.status_code == 200
    assert "(18 and over)" in response.content.decode() and "DOSE-ADULT" in why_text(response.content.decode())
    alice = client_for(world.alice_user)
    response = alice.post(
        new_url(world.alice),
        form_data(
            world.alice, weight_kg="70", mg_per_kg="2", change_reason="Heavier", starts_on=date.today().isoformat()
        ),
    )
    body = response.content.decode()
    assert "higher doses gave no better response" in body and 'value="70"' in body
    assert not Regimen.objects.filter(patient=world.alice).exists()


def test_the_clinician_sees_the_proposal_first_with_its_checks_and_confirms_it(sam, client_for):
    proposal = propose_80(sam, client_for(sam.parent))
    client = client_for(sam.reyes)
    page = client.get(reverse("doses:regimen", args=[sam.pk])).content.decode()
    assert "Proposed change, waiting for a clinician" in page and "DOSE-PED-STEP" in why_text(page)
    assert page.index("Proposed change, waiting") < page.index("Current regimen")
    overview = client.get(reverse("doses:patient", args=[sam.pk])).content.decode()
    assert "Confirm this change" in overview and "Decline this change" in overview
    assert overview.index("Proposed change, waiting") < overview.index('id="range-start"')
    response = client.post(
        reverse("doses:proposal_confirm", args=[sam.pk, proposal.pk]), {"back": "overview"}, follow=False
    )
    assert response.status_code == 302 and response["Location"] == reverse("doses:patient", args=[sam.pk])
    new = Regimen.objects.current().get(patient=sam)
    assert (new.version, new.daily_dose_mg, new.starts_on) == (2, Decimal("80.0"), TODAY + timedelta(days=1))
    assert new.confirmed_by == sam.reyes and new.rule_flags[0]["rule_id"] == "DOSE-PED-STEP"
    event = AuditEvent.objects.get(url_name="doses:proposal_confirm")
    assert event.action == "changed" and event.patient_ref == sam.pk and event.actor == sam.reyes
    history = client_for(sam.parent).get(reverse("doses:regimen", args=[sam.pk])).content.decode()
    assert "Confirmed by a clinician" in history and "Waiting for Dr Reyes" not in history


def test_decline_without_a_reason_is_a_400_and_with_one_the_family_sees_it(sam, client_for):
    proposal = propose_80(sam, client_for(sam.parent))
    client = client_for(sam.reyes)
    url = reverse("doses:proposal_decline", args=[sam.pk, proposal.pk])
    response = client.post(url, {"decline_reason": "  "})
    assert response.status_code == 400
    assert "Say why you decline the change" in response.content.decode()
    assert RegimenProposal.objects.get(pk=proposal.pk).is_open
    client.post(url, {"decline_reason": "Go to 3 mg/kg first, then we review."})
    assert RegimenProposal.objects.get(pk=proposal.pk).status == RegimenProposal.Status.DECLINED
    family = client_for(sam.parent)
    today = family.get(reverse("doses:today", args=[sam.pk])).content.decode()
    assert "Dr Reyes declined the change to 80.0 mg a day: Go to 3 mg/kg first, then we review." in today
    assert "Keep injecting 40 mg" in today
    page = family.get(reverse("doses:regimen", args=[sam.pk])).content.decode()
    assert "Go to 3 mg/kg first, then we review." in page and "Declined by a clinician" in page
    assert set(DoseSlot.objects.filter(patient=sam).values_list("dose_mg", flat=True)) == {Decimal("40.0")}


@pytest.mark.parametrize("who", ["parent", "caregiver", "other_clinician", "stranger"])
@pytest.mark.parametrize("action", ["proposal_confirm", "proposal_decline"])
def test_only_the_patients_clinician_can_confirm_or_decline(sam, client_for, world, who, action):
    proposal = propose_80(sam, client_for(sam.parent))
    user = {"parent": sam.parent, "caregiver": world.bob, "other_clinician": world.dave, "stranger": world.mallory}[who]
    response = client_for(user).post(reverse(f"doses:{action}", args=[sam.pk, proposal.pk]), {"decline_reason": "x"})
    assert response.status_code == 404
    assert RegimenProposal.objects.get(pk=proposal.pk).is_open


def test_confirm_and_decline_are_post_only_and_another_patients_proposal_is_not_found(sam, client_for, world):
    proposal = propose_80(sam, client_for(sam.parent))
    client = client_for(sam.reyes)
    assert client.get(reverse("doses:proposal_confirm", args=[sam.pk, proposal.pk])).status_code == 405
    link(world.alice, sam.reyes, CareRole.CLINICIAN)
    assert client.post(reverse("doses:proposal_confirm", args=[world.alice.pk, proposal.pk])).status_code == 404


def test_a_second_confirm_says_the_change_is_no_longer_waiting(sam, client_for):
    proposal = propose_80(sam, client_for(sam.parent))
    client = client_for(sam.reyes)
    url = reverse("doses:proposal_confirm", args=[sam.pk, proposal.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert Regimen.objects.filter(patient=sam).count() == 2


def test_the_family_can_withdraw_the_waiting_change(sam, client_for):
    proposal = propose_80(sam, client_for(sam.parent))
    client_for(sam.parent).post(reverse("doses:proposal_withdraw", args=[sam.pk, proposal.pk]))
    assert RegimenProposal.objects.get(pk=proposal.pk).status == RegimenProposal.Status.WITHDRAWN
    response = client_for(sam.parent).get(reverse("doses:regimen", args=[sam.pk]))
    assert "Withdrawn" in response.content.decode()


def test_the_panel_shows_the_patient_with_an_open_proposal_first(sam, client_for, world):
    other = make_patient("Aaron Flagged")
    link(other, sam.reyes, CareRole.CLINICIAN)
    record_services.record_side_effect(
        patient=other, symptom="fever", severity="severe", started_on=TODAY, by=sam.reyes
    )  # a serious symptom: 50 points
    propose_80(sam, client_for(sam.parent))
    summary_services.refresh_adherence_summaries(patient_ids=[sam.pk, other.pk])
    response = client_for(sam.reyes).get(reverse("doses:panel"))
    rows = response.context["result"].rows
    assert [r.patient.display_name for r in rows][0] == "Sam Child"
    assert rows[0].flags[0] == "proposal" and b"Regimen change to confirm" in response.content
    flagged = client_for(sam.reyes).get(reverse("doses:panel"), {"flag": "proposal"})
    assert [r.patient.display_name for r in flagged.context["result"].rows] == ["Sam Child"]


def test_DOSE_PED_MAX_the_regimen_page_shows_the_volume_rounded_down(world, client_for, monkeypatch):
    freeze(monkeypatch, NOW)
    baby = make_patient("Baby Dira", dob=date(2026, 9, 1), weight_kg=Decimal("2.9"))
    link(baby, world.carol, CareRole.CLINICIAN)
    start_weight_based_regimen(baby, world.carol, mg_per_kg="8", weight_kg="2.9", starts_on=TODAY)
    body = client_for(world.carol).get(reverse("doses:regimen", args=[baby.pk])).content.decode()
    assert "0.15 mL" in body and "0.16 mL" not in body
    calculator = client_for(world.carol).get(
        reverse("doses:calculator", args=[baby.pk]), {"weight_kg": "2.9", "mg_per_kg": "8"}
    )
    assert "0.15 mL" in calculator.content.decode() and "0.16 mL" not in calculator.content.decode()
