"""The records pages (doses/views/records.py): side effects with triage, supply, fridge,
medicines and vaccines, the before-you-start checklist and blood tests.

What a person in the care circle sees and can do, and what everybody else cannot.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from companion.models import CareRole
from doses.models import (
    BaselineChecklist,
    CareAlert,
    FridgeSyringe,
    Injection,
    LabTest,
    OtherMedicine,
    SideEffect,
    SupplyEvent,
    Vaccination,
)
from doses.services import injections as injection_services
from doses.services import records as record_services
from tests.conftest import link, make_user
from tests.doses.why_helpers import why_text

pytestmark = pytest.mark.django_db

READERS = {"patient", "parent", "caregiver", "clinician"}
WRITERS = {"patient", "parent", "caregiver"}
EVERYONE = [
    "anonymous",
    "patient",
    "parent",
    "caregiver",
    "clinician",
    "other_clinician",
    "revoked_caregiver",
    "stranger",
]


@pytest.fixture
def people(world):
    """The shared world plus a parent of alice (a role the shared world does not have)."""
    pam = make_user("pam@example.org", "Pam Parent")
    link(world.alice, pam, CareRole.PARENT)
    return {**world.users(), "parent": pam}


@pytest.fixture
def records(world, alice_on_regimen):
    """One of each record, so every page and action has something to act on."""
    alice, by = world.alice, world.alice_user
    side_effect = record_services.record_side_effect(
        patient=alice, symptom="headache", severity="mild", started_on=alice.local_today(), by=by
    ).side_effect
    record_services.record_pickup(patient=alice, boxes=1, on=alice.local_today(), by=by)
    fridge = record_services.take_syringe_out_of_fridge(patient=alice, by=by)
    medicine = record_services.record_medicine(patient=alice, name="ibuprofen", by=by).medicine
    return {"side_effect": side_effect, "fridge": fridge, "medicine": medicine}


def url(name, world, *extra):
    return reverse(f"doses:{name}", args=[world.alice.pk, *extra])


# --- permissions: every page and every POST, for every person ---------------------------------

PAGES = ["side_effects", "supply", "fridge", "medicines", "vaccinations", "baseline", "labs"]


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("page", PAGES + ["side_effect_detail"])
def test_pages_are_seen_by_the_circle_only(world, people, records, client_for, who, page):
    extra = [records["side_effect"].pk] if page == "side_effect_detail" else []
    response = client_for(people[who]).get(url(page, world, *extra))
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    elif who in READERS:
        assert response.status_code == 200
        assert world.alice.display_name in response.content.decode()
    else:
        assert response.status_code == 404


def _posts(world, records):
    today = world.alice.local_today().isoformat()
    lab = LabTest.objects.filter(patient=world.alice).first()
    return {
        "side_effects": ([], {"symptom": "nausea", "severity": "mild", "started_on": today}),
        "side_effect_resolve": ([records["side_effect"].pk], {}),
        "supply": ([], {"boxes": "2", "on": today, "batch_number": "K1234A", "expires_on": "2099-12-31"}),
        "supply_correct": ([], {"actual_count": "3"}),
        "fridge": ([], {"taken_out_at": ""}),
        "fridge_close": ([records["fridge"].pk], {"outcome": "discarded"}),
        "medicines": ([], {"name": "Humira"}),
        "medicine_stop": ([records["medicine"].pk], {}),
        "vaccinations": ([], {"name": "MMR", "given_on": today, "is_live": "unsure"}),
        "baseline": (
            [],
            {
                "active_infection": "no",
                "ecoli_protein_allergy": "no",
                "latex_allergy": "no",
                "pregnant_or_breastfeeding": "no",
            },
        ),
        "labs": ([], {"lab_test": lab.pk, "done_on": today, "neutrophils_10e9_per_l": "3.4"}),
    }


def _snapshot(world):
    """Everything a POST could change, so a refused one can be shown to change nothing."""
    alice = world.alice
    return (
        list(SideEffect.objects.filter(patient=alice).values_list("id", "resolved_at")),
        SupplyEvent.objects.filter(patient=alice).count(),
        list(FridgeSyringe.objects.filter(patient=alice).values_list("id", "closed_at")),
        list(OtherMedicine.objects.filter(patient=alice).values_list("id", "stopped_on")),
        Vaccination.objects.filter(patient=alice).count(),
        BaselineChecklist.objects.filter(patient=alice).count(),
        list(LabTest.objects.filter(patient=alice).values_list("id", "done_on")),
        CareAlert.objects.filter(patient=alice).count(),
    )


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize(
    "action",
    [
        "side_effects",
        "side_effect_resolve",
        "supply",
        "supply_correct",
        "fridge",
        "fridge_close",
        "medicines",
        "medicine_stop",
        "vaccinations",
        "baseline",
        "labs",
    ],
)
def test_only_patient_parent_and_caregiver_can_write(world, people, records, client_for, who, action):
    extra, data = _posts(world, records)[action]
    before = _snapshot(world)
    response = client_for(people[who]).post(url(action, world, *extra), data)
    if who in WRITERS:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert _snapshot(world) != before
    else:
        assert response.status_code in (302, 404)
        if who == "anonymous":
            assert response["Location"].startswith(reverse("login"))
        else:
            assert response.status_code == 404
        assert _snapshot(world) == before


def test_clinician_reads_without_forms(world, records, client_for):
    html = client_for(world.carol).get(url("side_effects", world)).content.decode()
    assert "Log a symptom" not in html and "It has gone" not in html
    html = client_for(world.carol).get(url("supply", world)).content.decode()
    assert "Record a pick-up" not in html


def test_records_of_another_patient_are_404(world, records, client_for):
    zoe_effect = record_services.record_side_effect(
        patient=world.zoe, symptom="headache", severity="mild", started_on=world.zoe.local_today(), by=world.dave
    ).side_effect
    client = client_for(world.alice_user)
    assert client.get(url("side_effect_detail", world, zoe_effect.pk)).status_code == 404
    assert client.post(url("side_effect_resolve", world, zoe_effect.pk)).status_code == 404
    zoe_effect.refresh_from_db()
    assert zoe_effect.resolved_at is None


# --- side effects ---------------------------------------------------------------------------


def test_AE_SERIOUS_serious_symptom_page_shows_what_to_do_and_alerts_the_team(world, alice_on_regimen, client_for):
    client = client_for(world.bob)
    response = client.post(
        url("side_effects", world),
        {"symptom": "fever", "severity": "moderate", "started_on": world.alice.local_today().isoformat()},
        follow=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Call your doctor now" in html
    assert 'role="alert"' in html
    assert "Your care team has been alerted" in html
    # Alice lives in Europe/London: her country's numbers, never the US ones (AE-OVERDOSE, AE-REPORT).
    assert 'href="tel:999"' in html and 'href="tel:111"' in html and "https://yellowcard.mhra.gov.uk" in html
    assert "911" not in html and "1-800" not in html
    side_effect = SideEffect.objects.get(patient=world.alice, symptom="fever")
    assert side_effect.is_serious and side_effect.logged_by == world.bob
    alert = CareAlert.objects.get(side_effect=side_effect)
    assert alert.kind == CareAlert.Kind.SERIOUS_SYMPTOM and alert.rule_id == "AE-SERIOUS"


def test_AE_OVERDOSE_breathing_trouble_in_free_text_shows_the_emergency_number_first(world, client_for):
    response = client_for(world.alice_user).post(
        url("side_effects", world),
        {
            "symptom": "other",
            "description": "She can't breathe after the injection",
            "severity": "severe",
            "started_on": world.alice.local_today().isoformat(),
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Emergency: call 999 now" in html  # Alice is in Europe/London
    assert '<a class="btn btn-danger btn-lg w-100 mb-2" href="tel:999">Call 999 now</a>' in html
    assert CareAlert.objects.filter(patient=world.alice, kind=CareAlert.Kind.SERIOUS_SYMPTOM).exists()


def test_serious_symptom_without_a_clinician_in_the_circle_says_so(world, client_for):
    world.alice.memberships.filter(role=CareRole.CLINICIAN).update(revoked_at=timezone.now())
    response = client_for(world.alice_user).post(
        url("side_effects", world),
        {"symptom": "rash", "severity": "mild", "started_on": world.alice.local_today().isoformat()},
        follow=True,
    )
    assert "no clinician is in this care circle yet" in response.content.decode()


def test_AE_COMMON_mild_symptom_says_tell_the_doctor_if_it_persists_and_raises_no_alert(world, client_for):
    response = client_for(world.alice_user).post(
        url("side_effects", world),
        {"symptom": "headache", "severity": "mild", "started_on": world.alice.local_today().isoformat()},
        follow=True,
    )
    html = response.content.decode()
    assert "Tell your doctor if it gets worse or does not go away" in html
    assert "care team has been alerted" not in html
    assert not CareAlert.objects.filter(patient=world.alice).exists()


def test_site_reaction_is_linked_to_a_recent_injection(world, alice_on_regimen, client_for):
    slot = world.alice.slots.order_by("scheduled_at").first()
    injection = injection_services.record_injection(
        slot=slot, taken_at=slot.scheduled_at, site_spot="abdomen-left-1", by=world.alice_user
    )
    client = client_for(world.alice_user)
    # The recent injection is offered by its spot (in words once the injection log names spots).
    label = getattr(injection, "site_label", injection.site_spot)
    assert label in client.get(url("side_effects", world)).content.decode()
    client.post(
        url("side_effects", world),
        {
            "symptom": "hot_red_swollen_skin",
            "severity": "mild",
            "started_on": world.alice.local_today().isoformat(),
            "injection": injection.pk,
        },
    )
    side_effect = SideEffect.objects.get(patient=world.alice)
    assert side_effect.injection == injection and side_effect.is_site_reaction and side_effect.is_serious


def _assert_refused(response, message, typed=()):
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html, html[:3000]
    for value in typed:
        assert value in html


@pytest.mark.parametrize(
    "data,message,typed",
    [
        (
            {"symptom": "headache", "severity": "mild", "started_on": "2999-01-01"},
            "The start date cannot be in the future.",
            ["2999-01-01"],
        ),
        (
            {"symptom": "broken_leg", "severity": "mild", "started_on": "2026-01-01"},
            "Choose a symptom from the list",
            ["2026-01-01"],
        ),
        (
            {"symptom": "other", "description": "x" * 5000, "severity": "mild", "started_on": "2026-01-01"},
            "Please keep the description to 500 characters (it has 5000).",
            ["x" * 5000],
        ),
        (
            {"symptom": "other", "description": "", "severity": "mild", "started_on": "2026-01-01"},
            "Describe the symptom in a few words.",
            [],
        ),
        (
            {"symptom": "headache", "severity": "mild", "started_on": "1901-01-01"},
            "cannot be before the patient was born",
            ["1901-01-01"],
        ),
        (
            {"symptom": "headache", "severity": "apocalyptic", "started_on": "2026-01-01"},
            "Choose mild, moderate or severe.",
            [],
        ),
    ],
)
def test_bad_side_effect_input_is_refused_keeps_input_and_saves_nothing(world, client_for, data, message, typed):
    response = client_for(world.alice_user).post(url("side_effects", world), data)
    _assert_refused(response, message, typed)
    assert not SideEffect.objects.exists()
    assert not CareAlert.objects.exists()


def test_an_injection_of_another_patient_cannot_be_linked(world, client_for):
    from tests.conftest import start_adult_regimen

    start_adult_regimen(world.zoe, world.dave)
    slot = world.zoe.slots.order_by("scheduled_at").first()
    injection = injection_services.record_injection(
        slot=slot, taken_at=slot.scheduled_at, site_spot="abdomen-left-1", by=world.dave
    )
    response = client_for(world.alice_user).post(
        url("side_effects", world),
        {"symptom": "site_pain", "severity": "mild", "started_on": "2026-01-01", "injection": injection.pk},
    )
    _assert_refused(response, "Choose one of the recent injections, or none.")
    assert not SideEffect.objects.filter(patient=world.alice).exists()


def test_resolving_records_when_and_moves_it_to_gone(world, records, client_for):
    client = client_for(world.bob)
    response = client.post(url("side_effect_resolve", world, records["side_effect"].pk), follow=True)
    records["side_effect"].refresh_from_db()
    assert records["side_effect"].resolved_at is not None
    assert "Marked as gone: Headache." in response.content.decode()
    first = records["side_effect"].resolved_at
    client.post(url("side_effect_resolve", world, records["side_effect"].pk))
    records["side_effect"].refresh_from_db()
    assert records["side_effect"].resolved_at == first  # a second press changes nothing


def test_AE_ISR_DURATION_list_marks_a_site_reaction_open_over_two_weeks(world, client_for):
    record_services.record_side_effect(
        patient=world.alice,
        symptom="site_redness",
        severity="mild",
        started_on=world.alice.local_today() - timedelta(days=15),
        by=world.alice_user,
    )
    html = client_for(world.carol).get(url("side_effects", world)).content.decode()
    assert "Over 2 weeks" in html


def test_side_effect_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    client = client_for(world.alice_user)
    for _ in range(3):
        record_services.record_side_effect(
            patient=world.alice, symptom="nausea", severity="mild", started_on=world.alice.local_today(), by=world.bob
        )
    with django_assert_max_num_queries(20) as few:
        client.get(url("side_effects", world))
    for _ in range(30):
        record_services.record_side_effect(
            patient=world.alice, symptom="nausea", severity="mild", started_on=world.alice.local_today(), by=world.bob
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("side_effects", world))


# --- supply and fridge ------------------------------------------------------------------------


def test_SUPPLY_BOX_page_shows_stock_and_days_left(world, alice_on_regimen, client_for):
    client = client_for(world.alice_user)
    client.post(
        url("supply", world),
        {"boxes": "2", "on": world.alice.local_today().isoformat(), "batch_number": "K1234A", "expires_on": "2099-12-31"},
    )
    html = client.get(url("supply", world)).content.decode()
    assert "14 syringes" in html
    assert "Enough for <strong>14 days</strong>" in html


@pytest.mark.parametrize(
    "data,message",
    [
        ({"actual_count": "-3"}, "The number of syringes cannot be negative."),
        ({"actual_count": "lots"}, "Enter a whole number of syringes."),
    ],
)
def test_bad_count_is_refused_keeps_input_and_saves_nothing(world, alice_on_regimen, client_for, data, message):
    response = client_for(world.alice_user).post(url("supply_correct", world), data)
    _assert_refused(response, message, [data["actual_count"]])
    assert not SupplyEvent.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"boxes": "0", "on": "2026-01-01"}, "at least 1"),
        ({"boxes": "2", "on": "2999-01-01"}, "The pick-up date cannot be in the future."),
        ({"boxes": "500", "on": "2026-01-01"}, "please check the number"),
    ],
)
def test_bad_pickup_is_refused_keeps_input_and_saves_nothing(world, client_for, data, message):
    response = client_for(world.alice_user).post(url("supply", world), data)
    _assert_refused(response, message, [data["on"]])
    assert not SupplyEvent.objects.filter(patient=world.alice).exists()


def test_PREP_24H_fridge_page_shows_use_by_and_refuses_an_old_syringe(world, client_for):
    now = timezone.now()
    syringe = record_services.take_syringe_out_of_fridge(
        patient=world.alice, by=world.bob, taken_out_at=now - timedelta(hours=25)
    )
    client = client_for(world.bob)
    html = client.get(url("fridge", world)).content.decode()
    assert "Do not use this syringe" in html
    response = client.post(url("fridge_close", world, syringe.pk), {"outcome": "used"}, follow=True)
    assert "more than 24 hours" in response.content.decode() and "PREP-24H" in why_text(response.content.decode())
    syringe.refresh_from_db()
    assert syringe.closed_at is None


def test_PREP_24H_taking_a_syringe_out_shows_the_use_by_time_in_local_time(world, client_for):
    world.alice.time_zone = "America/New_York"
    world.alice.save()
    typed = timezone.localtime(timezone.now() - timedelta(hours=2), world.alice.zone).replace(second=0, microsecond=0)
    response = client_for(world.alice_user).post(
        url("fridge", world), {"taken_out_at": typed.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )
    syringe = FridgeSyringe.objects.get(patient=world.alice)
    assert syringe.taken_out_at == typed  # the typed clock time is New York time
    assert syringe.use_by == typed + timedelta(hours=24)
    assert f"Use this syringe by {typed + timedelta(hours=24):%a %d %b %H:%M}" in response.content.decode()


def test_fridge_time_in_the_future_is_refused(world, client_for):
    response = client_for(world.alice_user).post(url("fridge", world), {"taken_out_at": "2999-01-01T08:00"})
    _assert_refused(response, "cannot be in the future", ["2999-01-01T08:00"])
    assert not FridgeSyringe.objects.exists()


# --- medicines and vaccines -------------------------------------------------------------------


def test_IX_TNF_adding_a_tnf_blocker_warns_and_flags_the_clinician(world, client_for):
    response = client_for(world.bob).post(url("medicines", world), {"name": "Enbrel 50 mg"}, follow=True)
    html = response.content.decode()
    assert "TNF blocker" in html and "IX-TNF" in html
    assert "alert-danger" in html
    medicine = OtherMedicine.objects.get(patient=world.alice)
    assert medicine.category == "tnf" and medicine.recorded_by == world.bob
    alert = CareAlert.objects.get(patient=world.alice)
    assert alert.kind == CareAlert.Kind.INTERACTION and alert.rule_id == "IX-TNF"


def test_IX_IMMUNO_methotrexate_gives_the_tell_your_doctor_note_without_an_alert(world, client_for):
    html = client_for(world.alice_user).post(url("medicines", world), {"name": "methotrexate"}, follow=True)
    html = html.content.decode()
    assert "Tell your doctor" in html and "usual" in html
    assert not CareAlert.objects.exists()


def test_IX_LIVE_VACCINE_logging_a_live_vaccine_warns_and_flags(world, client_for):
    response = client_for(world.alice_user).post(
        url("vaccinations", world),
        {"name": "Yellow fever", "given_on": world.alice.local_today().isoformat(), "is_live": "unsure"},
        follow=True,
    )
    assert "Live vaccines should not be given while on anakinra" in response.content.decode()
    assert Vaccination.objects.get(patient=world.alice).is_live
    assert CareAlert.objects.get(patient=world.alice).kind == CareAlert.Kind.LIVE_VACCINE


def test_PRE_CHILD_VACCINE_medicines_page_of_a_child_says_what_is_missing(world, client_for):
    from tests.conftest import make_patient

    child = make_patient("Kit Child", dob=world.alice.local_today().replace(year=world.alice.local_today().year - 4))
    link(child, world.alice_user, CareRole.PARENT)
    client = client_for(world.alice_user)
    page = reverse("doses:medicines", args=[child.pk])
    assert "Not recorded yet: pneumococcal and Hib vaccination" in client.get(page).content.decode()
    client.post(
        reverse("doses:vaccinations", args=[child.pk]),
        {"name": "Prevnar 13", "given_on": child.local_today().isoformat(), "is_live": "unsure"},
    )
    assert "Not recorded yet: Hib vaccination" in client.get(page).content.decode()


def test_future_vaccination_is_refused(world, client_for):
    response = client_for(world.alice_user).post(
        url("vaccinations", world), {"name": "MMR", "given_on": "2999-01-01", "is_live": "unsure"}
    )
    _assert_refused(response, "check with your", ["2999-01-01", "MMR"])
    assert not Vaccination.objects.exists()


def test_anakinra_is_not_added_as_another_medicine(world, client_for):
    response = client_for(world.alice_user).post(url("medicines", world), {"name": "Kineret"})
    _assert_refused(response, "already tracks", ["Kineret"])
    assert not OtherMedicine.objects.exists()


# --- before you start and labs ----------------------------------------------------------------


def test_AE_ALLERGY_checklist_with_an_ecoli_allergy_says_do_not_start_and_clinician_sees_it(world, client_for):
    client_for(world.alice_user).post(
        url("baseline", world),
        {
            "active_infection": "no",
            "ecoli_protein_allergy": "yes",
            "latex_allergy": "yes",
            "pregnant_or_breastfeeding": "no",
        },
    )
    html = client_for(world.carol).get(url("baseline", world)).content.decode()
    # The clinician sees the rule in the open "Why?" under each finding (issue 16).
    assert "must not be used." in html and "latex allergy." in html
    assert "AE-ALLERGY" in why_text(html) and '<details class="why" open>' in html
    assert "Answered by Alice Example" in html


def test_checklist_needs_every_answer(world, client_for):
    response = client_for(world.alice_user).post(url("baseline", world), {"active_infection": "no"})
    _assert_refused(response, "Please answer this question.")
    assert not BaselineChecklist.objects.exists()


def test_AE_LABS_labs_page_lists_due_tests_and_takes_a_result(world, alice_on_regimen, client_for):
    client = client_for(world.bob)
    html = client.get(url("labs", world)).content.decode()
    assert "Before starting" in html and "Month 12" in html
    lab = LabTest.objects.filter(patient=world.alice).order_by("due_on").first()
    client.post(
        url("labs", world),
        {"lab_test": lab.pk, "done_on": world.alice.local_today().isoformat(), "neutrophils_10e9_per_l": "2.10"},
    )
    lab.refresh_from_db()
    assert lab.neutrophils_10e9_per_l == Decimal("2.10") and lab.recorded_by == world.bob


@pytest.mark.parametrize(
    "value,message", [("-1", "cannot be negative"), ("2500", "check the units"), ("abc", "Enter a number.")]
)
def test_bad_lab_result_is_refused_keeps_input_and_saves_nothing(world, alice_on_regimen, client_for, value, message):
    lab = LabTest.objects.filter(patient=world.alice).first()
    response = client_for(world.alice_user).post(
        url("labs", world), {"lab_test": lab.pk, "done_on": "2026-01-01", "neutrophils_10e9_per_l": value}
    )
    _assert_refused(response, message, [value])
    lab.refresh_from_db()
    assert lab.done_on is None


def test_injection_model_is_untouched_by_records_pages(world, records):
    # The records pages never log a dose: doses come only from the injection log.
    assert not Injection.objects.filter(patient=world.alice).exists()


def test_before_you_start_is_asked_on_first_use_until_answered(world, client_for):
    client = client_for(world.alice_user)
    assert "before-you-start questions" in client.get(url("side_effects", world)).content.decode()
    record_services.save_baseline_checklist(
        patient=world.alice,
        by=world.alice_user,
        active_infection=False,
        ecoli_protein_allergy=False,
        latex_allergy=False,
        pregnant_or_breastfeeding=False,
    )
    assert "before-you-start questions" not in client.get(url("side_effects", world)).content.decode()


def test_SUPPLY_BOX_a_dose_at_zero_syringes_asks_for_a_count_and_the_stock_stays_at_zero(
    world, alice_on_regimen, client_for
):
    slot = world.alice.slots.order_by("scheduled_at").first()
    record_services.correct_supply_count(patient=world.alice, actual_count=0, by=world.bob, now=slot.scheduled_at)
    injection_services.record_injection(slot=slot, taken_at=slot.scheduled_at, site_spot="abdomen-left-1", by=world.bob)
    html = client_for(world.bob).get(url("supply", world)).content.decode()
    assert "Count your syringes" in html
    assert '<p class="display-6 mb-1" data-testid="on-hand">0 syringes</p>' in html


def test_a_blood_test_of_another_patient_cannot_be_filled_in(world, alice_on_regimen, client_for):
    from tests.conftest import start_adult_regimen

    start_adult_regimen(world.zoe, world.dave)
    zoe_lab = LabTest.objects.filter(patient=world.zoe).first()
    response = client_for(world.alice_user).post(
        url("labs", world), {"lab_test": zoe_lab.pk, "done_on": "2026-01-01", "neutrophils_10e9_per_l": "3"}
    )
    _assert_refused(response, "Choose one of the scheduled tests.")
    zoe_lab.refresh_from_db()
    assert zoe_lab.done_on is None


def test_PRE_CHILD_VACCINE_checklist_of_a_child_asks_about_both_vaccines(world, client_for):
    from tests.conftest import make_patient

    parent = make_user("pam@example.org", "Pam Parent")
    child = make_patient("Kit Child", dob=world.alice.local_today() - timedelta(days=2 * 365))
    link(child, parent, CareRole.PARENT)
    client = client_for(parent)
    page = reverse("doses:baseline", args=[child.pk])
    assert "Haemophilus influenzae type b" in client.get(page).content.decode()
    response = client.post(
        page,
        {
            "active_infection": "no",
            "ecoli_protein_allergy": "no",
            "latex_allergy": "no",
            "pregnant_or_breastfeeding": "no",
            "pneumococcal_vaccinated": "yes",
            "hib_vaccinated": "unsure",
        },
        follow=True,
    )
    assert "Not confirmed: Hib vaccination" in response.content.decode()
    checklist = BaselineChecklist.objects.get(patient=child)
    assert checklist.pneumococcal_vaccinated is True and checklist.hib_vaccinated is None


def _add_rows(world, n):
    alice, by = world.alice, world.bob
    today = alice.local_today()
    start = OtherMedicine.objects.count()
    for i in range(n):
        record_services.record_pickup(patient=alice, boxes=1, on=today, by=by)
        record_services.take_syringe_out_of_fridge(patient=alice, by=by)
        record_services.record_medicine(patient=alice, name=f"Vitamin {start + i}", by=by)
        record_services.record_vaccination(patient=alice, name="Tetanus", given_on=today, by=by)


@pytest.mark.parametrize("page", ["supply", "fridge", "medicines", "labs", "baseline"])
def test_record_pages_query_count_does_not_grow_with_rows(world, alice_on_regimen, client_for, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.alice_user)
    _add_rows(world, 2)
    with CaptureQueriesContext(connection) as few:
        client.get(url(page, world))
    _add_rows(world, 20)
    with CaptureQueriesContext(connection) as many:
        client.get(url(page, world))
    assert len(many.captured_queries) == len(few.captured_queries)
