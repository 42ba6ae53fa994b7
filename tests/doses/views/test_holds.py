"""Hold, resume and stop on the clinician's patient page; Today and the log while held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from doses.models import HoldReason, Regimen, TreatmentHold
from doses.services import holds
from doses.services import records as record_services
from doses.services import summaries as summary_services
from tests.doses.why_helpers import rule_ids_outside_why, why_text

pytestmark = pytest.mark.django_db


def overview(patient) -> str:
    return reverse("doses:patient", args=[patient.pk])


def test_a_clinician_holds_treatment_from_the_patient_page(world, alice_on_regimen, client_for):
    client = client_for(world.carol)
    page = client.get(overview(world.alice))
    assert page.status_code == 200
    assert 'data-state="active"' in page.content.decode()
    until = (world.alice.local_today() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("doses:treatment_hold", args=[world.alice.pk]),
        {"hold-reason": "surgery", "hold-until": until, "hold-note": "Knee operation"},
    )
    assert response.status_code == 302
    hold = TreatmentHold.objects.open().get(patient=world.alice)
    assert (hold.reason, hold.until.isoformat(), hold.started_by) == ("surgery", until, world.carol)
    page = client.get(overview(world.alice)).content.decode()
    assert 'data-state="on_hold"' in page and "Knee operation" in page
    assert "Resume treatment" in page


def test_a_bad_until_keeps_what_was_typed_and_says_why(world, alice_on_regimen, client_for):
    client = client_for(world.carol)
    past = (world.alice.local_today() - timedelta(days=2)).isoformat()
    response = client.post(
        reverse("doses:treatment_hold", args=[world.alice.pk]),
        {"hold-reason": "infection", "hold-until": past, "hold-note": "Chest infection"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The hold cannot end before today." in page
    assert "Chest infection" in page and past in page
    assert not TreatmentHold.objects.exists()


def test_an_unknown_reason_is_a_400_not_a_500(world, alice_on_regimen, client_for):
    response = client_for(world.carol).post(
        reverse("doses:treatment_hold", args=[world.alice.pk]), {"hold-reason": "holiday"}
    )
    assert response.status_code == 400
    assert not TreatmentHold.objects.exists()


@pytest.mark.parametrize("who", ["bob", "alice_user"])
def test_only_a_clinician_may_hold_resume_or_stop(world, alice_on_regimen, client_for, who):
    client = client_for(getattr(world, who))
    for name, data in (
        ("doses:treatment_hold", {"hold-reason": "surgery"}),
        ("doses:treatment_resume", {}),
        ("doses:treatment_stop", {"stop-reason": "other"}),
    ):
        assert client.post(reverse(name, args=[world.alice.pk]), data).status_code == 404
    assert not TreatmentHold.objects.exists()
    assert Regimen.objects.current().filter(patient=world.alice).exists()
    assert "Hold treatment" not in client.get(overview(world.alice)).content.decode()


def test_an_automatic_hold_is_shown_first_for_review_and_resumed(world, alice_on_regimen, client_for):
    record_services.record_side_effect(
        patient=world.alice,
        symptom="allergic_reaction",
        severity="severe",
        started_on=world.alice.local_today(),
        by=world.bob,
    )
    client = client_for(world.carol)
    page = client.get(overview(world.alice)).content.decode()
    assert "Started automatically after a severe allergic reaction was logged (AE-ALLERGY): review." in page
    assert page.index('id="treatment-state"') < page.index("Doses, ")
    response = client.post(reverse("doses:treatment_resume", args=[world.alice.pk]), {"resume-note": "Not allergy"})
    assert response.status_code == 302
    hold = TreatmentHold.objects.get()
    assert hold.outcome == "resumed" and hold.reviewed_by == world.carol


def test_stop_from_the_patient_page_ends_the_regimen_and_shows_it(world, alice_on_regimen, client_for):
    client = client_for(world.carol)
    response = client.post(reverse("doses:treatment_stop", args=[world.alice.pk]), {"stop-reason": "allergy"})
    assert response.status_code == 302
    assert not Regimen.objects.current().filter(patient=world.alice).exists()
    page = client.get(overview(world.alice)).content.decode()
    assert "Treatment stopped" in page and "by Dr Carol Clinician" in page


def test_today_and_the_log_show_the_hold_instead_of_a_due_dose(world, alice_on_regimen, client_for):
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.INFECTION)
    client = client_for(world.bob)
    today = client.get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert 'id="hold-notice"' in today
    assert "Treatment is on hold: do not inject" in today and "Dr Carol Clinician" in today
    # The caregiver reads plain words; the rule is under "Why?" (issue 16).
    assert "AE-INFECTION" in why_text(today) and rule_ids_outside_why(today) == []
    assert "Log this dose" not in today
    log = client.get(reverse("doses:log", args=[world.alice.pk])).content.decode()
    assert 'id="hold-notice"' in log and 'id="log-form"' not in log


def test_the_panel_flags_a_hold_pending_review(world, alice_on_regimen, client_for):
    record_services.record_side_effect(
        patient=world.alice,
        symptom="allergic_reaction",
        severity="severe",
        started_on=world.alice.local_today(),
        by=world.bob,
    )
    summary_services.refresh_adherence_summaries(patient_ids=[world.alice.pk])
    page = client_for(world.carol).get(reverse("doses:panel")).content.decode()
    assert "Treatment held automatically: review" in page


def _baseline(client, patient, **answers):
    data = {
        "active_infection": "no",
        "ecoli_protein_allergy": "no",
        "latex_allergy": "no",
        "pregnant_or_breastfeeding": "no",
        **answers,
    }
    return client.post(reverse("doses:baseline", args=[patient.pk]), data, follow=True)


def test_AE_INFECTION_the_checklist_asks_whether_an_infection_is_severe(world, alice_on_regimen, client_for):
    client = client_for(world.alice_user)
    response = _baseline(client, world.alice, active_infection="yes")
    assert "Please say whether the infection is severe." in response.content.decode()
    assert not TreatmentHold.objects.exists()
    response = _baseline(client, world.alice, active_infection="yes", infection_is_severe="yes")
    assert "Treatment is on hold until the doctor has reviewed it" in response.content.decode()
    assert TreatmentHold.objects.open().get().rule_id == "AE-INFECTION"


def test_AE_ALLERGY_the_ecoli_allergy_answer_on_the_form_holds_treatment(world, alice_on_regimen, client_for):
    _baseline(client_for(world.alice_user), world.alice, ecoli_protein_allergy="yes")
    assert TreatmentHold.objects.open().get().rule_id == "AE-ALLERGY"
