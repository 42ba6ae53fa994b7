"""Regimen page, regimen form, confirmation and the dose calculator (doses/views/regimen.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from companion.models import CareRole, Indication
from doses.models import CareAlert, DoseSlot, Regimen, SlotStatus
from doses.rules import catalogue
from tests.conftest import link, make_patient, make_user
from tests.doses.why_helpers import rule_ids_outside_why, visible_text_outside_why, why_text

ANONYMOUS_REDIRECT = 302


@pytest.fixture
def child(world):
    """sam, a child with CAPS, in New York; pat is the parent, carol the clinician."""
    pat = make_user("pat@example.org", "Pat Parent")
    sam = make_patient(
        "Sam Child",
        zone="America/New_York",
        dob=date(2021, 3, 1),
        weight_kg=Decimal("18.0"),
        weight_measured_on=date(2026, 1, 10),
    )
    sam.indication = Indication.NOMID_CAPS
    sam.save()
    link(sam, pat, CareRole.PARENT)
    link(sam, world.carol, CareRole.CLINICIAN)
    sam.parent = pat
    return sam


def adult_form(patient, **changes) -> dict:
    data = {
        "dose_basis": "fixed",
        "interval_days": "1",
        "administrations_per_day": "1",
        "time_1": "08:00",
        "time_2": "",
        "starts_on": patient.local_today().isoformat(),
        "change_reason": "Started on anakinra for RA.",
        "weight_kg": "",
        "mg_per_kg": "",
    }
    data.update(changes)
    return data


def weight_form(patient, **changes) -> dict:
    data = {
        "dose_basis": "weight",
        "weight_kg": str(patient.weight_kg),
        "mg_per_kg": "2",
        "change_reason": "Start at 2 mg/kg/day.",
    }
    data.update(changes)
    return adult_form(patient, **data)


def new_url(patient) -> str:
    return reverse("doses:regimen_new", args=[patient.pk])


def page_url(patient) -> str:
    return reverse("doses:regimen", args=[patient.pk])


# --- permissions -------------------------------------------------------------------

VIEW_EXPECTED = {
    "anonymous": 302,
    "patient": 200,
    "caregiver": 200,
    "clinician": 200,
    "other_clinician": 404,
    "revoked_caregiver": 404,
    "stranger": 404,
}
PRESCRIBE_EXPECTED = VIEW_EXPECTED | {"caregiver": 404}
CONFIRM_EXPECTED = VIEW_EXPECTED | {"patient": 404, "caregiver": 404, "clinician": 302}


@pytest.mark.parametrize("who", list(VIEW_EXPECTED))
@pytest.mark.parametrize(
    ("name", "expected"),
    [("doses:regimen", VIEW_EXPECTED), ("doses:calculator", VIEW_EXPECTED), ("doses:regimen_new", PRESCRIBE_EXPECTED)],
)
def test_each_page_answers_each_member_of_the_world(world, alice_on_regimen, client_for, who, name, expected):
    response = client_for(world.users()[who]).get(reverse(name, args=[world.alice.pk]))
    assert response.status_code == expected[who]
    if expected[who] == 302:
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", list(VIEW_EXPECTED))
def test_calculator_without_a_patient_is_for_anyone_signed_in(world, client_for, who):
    response = client_for(world.users()[who]).get(reverse("doses:calculator_any"))
    assert response.status_code == (302 if who == "anonymous" else 200)


@pytest.mark.parametrize("who", list(VIEW_EXPECTED))
def test_saving_a_regimen_is_refused_without_the_prescribe_capability(world, client_for, who):
    response = client_for(world.users()[who]).post(new_url(world.alice), adult_form(world.alice))
    expected = {200: 302, 302: 302, 404: 404}[PRESCRIBE_EXPECTED[who]]
    assert response.status_code == expected
    saved = Regimen.objects.filter(patient=world.alice).count()
    assert saved == (1 if who in ("patient", "clinician") else 0)


@pytest.mark.parametrize("who", list(VIEW_EXPECTED))
def test_only_the_clinician_can_confirm(world, client_for, who):
    from tests.conftest import start_adult_regimen

    pending = start_adult_regimen(world.alice, world.alice_user, confirmed=False)
    url = reverse("doses:regimen_confirm", args=[world.alice.pk, pending.pk])
    response = client_for(world.users()[who]).post(url)
    assert response.status_code == CONFIRM_EXPECTED[who]
    pending.refresh_from_db()
    assert pending.is_confirmed is (who == "clinician")


def test_confirm_is_post_only(world, client_for):
    from tests.conftest import start_adult_regimen

    pending = start_adult_regimen(world.alice, world.alice_user, confirmed=False)
    response = client_for(world.carol).get(reverse("doses:regimen_confirm", args=[world.alice.pk, pending.pk]))
    assert response.status_code == 405
    pending.refresh_from_db()
    assert not pending.is_confirmed


def test_confirm_of_another_patients_regimen_is_not_found(world, child, client_for):
    from tests.conftest import start_adult_regimen

    zoes = start_adult_regimen(world.zoe, world.dave, confirmed=False)
    response = client_for(world.carol).post(reverse("doses:regimen_confirm", args=[world.alice.pk, zoes.pk]))
    assert response.status_code == 404
    zoes.refresh_from_db()
    assert not zoes.is_confirmed


# --- a clinician sets and changes regimens --------------------------------------------


def test_DOSE_ADULT_clinician_sets_alices_regimen_confirmed_with_rule_ids_on_screen(world, client_for):
    client = client_for(world.carol)
    response = client.post(new_url(world.alice), adult_form(world.alice), follow=True)
    assert response.status_code == 200
    regimen = Regimen.objects.get(patient=world.alice)
    assert (regimen.version, regimen.daily_dose_mg, regimen.is_confirmed) == (1, Decimal("100"), True)
    assert regimen.confirmed_by == world.carol
    body = response.content.decode()
    # A clinician sees the rules at once: the "Why?" under the numbers is open (issue 16).
    assert '<details class="why" open>' in body
    assert "100.0 mg" in body and "DOSE-ADULT" in why_text(body)
    assert "every day" in body and "SCHED-DAILY" in why_text(body)
    assert "0.67 mL" in body and "DOSE-SYRINGE" in why_text(body)
    assert "Confirmed by a clinician" in body
    assert DoseSlot.objects.filter(regimen=regimen).exists()


def test_SCHED_RENAL_clinician_changes_alice_to_every_other_day_and_history_shows_every_change(
    world, alice_on_regimen, client_for
):
    client = client_for(world.carol)
    tomorrow = world.alice.local_today() + timedelta(days=1)
    data = adult_form(
        world.alice, interval_days="2", starts_on=tomorrow.isoformat(), change_reason="Creatinine clearance 25."
    )
    response = client.post(new_url(world.alice), data, follow=True)
    body = response.content.decode()
    versions = list(Regimen.objects.filter(patient=world.alice).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].ends_on == tomorrow and versions[1].ends_on is None
    assert versions[1].supersedes == versions[0]
    assert "Version 2" in body and "Version 1" in body
    assert "Creatinine clearance 25." in body
    assert "every other day" in body and "SCHED-RENAL" in why_text(body)
    # The old series stops the day the new one starts; the new one runs every other day from there.
    days = list(
        DoseSlot.objects.filter(patient=world.alice, local_date__gte=tomorrow).values_list("local_date", flat=True)
    )
    assert days[0] == tomorrow and all((b - a).days == 2 for a, b in zip(days, days[1:], strict=False))
    assert not DoseSlot.objects.filter(regimen=versions[0], local_date__gte=tomorrow).exists()


def test_DOSE_PED_START_clinician_sets_a_childs_weight_based_regimen(world, child, client_for):
    response = client_for(world.carol).post(new_url(child), weight_form(child), follow=True)
    regimen = Regimen.objects.get(patient=child)
    assert regimen.dose_basis == "weight"
    assert (regimen.mg_per_kg, regimen.weight_kg_basis, regimen.daily_dose_mg) == (
        Decimal("2"),
        Decimal("18.0"),
        Decimal("36.0"),
    )
    assert regimen.is_confirmed
    body = response.content.decode()
    assert "36.0 mg" in body and "2.00 mg/kg/day × 18.0 kg" in body and "DOSE-PED-RANGE" in why_text(body)
    assert "0.24 mL" in body and "0.43 mL" in body  # 36 mg of 100 mg / 0.67 mL (DOSE-SYRINGE)
    assert "America/New_York" in body


def test_DOSE_PED_STEP_clinician_splits_the_childs_dose_into_two_injections(world, child, client_for):
    client = client_for(world.carol)
    client.post(new_url(child), weight_form(child))
    data = weight_form(
        child, mg_per_kg="3", administrations_per_day="2", time_1="07:00", time_2="19:00", change_reason="Flare."
    )
    data["starts_on"] = (child.local_today() + timedelta(days=1)).isoformat()
    response = client.post(new_url(child), data, follow=True)
    current = Regimen.objects.current().get(patient=child)
    assert (current.version, current.daily_dose_mg, current.times_of_day) == (2, Decimal("54.0"), ["07:00", "19:00"])
    body = response.content.decode()
    assert "2 × 27.0 mg" in body and "DOSE-PED-STEP" in why_text(body)
    tomorrow_slots = DoseSlot.objects.filter(patient=child, local_date=current.starts_on)
    assert [s.dose_mg for s in tomorrow_slots] == [Decimal("27.0"), Decimal("27.0")]


def test_DOSE_PED_STEP_a_change_larger_than_one_mg_per_kg_is_saved_with_a_warning(world, child, client_for):
    client = client_for(world.carol)
    client.post(new_url(child), weight_form(child))
    data = weight_form(child, mg_per_kg="5", change_reason="Big step.")
    review = client.post(new_url(child), data)
    # Shown before saving, with a "Save anyway" button; nothing saved yet, what was typed kept.
    assert review.status_code == 200 and Regimen.objects.filter(patient=child).count() == 1
    body = review.content.decode()
    assert "not a step of 0.5-1 mg/kg" in body and "Save anyway" in body and 'value="5"' in body
    assert "DOSE-PED-STEP" in why_text(body)
    response = client.post(new_url(child), data | {"flags_seen": "DOSE-PED-STEP"}, follow=True)
    assert Regimen.objects.filter(patient=child).count() == 2
    saved = response.content.decode()
    assert "not a step of 0.5-1 mg/kg" in saved and "DOSE-PED-STEP" in why_text(saved)
    assert [f["rule_id"] for f in Regimen.objects.current().get(patient=child).rule_flags] == ["DOSE-PED-STEP"]


def test_MISS_NODOUBLE_new_version_on_a_day_already_dosed_starts_the_next_day(world, alice_on_regimen, client_for):
    today = world.alice.local_today()
    taken = DoseSlot.objects.get(regimen=alice_on_regimen, local_date=today)
    taken.status = SlotStatus.TAKEN
    taken.save()
    client_for(world.carol).post(
        new_url(world.alice), adult_form(world.alice, time_1="20:00", change_reason="Evenings.")
    )
    new = Regimen.objects.current().get(patient=world.alice)
    assert new.version == 2
    assert list(DoseSlot.objects.filter(patient=world.alice, local_date=today)) == [taken]
    later = DoseSlot.objects.filter(patient=world.alice, local_date__gt=today)
    assert later.exists() and {s.regimen_id for s in later} == {new.pk}
    per_day = {}
    for slot in DoseSlot.objects.filter(patient=world.alice):
        per_day[slot.local_date] = per_day.get(slot.local_date, 0) + 1
    assert set(per_day.values()) == {1}  # never two slots on one day


def test_change_today_replaces_the_pending_dose_of_today_without_a_double_slot(world, alice_on_regimen, client_for):
    today = world.alice.local_today()
    client_for(world.carol).post(new_url(world.alice), adult_form(world.alice, time_1="21:30", change_reason="Later."))
    today_slots = list(DoseSlot.objects.filter(patient=world.alice, local_date=today))
    assert len(today_slots) == 1 and today_slots[0].regimen.version == 2
    assert today_slots[0].scheduled_at.astimezone(world.alice.zone).strftime("%H:%M") == "21:30"
    assert not DoseSlot.objects.filter(regimen=alice_on_regimen, local_date__gte=today).exists()
    # Past slots of the old version stay as they were.
    assert DoseSlot.objects.filter(regimen=alice_on_regimen, local_date__lt=today).count() == 3


# --- patient-entered regimens and confirmation -------------------------------------------


def test_patient_entered_regimen_awaits_confirmation_and_carol_confirms_it(world, client_for):
    response = client_for(world.alice_user).post(new_url(world.alice), adult_form(world.alice), follow=True)
    regimen = Regimen.objects.get(patient=world.alice)
    assert regimen.status == Regimen.Status.AWAITING_CONFIRMATION and regimen.confirmed_by is None
    assert "Awaiting clinician confirmation" in response.content.decode()
    assert "Confirm version 1" not in response.content.decode()  # alice cannot confirm her own

    carol = client_for(world.carol)
    page = carol.get(page_url(world.alice)).content.decode()
    assert "Confirm version 1" in page
    response = carol.post(reverse("doses:regimen_confirm", args=[world.alice.pk, regimen.pk]), follow=True)
    regimen.refresh_from_db()
    assert regimen.is_confirmed and regimen.confirmed_by == world.carol
    body = response.content.decode()
    assert "Regimen version 1 confirmed." in body and "Confirmed by <strong>Dr Carol Clinician</strong>" in body


def test_a_replaced_version_cannot_be_confirmed_any_more(world, client_for):
    alice = client_for(world.alice_user)
    alice.post(new_url(world.alice), adult_form(world.alice))
    alice.post(new_url(world.alice), adult_form(world.alice, time_1="09:00", change_reason="Later."))
    first = Regimen.objects.get(patient=world.alice, version=1)
    response = client_for(world.carol).post(
        reverse("doses:regimen_confirm", args=[world.alice.pk, first.pk]), follow=True
    )
    first.refresh_from_db()
    assert not first.is_confirmed
    assert "replaced by a newer one" in response.content.decode()
    assert "Replaced before confirmation" in response.content.decode()


def test_parent_entered_childs_regimen_awaits_confirmation(world, child, client_for):
    client_for(child.parent).post(new_url(child), weight_form(child))
    regimen = Regimen.objects.get(patient=child)
    assert regimen.status == Regimen.Status.AWAITING_CONFIRMATION


# --- DOSE-PED-MAX override -------------------------------------------------------------


def test_DOSE_PED_MAX_parent_above_8_mg_per_kg_gets_a_clear_refusal_and_nothing_is_saved(world, child, client_for):
    response = client_for(child.parent).post(new_url(child), weight_form(child, mg_per_kg="9"))
    assert response.status_code == 200
    body = response.content.decode()
    # The parent reads plain words; the rule is under "Why was this refused?" (issue 16).
    assert "above the labelled maximum of 8 mg/kg/day" in body and "DOSE-PED-MAX" in why_text(body)
    assert rule_ids_outside_why(body) == []
    assert "Only a clinician can prescribe this" in body
    assert 'value="9"' in body  # what was typed is kept
    assert not Regimen.objects.filter(patient=child).exists()
    assert not DoseSlot.objects.filter(patient=child).exists()


def test_DOSE_PED_MAX_clinician_needs_a_reason_and_the_override_is_recorded(world, child, client_for):
    client = client_for(world.carol)
    response = client.post(new_url(child), weight_form(child, mg_per_kg="9"))
    assert "needs your reason for the override" in response.content.decode()
    assert not Regimen.objects.filter(patient=child).exists()

    reason = "DIRA flare despite 8 mg/kg; discussed with the family."
    data = weight_form(child, mg_per_kg="9", override_reason=reason, flags_seen="DOSE-PED-START")
    response = client.post(new_url(child), data, follow=True)
    regimen = Regimen.objects.get(patient=child)
    assert regimen.override_reason == reason and regimen.override_by == world.carol
    assert regimen.daily_dose_mg == Decimal("162.0")
    assert CareAlert.objects.filter(patient=child, rule_id="DOSE-PED-MAX").count() == 1
    body = response.content.decode()
    assert reason in body and "DOSE-PED-MAX" in why_text(body)


# --- bad input: a clear message, nothing saved, what was typed kept ---------------------


def test_form_with_no_time_of_day_says_so_and_saves_nothing(world, client_for):
    response = client_for(world.carol).post(
        new_url(world.alice), adult_form(world.alice, time_1="", change_reason="Typed reason")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose the time of day for the injection" in body
    assert "Typed reason" in body
    assert not Regimen.objects.filter(patient=world.alice).exists()
    assert not DoseSlot.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weight_kg": "0"}, "more than 0 kg"),
        ({"weight_kg": "-5"}, "more than 0 kg"),
        ({"weight_kg": "1000"}, "not plausible"),
        ({"mg_per_kg": "0.5"}, "outside the range of 1 to 10 mg per kg"),
        ({"mg_per_kg": "11"}, "outside the range of 1 to 10 mg per kg"),
        ({"weight_kg": ""}, "Enter the weight in kilograms"),
        ({"administrations_per_day": "2", "time_2": ""}, "needs a second time of day"),
        ({"administrations_per_day": "2", "time_2": "08:00"}, "two different times"),
    ],
)
def test_DOSE_PED_RANGE_bad_weight_or_dose_gets_a_clear_message_and_saves_nothing(
    world, child, client_for, changes, message
):
    data = weight_form(child, **changes)
    response = client_for(world.carol).post(new_url(child), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    for value in changes.values():
        if value:
            assert f'value="{value}"' in body
    assert not Regimen.objects.filter(patient=child).exists()


def test_DOSE_ADULT_fixed_dose_for_a_child_is_refused(world, child, client_for):
    response = client_for(world.carol).post(new_url(child), adult_form(child))
    body = response.content.decode()
    assert "for adults (18 and over)" in body and "DOSE-ADULT" in why_text(body)
    assert not Regimen.objects.filter(patient=child).exists()


def test_a_start_date_in_the_past_is_refused(world, client_for):
    yesterday = world.alice.local_today() - timedelta(days=1)
    response = client_for(world.carol).post(new_url(world.alice), adult_form(world.alice, starts_on=yesterday))
    assert "starts today or later" in response.content.decode()
    assert not Regimen.objects.exists()


def test_a_change_needs_a_reason(world, alice_on_regimen, client_for):
    response = client_for(world.carol).post(new_url(world.alice), adult_form(world.alice, change_reason=""))
    assert "This field is required" in response.content.decode()
    assert Regimen.objects.filter(patient=world.alice).count() == 1


# --- calculator --------------------------------------------------------------------------


def test_DOSE_SYRINGE_calculator_shows_mg_ml_discard_band_and_rules(world, child, client_for):
    url = reverse("doses:calculator", args=[child.pk])
    response = client_for(child.parent).get(url, {"weight_kg": "15", "mg_per_kg": "2", "administrations_per_day": "1"})
    body = response.content.decode()
    for text in ("30.0 mg", "0.20 mL", "0.47 mL", "usual starting dose", "0.01 mL"):
        assert text in visible_text_outside_why(body)
    # The parent reads plain words; each rule once, under "Why?", not after every row (issue 16).
    assert rule_ids_outside_why(body) == []
    assert {"DOSE-SYRINGE", "DOSE-PED-RANGE", "PREP-ONCE"} <= set(why_text(body).split())
    assert body.count(catalogue.RULES["DOSE-SYRINGE"].summary) == 2  # the result's "Why?" and the syringe note's
    assert "Syringes a day" in body
    assert "Use this in the regimen" in body


def test_calculator_prefills_the_regimen_form(world, child, client_for):
    client = client_for(world.carol)
    response = client.get(
        reverse("doses:calculator", args=[child.pk]),
        {"weight_kg": "18", "mg_per_kg": "3", "administrations_per_day": "2", "creatinine_clearance_ml_min": "20"},
    )
    use_url = response.context["use_url"]
    assert "mg_per_kg=3" in use_url and "interval_days=2" in use_url
    form = client.get(use_url).context["form"]
    assert form.initial["mg_per_kg"] == "3" and form.initial["administrations_per_day"] == "2"
    assert form.initial["interval_days"] == "2" and form.initial["dose_basis"] == "weight"


def test_DOSE_PED_MAX_calculator_warns_that_an_override_is_needed(world, child, client_for):
    response = client_for(world.bob).get(reverse("doses:calculator_any"), {"weight_kg": "10", "mg_per_kg": "9"})
    body = response.content.decode()
    assert "clinician override with a reason is required" in body
    assert "Use this in the regimen" not in body  # no patient, nothing to prescribe


def test_caregiver_sees_the_calculator_without_the_prescribe_button(world, client_for):
    response = client_for(world.bob).get(
        reverse("doses:calculator", args=[world.alice.pk]), {"weight_kg": "70", "mg_per_kg": "1.5"}
    )
    assert "105.0 mg" in response.content.decode()
    assert "Use this in the regimen" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"weight_kg": "0", "mg_per_kg": "2"}, "more than 0 kg"),
        ({"weight_kg": "1000", "mg_per_kg": "2"}, "not plausible"),
        ({"weight_kg": "20", "mg_per_kg": "0.5"}, "1 to 10 mg per kg"),
        ({"weight_kg": "20", "mg_per_kg": "11"}, "1 to 10 mg per kg"),
        ({"weight_kg": "20", "mg_per_kg": "2", "creatinine_clearance_ml_min": "-5"}, "cannot be negative"),
    ],
)
def test_SCHED_RENAL_calculator_bad_input_gets_a_clear_message(world, client_for, params, message):
    response = client_for(world.mallory).get(reverse("doses:calculator_any"), params)
    body = response.content.decode()
    assert message in body
    assert "Result" not in body


def test_SCHED_RENAL_regimen_form_suggests_every_other_day_from_the_profile_clearance(world, client_for):
    world.alice.creatinine_clearance_ml_min = Decimal("25")
    world.alice.save()
    response = client_for(world.carol).get(new_url(world.alice))
    assert response.context["form"].initial["interval_days"] == 2
    page = response.content.decode()
    # SCHED-RENAL: a clearance typed on the profile before results were recorded says so.
    assert "Creatinine clearance 25.0 mL/min (typed on the profile before results were recorded" in page
    assert "is below 30 mL/min: every other day is suggested" in page


# --- performance ---------------------------------------------------------------------------


def test_regimen_page_queries_do_not_grow_with_the_number_of_versions(world, client_for, django_assert_max_num_queries):
    from tests.conftest import start_adult_regimen

    today = world.alice.local_today()
    start_adult_regimen(world.alice, world.carol, starts_on=today)
    client = client_for(world.carol)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(page_url(world.alice))
    for n in range(1, 6):
        start_adult_regimen(world.alice, world.carol, starts_on=today + timedelta(days=n), times=(f"0{n}:00",))
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_url(world.alice))
    assert response.content.decode().count("regimen-version") == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_next_doses_are_shown_in_the_patients_local_time(world, child, client_for):
    client = client_for(world.carol)
    client.post(new_url(child), weight_form(child, time_1="07:15"))
    body = client.get(page_url(child)).content.decode()
    assert "at 07:15" in body
    now = timezone.now()
    assert DoseSlot.objects.filter(patient=child, scheduled_at__gte=now).exists()


def test_form_shows_the_start_date_in_the_format_a_date_input_reads(world, client_for):
    body = client_for(world.carol).get(new_url(world.alice)).content.decode()
    assert f'name="starts_on" value="{world.alice.local_today().isoformat()}"' in body


@pytest.mark.parametrize("name", ["doses:regimen", "doses:regimen_new", "doses:calculator"])
def test_pages_have_no_duplicate_element_ids(world, alice_on_regimen, client_for, name):
    import re

    body = client_for(world.carol).get(reverse(name, args=[world.alice.pk]), {"weight_kg": "20", "mg_per_kg": "2"})
    ids = re.findall(r'\sid="([^"]+)"', body.content.decode())
    assert len(ids) == len(set(ids))


def test_DOSE_PED_RANGE_page_points_out_a_new_weight_on_the_profile(world, child, client_for):
    client = client_for(world.carol)
    client.post(new_url(child), weight_form(child))
    assert "this dose was worked out from" not in client.get(page_url(child)).content.decode()
    child.weight_kg = Decimal("21.5")
    child.save()
    body = client.get(page_url(child)).content.decode()
    assert "now 21.5 kg" in body and "worked out from 18.0 kg" in body
