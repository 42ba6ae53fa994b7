"""The log records what really happened (issue 13, part 5): the log form, Today, the exports.

alice lives in New York, doses at 08:00, 100 mg; the clock is frozen at 10:00 on 25 Nov 2026.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from doses.models import CareAlert, FridgeSyringe, Injection, SlotStatus, SupplyEvent
from doses.services import injections as injection_services
from doses.services import records as record_services
from tests.doses.log_helpers import alice_in_new_york, log_data, slot_at

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def log_url(patient) -> str:
    return reverse("doses:log", args=[patient.pk])


def today_url(patient) -> str:
    return reverse("doses:today", args=[patient.pk])


# --- AE-OVERDOSE on the form ------------------------------------------------------------------


def test_AE_OVERDOSE_a_dose_above_the_prescribed_one_offers_the_confirmation_and_keeps_what_was_typed(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    data = log_data(world.alice, now, dose_mg="150", notes="two syringes by mistake")
    response = client_for(world.alice_user).post(log_url(world.alice), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any("150 mg is more than the prescribed 100.0 mg" in e for e in form.errors["dose_mg"])
    page = response.content.decode()
    assert 'id="confirm-above" data-prescribed="100" hidden' not in page  # shown, not hidden
    assert 'I really injected <span id="confirm-above-dose">150</span> mg, more than the prescribed 100 mg.' in page
    assert "1-800-222-1222" in page
    assert form["dose_mg"].value() == "150" and form["notes"].value() == "two syringes by mistake"
    assert not Injection.objects.exists() and not CareAlert.objects.exists()


def test_AE_OVERDOSE_the_confirmation_is_in_the_page_but_hidden_until_needed(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    assert 'id="confirm-above" data-prescribed="100" hidden' in page


def test_AE_OVERDOSE_confirmed_on_the_form_it_is_recorded_the_advice_shown_and_the_care_team_alerted(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    data = log_data(world.alice, now, dose_mg="150", confirm_above_prescribed="on")
    response = client_for(world.alice_user).post(log_url(world.alice), data, follow=True)
    assert response.redirect_chain[-1][0] == today_url(world.alice)
    injection = Injection.objects.get(patient=world.alice)
    assert (injection.dose_mg, injection.above_prescribed, injection.prescribed_mg) == (
        Decimal("150"),
        True,
        Decimal("100.0"),
    )
    assert slot_at(world.alice, TODAY).status == SlotStatus.TAKEN
    page = response.content.decode()
    assert "Dose logged: 150 mg" in page
    assert "More than the prescribed dose was recorded (150 mg; prescribed 100 mg)" in page
    # Alice is in America/New_York here, so her country is the US (AE-OVERDOSE: MedlinePlus's numbers).
    assert "Call Poison Control on 1-800-222-1222 now" in page
    assert "Call 911 if Alice Example collapses, has a seizure, has trouble breathing or cannot be woken up" in page
    # Today repeats it while it matters, in case the message was missed.
    assert "More than the prescribed dose was injected" in page
    alert = CareAlert.objects.get(patient=world.alice)
    assert (alert.kind, alert.rule_id) == (CareAlert.Kind.OVERDOSE, "AE-OVERDOSE")


def test_AE_OVERDOSE_a_typing_slip_far_above_any_dose_is_refused_with_a_clear_message(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    data = log_data(world.alice, now, dose_mg="1000", confirm_above_prescribed="on")
    response = client_for(world.alice_user).post(log_url(world.alice), data)
    assert response.status_code == 200
    assert any("please check the number you typed" in e for e in response.context["form"].errors["dose_mg"])
    assert not Injection.objects.exists()


def test_AE_OVERDOSE_a_caregiver_can_record_it_too(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    data = log_data(
        world.alice, now, dose_mg="200", confirm_above_prescribed="on", injected_by="other", site_spot="arm-left-1"
    )
    assert client_for(world.bob).post(log_url(world.alice), data).status_code == 302
    assert Injection.objects.get(patient=world.alice).logged_by == world.bob


# --- AE-OVERDOSE in the history and the exports -----------------------------------------------


@pytest.fixture
def recorded_overdose(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    injection_services.record_injection(
        slot=slot_at(world.alice, TODAY),
        taken_at=now,
        site_spot="abdomen-left-1",
        by=world.alice_user,
        dose_mg=Decimal("150"),
        confirm_above_prescribed=True,
    )
    return now


def test_AE_OVERDOSE_the_csv_export_flags_the_dose(world, client_for, recorded_overdose):
    response = client_for(world.carol).get(reverse("doses:export_csv", args=[world.alice.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    flagged = [r for r in rows if r["record"] == "dose" and r["above_prescribed"] == "yes"]
    assert len(flagged) == 1
    assert (flagged[0]["dose_mg"], flagged[0]["prescribed_mg"]) == ("150.0", "100.0")
    assert {r["above_prescribed"] for r in rows if r["record"] == "dose" and r["status"] != "Taken"} <= {""}


def test_AE_OVERDOSE_the_fhir_bundle_says_it(world, client_for, recorded_overdose):
    bundle = json.loads(client_for(world.carol).get(reverse("doses:export_fhir", args=[world.alice.pk])).content)
    notes = [
        note["text"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "MedicationAdministration"
        for note in entry["resource"].get("note", [])
    ]
    assert any("Above the prescribed dose (prescribed 100.0 mg)" in n and "AE-OVERDOSE" in n for n in notes)


def test_AE_OVERDOSE_the_patient_page_and_report_show_it(world, client_for, recorded_overdose):
    page = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    # Issue 16 (point 6): the heading in words, the rule behind "Why?" (open for a clinician).
    assert "Doses above the prescribed dose</h2>" in page and '<span class="rule-id">AE-OVERDOSE</span>' in page
    assert "<strong>150 mg</strong> injected, prescribed 100 mg" in page
    report = client_for(world.carol).get(reverse("doses:report", args=[world.alice.pk])).content.decode()
    assert "above the prescribed 100 mg (AE-OVERDOSE)" in report
    # The patient reads it in words: the ID only inside the closed "Why?".
    report = client_for(world.alice_user).get(reverse("doses:report", args=[world.alice.pk])).content.decode()
    assert "above the prescribed 100 mg</strong>" in report


# --- PREP-24H on the form ---------------------------------------------------------------------


def test_PREP_24H_the_form_refuses_a_dose_with_the_expired_syringe_and_offers_a_fresh_one(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    stale = FridgeSyringe.objects.create(patient=world.alice, taken_out_at=now - timedelta(hours=25))
    client = client_for(world.alice_user)
    page = client.get(log_url(world.alice)).content.decode()
    assert "Do not use the syringe taken out of the fridge Tue 24 Nov, 09:00" in page  # said before submitting
    response = client.post(log_url(world.alice), log_data(world.alice, now))
    assert response.status_code == 200
    page = response.content.decode()
    assert "do not use it; discard it and take a new one from the fridge." in page
    assert "PREP-24H" in page  # the rule, in the "Why?"
    assert response.context["form"].errors["fresh_syringe_used"]
    assert not Injection.objects.exists()
    response = client.post(log_url(world.alice), log_data(world.alice, now, fresh_syringe_used="on"))
    assert response.status_code == 302
    stale.refresh_from_db()
    assert stale.closed_at is None  # still to be discarded, never "used"
    assert "Do not use the syringe out of the fridge" in client.get(today_url(world.alice)).content.decode()


# --- pre-injection checks: advice at once, a write-off only when confirmed ----------------------


def test_PREP_LOOK_each_check_has_its_advice_in_the_page_for_the_script_to_show(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    assert 'data-field="prep_clear" role="status" hidden>Do not use this syringe: the liquid is cloudy' in page
    assert 'id="write-off" role="region" aria-labelledby="write-off-heading" hidden' in page
    assert "js/log_checks.js" in page


def test_PREP_WARM_a_no_that_means_wait_does_not_ask_to_write_off(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    page = client_for(world.alice_user).post(log_url(world.alice), log_data(world.alice, now, prep_warm="no"))
    assert 'id="write-off" role="region" aria-labelledby="write-off-heading" hidden' in page.content.decode()


def test_the_discard_endpoint_returns_to_the_log_only_for_this_patients_dose(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    from tests.conftest import start_adult_regimen

    start_adult_regimen(world.zoe, world.dave)
    zoe_slot = world.zoe.slots.first()
    response = client_for(world.alice_user).post(
        reverse("doses:discard", args=[world.alice.pk]), {"reason": "clear", "back_to_log": "1", "slot": zoe_slot.pk}
    )
    assert response["Location"] == log_url(world.alice)


def test_a_write_off_with_a_fridge_syringe_of_another_patient_takes_only_a_syringe(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    zoes = FridgeSyringe.objects.create(patient=world.zoe, taken_out_at=now - timedelta(hours=1))
    client_for(world.alice_user).post(
        reverse("doses:discard", args=[world.alice.pk]), {"reason": "clear", "fridge_syringe": zoes.pk}
    )
    zoes.refresh_from_db()
    assert zoes.closed_at is None
    assert SupplyEvent.objects.filter(patient=world.alice, kind=SupplyEvent.Kind.DISCARD).count() == 1


# --- SUPPLY-BOX on Today ----------------------------------------------------------------------


def test_SUPPLY_BOX_today_asks_for_a_count_when_a_dose_found_none_and_never_shows_a_negative_count(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    record_services.correct_supply_count(patient=world.alice, actual_count=0, by=world.alice_user, now=now)
    client = client_for(world.alice_user)
    client.post(log_url(world.alice), log_data(world.alice, now))
    page = client.get(today_url(world.alice)).content.decode()
    assert "Count your syringes" in page
    assert '<span class="fs-4 fw-semibold">0</span> syringes left' in page
    assert "please count your syringes and correct it" in page
    # A count clears it.
    later = now + timedelta(minutes=5)
    record_services.correct_supply_count(patient=world.alice, actual_count=3, by=world.alice_user, now=later)
    assert "Count your syringes" not in client.get(today_url(world.alice)).content.decode()


def test_SUPPLY_BOX_a_ledger_below_zero_from_before_the_rule_shows_zero_and_asks_for_a_count(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=7, occurred_at=now)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.DOSE, syringes=-10, occurred_at=now)
    page = client_for(world.alice_user).get(today_url(world.alice)).content.decode()
    assert '<span class="fs-4 fw-semibold">0</span> syringes left' in page
    assert "Count your syringes" in page
    supply = client_for(world.alice_user).get(reverse("doses:supply", args=[world.alice.pk]))
    assert supply.context["summary"].on_hand == 0


def test_SUPPLY_BOX_no_count_is_asked_for_before_any_pickup_is_recorded(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client = client_for(world.alice_user)
    client.post(log_url(world.alice), log_data(world.alice, now))
    page = client.get(today_url(world.alice)).content.decode()
    assert "Count your syringes" not in page and "No pick-up recorded yet." in page


def test_SUPPLY_BOX_a_discard_at_zero_says_to_count(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    record_services.correct_supply_count(patient=world.alice, actual_count=0, by=world.alice_user, now=now)
    response = client_for(world.bob).post(
        reverse("doses:discard", args=[world.alice.pk]), {"reason": "damaged"}, follow=True
    )
    assert "count your syringes" in response.content.decode()
    assert record_services.syringes_on_hand(world.alice) == 0
