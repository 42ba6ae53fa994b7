"""E-mails per role (issue 16, point 7): each care message is worded for its reader, the patient
themself ("you logged"), family ("for Alice") or the clinician ("for your patient Alice"); the
greeting is the reader's name, never "Dr," alone; a reminder sent after its dose time says the
dose is overdue; every time carries its zone; no rule IDs in what patients and family read.

alice (London) injects daily at 08:00; Tuesday 10 March 2026 (GMT)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from companion.models import CareRole
from doses.models import CareAlert, SideEffect, SupplyEvent
from reminders.messages import greeting_name, name_for_others
from reminders.models import ACCOUNT_KINDS, Delivery, Kind
from reminders.transports import EmailTransport
from tests.conftest import link, make_user

from .conftest import SLOT_AT

RULE_ID = re.compile(r"\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b")


def rendered(kind, world, recipient, subject_key, *, sent_at=SLOT_AT + timedelta(seconds=30)):
    delivery = Delivery.objects.create(
        kind=kind, patient=world.alice, recipient=recipient, subject_key=subject_key, claimed_at=sent_at
    )
    message = EmailTransport().render(delivery)
    return message.subject, message.body, message.alternatives[0][0]


def texts(message) -> list[str]:
    subject, body, html = message
    return [subject, re.sub(r"https?://\S+", "", body), re.sub(r"https?://[^\"\s]+", "", html)]


def alert_logged_by(world, user) -> CareAlert:
    symptom = SideEffect.objects.create(
        patient=world.alice, symptom="fever", started_on=SLOT_AT.date(), is_serious=True, logged_by=user
    )
    return CareAlert.objects.create(
        patient=world.alice, kind=CareAlert.Kind.SERIOUS_SYMPTOM, rule_id="AE-SERIOUS", summary="x", side_effect=symptom
    )


@pytest.fixture
def serious_alert(world):
    """AE-SERIOUS: a serious symptom alice logged herself."""
    return alert_logged_by(world, world.alice_user)


@pytest.fixture
def parent(world):
    user = make_user("pat@example.org", "Pat Parent")
    link(world.alice, user, CareRole.PARENT)
    return user


# --- the greeting ---------------------------------------------------------------------------------


def test_a_clinician_is_greeted_by_her_title_and_name_never_dr_alone(world, serious_alert):
    _, body, html = rendered(Kind.CARE_ALERT, world, world.carol, f"alert:{serious_alert.pk}")
    assert body.startswith("Hello Dr Carol Clinician,")
    assert "<p>Hello Dr Carol Clinician,</p>" in html


def test_a_name_that_is_only_a_title_greets_with_hello_and_no_dangling_title(world, serious_alert):
    world.carol.full_name = "Dr"
    world.carol.save()
    _, body, html = rendered(Kind.CARE_ALERT, world, world.carol, f"alert:{serious_alert.pk}")
    assert body.startswith("Hello,\n")
    assert "Hello Dr," not in body and "Hello Dr," not in html


@pytest.mark.parametrize(
    "name,greeting",
    [
        ("Bob Caregiver", "Bob"),
        ("Dr Carol Reyes", "Dr Carol Reyes"),
        ("Dr. Carol Reyes", "Dr Carol Reyes"),
        ("Dr", ""),
        ("", ""),
        ("Prof Ann Lee https://evil.example", "Prof Ann Lee"),
    ],
)
def test_the_greeting_is_the_first_name_or_the_title_and_name_never_a_title_alone(name, greeting):
    assert greeting_name(name) == greeting


@pytest.mark.parametrize(
    "name,said", [("Dr Carol Reyes", "Dr Reyes"), ("Dr", "Someone"), ("Bob Caregiver", "Bob"), ("", "Someone")]
)
def test_an_inviter_is_named_by_first_name_or_title_and_surname_never_dr_alone(name, said):
    assert name_for_others(name) == said


# --- AE-SERIOUS care alert, per reader -------------------------------------------------------------


def test_AE_SERIOUS_the_clinician_reads_for_your_patient_alice_and_is_not_told_to_call_the_doctor(world, serious_alert):
    subject, body, html = rendered(Kind.CARE_ALERT, world, world.carol, f"alert:{serious_alert.pk}")
    assert subject == "Please check on your patient Alice now"
    for text in (body, html):
        assert "for your patient Alice" in text
        assert "call the doctor" not in text and "call your doctor" not in text


def test_AE_SERIOUS_the_patient_reads_you_logged_not_for_alice(world, serious_alert):
    subject, body, html = rendered(Kind.CARE_ALERT, world, world.alice_user, f"alert:{serious_alert.pk}")
    assert body.startswith("Hello Alice,")
    for text in (subject, body, html):
        assert "for Alice" not in text and "Alice's" not in text
    assert "You logged something that needs a doctor's attention now." in body
    assert "In an emergency call 999." in body  # Alice lives in London (AE-OVERDOSE numbers by country)
    assert "because you are in Alice's care circle" not in body


def test_AE_SERIOUS_a_symptom_bob_logged_reads_to_alice_as_logged_in_your_record_not_you_logged(world):
    alert = alert_logged_by(world, world.bob)
    _, body, _ = rendered(Kind.CARE_ALERT, world, world.alice_user, f"alert:{alert.pk}")
    assert "Something was logged in your record that needs a doctor's attention now." in body
    assert "You logged" not in body and "for Alice" not in body


@pytest.mark.parametrize("who", ["caregiver", "parent"])
def test_AE_SERIOUS_family_reads_for_alice(world, serious_alert, parent, who):
    recipient = world.bob if who == "caregiver" else parent
    subject, body, html = rendered(Kind.CARE_ALERT, world, recipient, f"alert:{serious_alert.pk}")
    assert subject == "Please check on Alice now"
    for text in (body, html):
        assert "Something was logged for Alice that needs a doctor's attention now." in text
        assert "for your patient" not in text and "You logged" not in text
    assert "In an emergency call 999." in body  # Alice lives in London (AE-OVERDOSE numbers by country)


# --- SCHED-DAILY: on time or overdue, with the zone (SCHED-TZ) -----------------------------------


def test_SCHED_DAILY_a_reminder_sent_58_minutes_late_says_the_dose_was_due_and_is_overdue_with_the_zone(world, slot):
    subject, body, html = rendered(
        Kind.INJECTION_REMINDER, world, world.alice_user, f"slot:{slot.pk}", sent_at=SLOT_AT + timedelta(minutes=58)
    )
    assert subject == "Your injection is overdue"
    for text in (body, html):
        assert "Your injection was due at 08:00 (Europe/London) and is overdue." in text
        assert "It is time for" not in text


def test_SCHED_DAILY_a_late_reminder_to_a_caregiver_names_alice(world, slot):
    subject, body, _ = rendered(
        Kind.INJECTION_REMINDER, world, world.bob, f"slot:{slot.pk}", sent_at=SLOT_AT + timedelta(minutes=58)
    )
    assert subject == "Alice's injection is overdue"
    assert "Alice's injection was due at 08:00 (Europe/London) and is overdue." in body


def test_SCHED_DAILY_an_on_time_reminder_gives_the_time_with_the_zone(world, slot):
    subject, body, html = rendered(Kind.INJECTION_REMINDER, world, world.alice_user, f"slot:{slot.pk}")
    assert subject == "Time for your injection"
    for text in (body, html):
        assert "It is time for your injection (08:00, Europe/London)." in text
        assert "overdue" not in text


def test_the_escalation_and_the_missed_note_give_times_with_the_zone(world, slot):
    _, escalation, _ = rendered(
        Kind.ESCALATION, world, world.bob, f"slot:{slot.pk}", sent_at=SLOT_AT + timedelta(minutes=61)
    )
    assert "Alice's injection was due at 08:00 (Europe/London) and is overdue" in escalation
    _, missed, _ = rendered(
        Kind.MISSED_NOTE, world, world.bob, f"slot:{slot.pk}", sent_at=SLOT_AT + timedelta(hours=13)
    )
    assert "Alice's dose due Tue 10 Mar, 08:00 (Europe/London)" in missed


# --- the refill message (SUPPLY-BOX) ----------------------------------------------------------------


def test_SUPPLY_BOX_the_refill_message_gives_the_day_of_the_last_syringe(world, daily, parent):
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=2, boxes=1)
    # At 08:00:30 today's dose is still to give: today's and Wednesday 11 March's are covered.
    _, body, html = rendered(Kind.REFILL, world, world.alice_user, "refill:1")
    assert "Your last syringe is for the dose on Wednesday 11 March." in body
    assert "Your last syringe is for the dose on Wednesday 11 March." in html
    _, to_parent, _ = rendered(Kind.REFILL, world, parent, "refill:1")
    assert "Alice's last syringe is for the dose on Wednesday 11 March." in to_parent


# --- what patients and family read carries no rule ID ------------------------------------------------


@pytest.mark.parametrize("kind", [k.value for k in Kind if k not in ACCOUNT_KINDS])
@pytest.mark.parametrize("who", ["patient", "caregiver"])
def test_no_rule_id_in_any_message_to_the_patient_or_family(world, slot, serious_alert, kind, who):
    recipient = world.alice_user if who == "patient" else world.bob
    key = f"alert:{serious_alert.pk}" if kind == Kind.CARE_ALERT else f"slot:{slot.pk}"
    for text in texts(rendered(kind, world, recipient, key)):
        assert not RULE_ID.findall(text), text
        assert "Hello Dr," not in text
