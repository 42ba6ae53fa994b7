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


# --- Issue 16, point 9: the demo circle shows the product, each thing to the right person ---


@pytest.fixture
def demo(client):
    call_command("seed_demo")

    def page_for(email: str, name: str, *args) -> str:
        client.force_login(User.objects.get(email=email))
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, (email, name)
        return response.content.decode()

    alice = Patient.objects.get(display_name="Alice Morgan")
    mia = Patient.objects.get(display_name="Mia Okafor")
    return page_for, alice, mia


def test_no_demo_dose_is_logged_by_a_clinician_only_by_someone_who_may_log(demo):
    _, alice, mia = demo
    for patient in (alice, mia):
        injections = Injection.objects.filter(patient=patient).select_related("logged_by")
        assert injections.count() >= 5
        for injection in injections:
            role = CareMembership.objects.active().get(patient=patient, user=injection.logged_by).role
            assert role in ("self", "parent", "caregiver"), (patient, injection.logged_by, role)
    loggers = set(Injection.objects.filter(patient=alice).values_list("logged_by__email", flat=True))
    assert loggers == {"alice@demo.example", "bob@demo.example"}
    assert set(Injection.objects.filter(patient=mia).values_list("logged_by__email", flat=True)) == {
        "dan@demo.example",
        "bob@demo.example",
    }


def test_MISS_TAKE_alice_sees_the_missed_dose_advice_on_today(demo):
    page_for, alice, _ = demo
    html = page_for("alice@demo.example", "doses:today", alice.pk)
    # MISS-TAKE before the cut-off, MISS-SKIP after it: one of the two, whatever the hour.
    assert "as soon as you remember" in html or "skip the missed one" in html


def test_the_before_you_start_questions_are_answered_for_patients_already_injecting(demo):
    page_for, alice, mia = demo
    assert "please answer the" not in page_for("alice@demo.example", "doses:labs", alice.pk)
    assert "please answer the" not in page_for("dan@demo.example", "doses:labs", mia.pk)
    for patient in (alice, mia):
        first_dose = Injection.objects.filter(patient=patient).order_by("taken_at").first()
        assert patient.baseline.completed_at < first_dose.taken_at
    assert mia.baseline.pneumococcal_vaccinated and mia.baseline.hib_vaccinated  # PRE-CHILD-VACCINE


def test_carols_panel_lists_alices_proposal_waiting_for_her(demo):
    page_for, alice, _ = demo
    html = page_for("carol@demo.example", "doses:panel")
    row = html[html.index("Alice Morgan") :][:3000]
    assert "Regimen change to confirm" in row


def test_SUPPLY_BOX_mia_is_below_the_refill_threshold_and_dan_sees_two_syringes_left(demo, settings):
    from doses.selectors.today import today_summary

    page_for, _, mia = demo
    supply = today_summary(mia).supply
    assert supply.syringes == 2 and supply.days < settings.REFILL_REMINDER_DAYS
    assert "2</span> syringes left" in page_for("dan@demo.example", "doses:today", mia.pk)


def test_AE_LABS_alices_one_month_neutrophil_count_is_due_within_the_week_on_today(demo):
    from doses.selectors.today import today_summary

    page_for, alice, _ = demo
    labs_due = today_summary(alice).attention.labs_due
    assert labs_due and not labs_due[0].done_on
    assert LabTest.objects.filter(patient=alice, done_on__isnull=False).count() == 1  # the count before starting
    html = page_for("alice@demo.example", "doses:today", alice.pk)
    attention = html[html.index("Needs attention") :]
    assert labs_due[0].due_on.strftime("%-d %b") in attention or "neutrophil" in attention.lower()


def test_the_demo_circle_has_a_care_team_number_to_tap_on_a_serious_symptom(db, client):
    """AE-SERIOUS: the serious-symptom page of the demo leads with the clinic's number."""
    from companion.models import CareTeamCard, User
    from doses.management.commands.seed_demo import seed_demo_circle

    seed_demo_circle()
    seed_demo_circle()  # idempotent: still one card each
    alice = Patient.objects.get(display_name="Alice Morgan")
    assert CareTeamCard.objects.filter(patient__display_name__in=["Alice Morgan", "Mia Okafor"]).count() == 2
    client.force_login(User.objects.get(email="alice@demo.example"))
    response = client.post(
        reverse("doses:side_effects", args=[alice.pk]),
        {"symptom": "fever", "severity": "mild", "started_on": alice.local_today().isoformat()},
        follow=True,
    )
    page = response.content.decode()
    assert "Call your doctor now" in page
    assert 'href="tel:+442079460018"' in page and "No care-team number" not in page
