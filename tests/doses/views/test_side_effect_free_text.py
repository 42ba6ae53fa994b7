"""A symptom typed in the family's own words, end to end (issue 15 point 4): the side-effect
form, the view, record_side_effect, triage reading the text by meaning, the care alert and its
e-mails once the write commits, and the page that says what to do (AE-SERIOUS, AE-INFECTION)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doses.models import CareAlert, SideEffect
from reminders.models import Delivery

pytestmark = pytest.mark.django_db


def log(world, client, *, symptom="other", description="", severity="mild"):
    return client.post(
        reverse("doses:side_effects", args=[world.alice.pk]),
        {
            "symptom": symptom,
            "description": description,
            "severity": severity,
            "started_on": world.alice.local_today().isoformat(),
        },
        follow=True,
    )


@pytest.mark.parametrize(
    "description, read_as",
    [
        ("shortness of breath", "shortness of breath"),
        ("my throat is sore", "a sore throat"),
        ("pneumonia", "pneumonia or a chest infection"),
        ("I think I have influenza", "flu or flu-like symptoms"),
        ("temp 39.2 tonight", "a fever"),
        ("shivvering and a pnuemonia cough", "chills or shivering"),
        ("fever of 102", "a fever"),
    ],
)
def test_AE_SERIOUS_a_serious_symptom_in_own_words_says_call_your_doctor_now_and_alerts_the_care_team(
    world, alice_on_regimen, client_for, django_capture_on_commit_callbacks, description, read_as
):
    with django_capture_on_commit_callbacks(execute=True):
        response = log(world, client_for(world.bob), description=description)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Call your doctor now" in html and 'role="alert"' in html
    assert "Your care team has been alerted" in html
    assert "may pause anakinra" in html  # AE-INFECTION
    assert "What we read in the description" in html and read_as in html
    side_effect = SideEffect.objects.get(patient=world.alice)
    assert side_effect.is_serious
    alert = CareAlert.objects.get(side_effect=side_effect)
    assert alert.kind == CareAlert.Kind.SERIOUS_SYMPTOM and alert.rule_id == "AE-SERIOUS"
    assert read_as in alert.summary
    # As for a symptom chosen from the list: the care team's e-mails are queued on commit, the
    # clinician's among them.
    recipients = set(Delivery.objects.filter(subject_key=f"alert:{alert.pk}").values_list("recipient", flat=True))
    assert world.carol.pk in recipients


def test_AE_SERIOUS_the_same_symptom_typed_or_chosen_alerts_the_same_way(world, alice_on_regimen, client_for):
    client = client_for(world.alice_user)
    log(world, client, symptom="infection")
    log(world, client, description="sore throat")
    chosen, typed = CareAlert.objects.filter(patient=world.alice).order_by("pk")
    assert (typed.kind, typed.rule_id) == (chosen.kind, chosen.rule_id)
    assert SideEffect.objects.filter(patient=world.alice, is_serious=True).count() == 2


def test_AE_SERIOUS_a_common_symptom_with_a_serious_description_is_raised_and_the_alert_says_why(
    world, alice_on_regimen, client_for
):
    html = log(world, client_for(world.bob), symptom="headache", description="and her temp is 38.5C").content.decode()
    assert "Call your doctor now" in html
    assert "38.5 °C" in html and "a fever (38 °C / 100.4 °F or more)" in html
    alert = CareAlert.objects.get(patient=world.alice)
    assert alert.summary.startswith("Serious symptom (mild): Headache; described: a fever")


@pytest.mark.parametrize("description", ["no fever", "temp 37.2, a bit tired", "sore arm where I injected"])
def test_AE_COMMON_a_negated_or_ordinary_description_raises_no_alert(world, alice_on_regimen, client_for, description):
    html = log(world, client_for(world.bob), description=description).content.decode()
    assert "Tell your doctor if it gets worse or does not go away" in html
    assert "Call your doctor now" not in html
    assert not CareAlert.objects.filter(patient=world.alice).exists()
    assert not SideEffect.objects.get(patient=world.alice).is_serious


def test_AE_SERIOUS_no_fever_in_the_text_does_not_lower_a_fever_chosen_from_the_list(
    world, alice_on_regimen, client_for
):
    html = log(world, client_for(world.bob), symptom="fever", description="no fever now").content.decode()
    assert "Call your doctor now" in html
    assert "not counted, the description says it is not there" in html
    assert "A symptom chosen from the list always counts" in html
    assert CareAlert.objects.filter(patient=world.alice, rule_id="AE-SERIOUS").exists()


def test_AE_ALLERGY_a_swelling_throat_in_own_words_is_an_emergency_and_holds_treatment(
    world, alice_on_regimen, client_for
):
    html = log(world, client_for(world.alice_user), description="my throat feels like it is closing").content.decode()
    assert "Emergency: call 999 now" in html  # Alice is in Europe/London
    assert "do not inject any more anakinra" in html
    assert world.alice.holds.filter(ended_at__isnull=True).exists()
