"""`manage.py seed_demo` loads the README's demo circle, and a second run changes nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from companion.models import CareMembership, Invitation, Patient, User
from doses.management.commands.seed_demo import DEMO_PASSWORD, DEMO_SIGN_INS
from doses.models import DoseSlot, Injection, KidneyFunction, LabTest, Regimen, SupplyEvent

pytestmark = pytest.mark.django_db

MODELS = [User, Patient, CareMembership, Invitation, Regimen, DoseSlot, Injection, SupplyEvent, LabTest, KidneyFunction]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_twice_leaves_the_same_rows():
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first["Patient"] == 2 and first["Regimen"] == 2 and first["Injection"] > 0
    assert first["KidneyFunction"] == 1  # SCHED-RENAL: alice's serum creatinine, with its estimate


def test_demo_sign_ins_work(client):
    call_command("seed_demo")
    for email, _, _ in DEMO_SIGN_INS:
        response = client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.get(reverse("home")).status_code == 302  # on to their own start page
        client.post(reverse("logout"))


def test_demo_child_is_on_weight_based_dosing_awaiting_confirmation():
    call_command("seed_demo")
    mia = Patient.objects.get(display_name="Mia Okafor")
    regimen = mia.regimens.get()
    assert mia.is_child()
    assert regimen.mg_per_kg == 2 and regimen.daily_dose_mg == 40
    assert regimen.status == Regimen.Status.AWAITING_CONFIRMATION


def test_synthetic_patients_have_history():
    call_command("seed_demo", patients=3, days=20)
    synthetic = Patient.objects.filter(display_name__startswith="Synthetic")
    assert synthetic.count() == 3
    assert DoseSlot.objects.filter(patient__in=synthetic, status="taken").exists()
    call_command("seed_demo", patients=3, days=20)
    assert Patient.objects.filter(display_name__startswith="Synthetic").count() == 3


def test_demo_alice_has_a_change_waiting_for_the_clinician_and_her_confirmed_dose_stays():
    call_command("seed_demo")
    call_command("seed_demo")  # twice: still one proposal
    alice = Patient.objects.get(display_name="Alice Morgan")
    proposal = alice.regimen_proposals.get()
    assert proposal.is_open and proposal.times_of_day == ["20:00"]
    current = alice.regimens.current().get()
    assert current.is_confirmed and current.times_of_day == ["08:00"]
