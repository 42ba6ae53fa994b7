"""Issue 16, point 3: the patient's and the family's pages read as plain words; the rule IDs
are in the "Why?" disclosure (templates/_why.html), closed for them and open for a clinician.

Every page a patient, parent or caregiver sees (Today, the regimen, the regimen form, the
calculator, the records pages, the symptom pages, the blood tests, a hold) is rendered with
records that bring out its rule-citing sentences, and read as they read it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from companion.models import CareRole, Indication
from doses.models import HoldReason, LabTest
from doses.services import holds
from doses.services import records as record_services
from tests.conftest import link, make_patient, make_user, start_weight_based_regimen
from tests.doses.why_helpers import RULE_ID_PATTERN, rule_ids_outside_why, visible_text_outside_why, why_text

pytestmark = pytest.mark.django_db

OPEN = '<details class="why" open>'
CLOSED = '<details class="why">'
# The emergency-number card (records/_emergency_numbers.html) is helper "country"'s to reword.
EMERGENCY_CARD_HEADING = "Emergency numbers (AE-OVERDOSE, AE-REPORT)"


def read(client_for, user, name, patient, *args, **query):
    response = client_for(user).get(reverse(f"doses:{name}", args=[patient.pk, *args]), query or None)
    assert response.status_code == 200, name
    return response.content.decode().replace(EMERGENCY_CARD_HEADING, "Emergency numbers")


@pytest.fixture
def alices_records(world, alice_on_regimen):
    """Alice's record with something on every page: supply, a syringe out of the fridge too long,
    a TNF blocker, a live vaccine, a site reaction over two weeks, before-you-start answers, a low
    neutrophil count."""
    now = timezone.now()
    today = world.alice.local_today()
    record_services.record_pickup(patient=world.alice, boxes=1, on=today, by=world.bob)
    record_services.take_syringe_out_of_fridge(patient=world.alice, by=world.bob, taken_out_at=now - timedelta(hours=25))
    record_services.record_medicine(patient=world.alice, name="Humira", by=world.alice_user)
    record_services.record_vaccination(
        patient=world.alice, name="Yellow fever", given_on=today, by=world.alice_user, is_live_answer="yes"
    )
    effect = record_services.record_side_effect(
        patient=world.alice, symptom="site_redness", severity="mild", started_on=today - timedelta(days=15), by=world.bob
    )
    record_services.save_baseline_checklist(
        patient=world.alice,
        by=world.alice_user,
        active_infection=False,
        ecoli_protein_allergy=False,
        latex_allergy=True,
        pregnant_or_breastfeeding=True,
    )
    lab = LabTest.objects.filter(patient=world.alice).order_by("due_on").first()
    record_services.record_lab_result(lab_test=lab, done_on=today, neutrophils_10e9_per_l=Decimal("1.1"), by=world.bob)
    return getattr(effect, "side_effect", effect)


PAGES = [
    ("today", (), {}),
    ("regimen", (), {}),
    ("regimen_new", (), {}),
    ("calculator", (), {"weight_kg": "70", "mg_per_kg": "9", "administrations_per_day": "2"}),
    ("side_effects", (), {}),
    ("supply", (), {}),
    ("fridge", (), {}),
    ("medicines", (), {}),
    ("baseline", (), {}),
    ("labs", (), {}),
]


@pytest.mark.parametrize(("name", "args", "query"), PAGES, ids=[p[0] for p in PAGES])
def test_alice_and_her_caregiver_read_no_rule_id_outside_why_and_the_clinician_sees_it_open(
    world, alices_records, client_for, name, args, query
):
    for reader in (world.alice_user, world.bob):
        if name == "regimen_new" and reader == world.bob:
            continue  # a caregiver cannot enter a regimen
        page = read(client_for, reader, name, world.alice, *args, **query)
        assert rule_ids_outside_why(page) == [], (name, reader)
        assert RULE_ID_PATTERN.search(why_text(page)), f"{name}: the rules are still on the page, under Why?"
        assert CLOSED in page and OPEN not in page
    page = read(client_for, world.carol, name, world.alice, *args, **query)
    assert OPEN in page and RULE_ID_PATTERN.search(why_text(page)), name


def test_AE_ISR_DURATION_the_symptom_page_says_it_in_words_and_cites_the_rules_under_why(
    world, alices_records, client_for
):
    page = read(client_for, world.alice_user, "side_effect_detail", world.alice, alices_records.pk)
    assert "it is flagged to your care team" in visible_text_outside_why(page)
    assert rule_ids_outside_why(page) == []
    assert {"AE-ISR-DURATION", "AE-COMMON"} <= set(why_text(page).split())


def test_IX_TNF_the_medicine_advice_reads_plainly_and_names_its_rule_under_why(world, alices_records, client_for):
    page = read(client_for, world.alice_user, "medicines", world.alice)
    assert "Humira" in page and "IX-TNF" in why_text(page) and "IX-LIVE-VACCINE" in why_text(page)
    assert rule_ids_outside_why(page) == []


def test_PREP_24H_the_fridge_page_gives_the_rule_and_its_source_under_why(world, alices_records, client_for):
    page = read(client_for, world.bob, "fridge", world.alice)
    assert "Do not use this syringe: it has been out of the fridge for more than 24 hours." in page
    assert "PREP-24H" in why_text(page) and "source: MedlinePlus" in why_text(page)


def test_AE_INFECTION_a_hold_on_today_reads_plainly_for_the_caregiver(world, alice_on_regimen, client_for):
    holds.hold_treatment(patient=world.alice, by=world.carol, reason=HoldReason.INFECTION)
    page = read(client_for, world.bob, "today", world.alice)
    assert "Treatment is on hold: do not inject" in page
    assert rule_ids_outside_why(page) == [] and "AE-INFECTION" in why_text(page)
    assert "AE-INFECTION" in why_text(read(client_for, world.carol, "today", world.alice))


@pytest.fixture
def sam(world):
    """sam, a child on a weight-based regimen; pat is the parent; carol the clinician."""
    pat = make_user("pat@example.org", "Pat Parent")
    sam = make_patient("Sam Child", zone="America/New_York", dob=date(2021, 3, 1), weight_kg=Decimal("18.0"))
    sam.indication = Indication.NOMID_CAPS
    sam.save()
    link(sam, pat, CareRole.PARENT)
    link(sam, world.carol, CareRole.CLINICIAN)
    start_weight_based_regimen(sam, world.carol, starts_on=sam.local_today(), mg_per_kg="2", weight_kg="18.0")
    sam.parent = pat
    return sam


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("regimen", {}),
        ("regimen_new", {}),
        ("calculator", {"weight_kg": "15", "mg_per_kg": "9", "administrations_per_day": "2"}),
        ("today", {}),
        ("labs", {}),
    ],
)
def test_DOSE_PED_RANGE_a_parent_reads_the_childs_pages_in_plain_words(world, sam, client_for, name, query):
    page = read(client_for, sam.parent, name, sam, **query)
    assert rule_ids_outside_why(page) == [], name
    assert RULE_ID_PATTERN.search(why_text(page)), name


def test_DOSE_PED_MAX_the_calculator_gives_each_rule_once_and_the_warning_in_words(world, sam, client_for):
    page = read(client_for, sam.parent, "calculator", sam, weight_kg="15", mg_per_kg="9", administrations_per_day="2")
    text = visible_text_outside_why(page)
    assert "9 mg/kg/day is above the labelled maximum of 8 mg/kg/day: a clinician override" in text
    assert "DOSE-PED-MAX" in why_text(page)
    # Seven rows, no rule text after any of them: each rule's summary is on the page only in a "Why?".
    summary = "One syringe holds 100 mg in 0.67 mL; smaller doses discard the rest first."
    assert summary not in text and summary in why_text(page)
