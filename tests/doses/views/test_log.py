"""Logging an injection: defaults, back-dating, bad input, the pre-injection checks, a dose
not taken, a discarded syringe, and who may log. alice lives in New York, doses at 08:00."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from doses.models import DoseSlot, FridgeSyringe, InjectedBy, Injection, SlotStatus, SupplyEvent
from doses.services import records as record_services
from tests.doses.log_helpers import alice_in_new_york, local_input, log_data, slot_at
from tests.doses.why_helpers import why_text

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def log_url(patient, slot=None) -> str:
    url = reverse("doses:log", args=[patient.pk])
    return f"{url}?slot={slot.pk}" if slot else url


def nothing_saved(patient) -> bool:
    return (
        not Injection.objects.filter(patient=patient).exists()
        and not SupplyEvent.objects.filter(patient=patient).exists()
    )


# --- the form and its defaults -------------------------------------------------------------


def test_the_form_defaults_to_now_in_the_patients_time_the_slot_dose_and_the_suggested_spot(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 10, 17))
    response = client_for(world.alice_user).get(log_url(world.alice))
    form = response.context["form"]
    assert response.context["target"] == slot_at(world.alice, TODAY)
    page = response.content.decode()
    assert 'value="2026-11-25T10:17"' in page  # New York wall clock, not UTC (15:17)
    assert form.initial["dose_mg"] == Decimal("100.0")
    assert form.initial["injected_by"] == InjectedBy.SELF
    assert form.initial["site_spot"] == "abdomen-left-1"
    assert "For the dose due <strong>Wed 25 Nov, 08:00</strong>" in page
    assert now  # the clock is frozen for the whole test


def test_patient_logs_a_dose_and_is_sent_to_today_with_the_next_spot(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client = client_for(world.alice_user)
    response = client.post(log_url(world.alice), log_data(world.alice, now - timedelta(minutes=30)), follow=True)
    assert response.redirect_chain[-1][0] == reverse("doses:today", args=[world.alice.pk])
    injection = Injection.objects.get(patient=world.alice)
    assert injection.slot == slot_at(world.alice, TODAY)
    assert injection.taken_at == now - timedelta(minutes=30)
    assert injection.logged_by == world.alice_user
    assert injection.prep_checks == {
        "warm": True,
        "under_24h": True,
        "clear": True,
        "not_foamy": True,
        "unused": True,
        "no_vein": True,
    }
    page = response.content.decode()
    assert "Dose logged: 100 mg at 09:30 today, Stomach, left of the navel, spot 1." in page
    # The message reads plainly; its rule is under "Why?" (base.html's messages, issue 16).
    assert "Next time use: Stomach, left of the navel, spot 2." in page and "SITE-ROTATE" in why_text(page)
    # PREP-ONCE: the dose used one syringe; no count was recorded yet, and the count never
    # goes below zero (SUPPLY-BOX): it is noted as a shortfall instead.
    event = SupplyEvent.objects.get(patient=world.alice)
    assert (event.syringes, event.shortfall) == (0, 1)


def test_a_smaller_dose_than_prescribed_is_accepted(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client_for(world.alice_user).post(log_url(world.alice), log_data(world.alice, now, dose_mg="67.5"))
    assert Injection.objects.get(patient=world.alice).dose_mg == Decimal("67.5")


def test_back_dating_within_the_window_logs_the_earlier_dose(world, client_for, monkeypatch):
    """alice forgot to log yesterday's dose: she took it at 08:10, it is logged for yesterday."""
    alice_in_new_york(world, monkeypatch)
    yesterday = slot_at(world.alice, TODAY - timedelta(days=1))
    client = client_for(world.alice_user)
    page = client.get(log_url(world.alice, yesterday))
    assert 'value="2026-11-24T08:00"' in page.content.decode()  # its window has closed: default to its time
    response = client.post(
        log_url(world.alice, yesterday),
        log_data(world.alice, yesterday.scheduled_at + timedelta(minutes=10)),
    )
    assert response.status_code == 302
    yesterday.refresh_from_db()
    assert yesterday.status == SlotStatus.TAKEN
    assert slot_at(world.alice, TODAY).status == SlotStatus.PENDING


def test_MISS_NODOUBLE_a_dose_logged_the_evening_before_is_refused_and_says_when_it_can_be_logged(
    world, client_for, monkeypatch
):
    """After today's 20:00 cut-off and before 06:00 tomorrow a moment counts for no dose
    (windows open DOSE_LOG_EARLY_HOURS = 2 h early): refused, naming when it can be logged."""
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 21, 0))
    response = client_for(world.alice_user).post(log_url(world.alice), log_data(world.alice, now))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["taken_at"])
    assert "The next dose, due 08:00 tomorrow, can be logged from 06:00 tomorrow." in errors
    assert "The dose due 08:00 today is past its cut-off (20:00 today), so skip it" in errors  # MISS-SKIP
    # Plain words in the message; the rules it applies are in the error summary's "Why?".
    assert "MISS-SKIP" not in errors and "MISS-NODOUBLE" not in errors
    assert {rule.id for rule in response.context["error_rules"]} >= {"MISS-SKIP", "MISS-NODOUBLE"}
    assert nothing_saved(world.alice)


def test_MISS_NODOUBLE_a_wrong_time_and_a_wrong_spot_are_both_said_at_once(world, client_for, monkeypatch):
    """The service decides which dose a time counts for; a form it never reached (a spot that
    is not for self-injection) still says what is wrong with the time, and with the dose."""
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 21, 0))
    response = client_for(world.alice_user).post(
        log_url(world.alice), log_data(world.alice, now, site_spot="buttock-left-1")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "The next dose, due 08:00 tomorrow, can be logged from 06:00 tomorrow." in " ".join(errors["taken_at"])
    assert "site_spot" in errors  # SITE-SELF
    assert nothing_saved(world.alice)

    this_morning = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 9, 0))
    response = client_for(world.alice_user).post(
        log_url(world.alice), log_data(world.alice, this_morning, site_spot="buttock-left-1", dose_mg="150")
    )
    errors = response.context["form"].errors
    assert "150 mg is more than the prescribed 100.0 mg for this dose." in " ".join(errors["dose_mg"])  # AE-OVERDOSE
    assert "site_spot" in errors and "taken_at" not in errors
    assert response.context["show_confirm_above"]
    assert nothing_saved(world.alice)


def test_MISS_NODOUBLE_two_hours_before_its_time_the_next_morning_dose_can_be_logged(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 26, 6, 0))
    response = client_for(world.alice_user).post(log_url(world.alice), log_data(world.alice, now))
    assert response.status_code == 302
    assert Injection.objects.get(patient=world.alice).slot == slot_at(world.alice, TODAY + timedelta(days=1))


# --- bad input: a clear message, the input kept, nothing saved ------------------------------


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"dose_mg": "0"}, "dose_mg", "The dose must be more than 0 mg."),
        ({"dose_mg": "-5"}, "dose_mg", "The dose must be more than 0 mg."),
        ({"dose_mg": "150"}, "dose_mg", "150 mg is more than the prescribed 100.0 mg for this dose."),
        ({"dose_mg": "lots"}, "dose_mg", "Enter the dose as a number of mg"),
        ({"site_spot": "elbow-1"}, "site_spot", "“elbow-1” is not a spot on the body map."),
        ({"site_spot": "__omit__"}, "site_spot", "Choose the spot you injected on the body map."),
        ({"taken_at": "yesterday-ish"}, "taken_at", "Enter the date and time the dose was taken"),
        ({"prep_warm": "__omit__"}, "prep_warm", "Answer this check before injecting."),
    ],
)
def test_bad_input_gets_a_clear_message_keeps_the_input_and_saves_nothing(
    world, client_for, monkeypatch, overrides, field, message
):
    now = alice_in_new_york(world, monkeypatch)
    data = log_data(world.alice, now - timedelta(minutes=5), **overrides)
    response = client_for(world.alice_user).post(log_url(world.alice), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert (
        message.replace("“", "&ldquo;")[:20] in response.content.decode() or message[:20] in response.content.decode()
    )
    # The rest of what was typed is still there.
    for key in ("taken_at", "dose_mg", "notes"):
        if key in data:
            assert form[key].value() == data[key]
    assert nothing_saved(world.alice)


def test_a_time_in_the_future_is_refused(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    data = log_data(world.alice, now + timedelta(hours=2), notes="took it")
    response = client_for(world.alice_user).post(log_url(world.alice), data)
    assert response.status_code == 200
    assert "The time taken cannot be in the future (it is now 10:00 on Wed 25 Nov)." in response.content.decode()
    assert 'value="2026-11-25T12:00"' in response.content.decode()  # kept as typed
    assert "took it" in response.content.decode()
    assert nothing_saved(world.alice)


def test_a_time_with_no_dose_around_it_is_refused(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    data = log_data(world.alice, now - timedelta(days=30))  # before the regimen started
    response = client_for(world.alice_user).post(log_url(world.alice), data)
    assert "No dose is scheduled around that time" in response.content.decode()
    assert nothing_saved(world.alice)


# --- pre-injection checks (PREP-WARM, PREP-24H, PREP-LOOK, PREP-ONCE, SITE-VEIN) -----------


def _post_with_check(world, client_for, now, **answer):
    return client_for(world.alice_user).post(log_url(world.alice), log_data(world.alice, now, **answer), follow=True)


def _discards(patient):
    return list(SupplyEvent.objects.filter(patient=patient, kind=SupplyEvent.Kind.DISCARD))


def test_PREP_WARM_a_cold_syringe_means_wait_not_discard(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    response = _post_with_check(world, client_for, now, prep_warm="no")
    assert "Wait until the syringe has warmed up to room temperature" in response.content.decode()
    assert nothing_saved(world.alice)


def _write_off_form(page: str) -> tuple[str, dict[str, str]]:
    """The page's write-off form (PREP-24H, PREP-LOOK, PREP-ONCE): its action and hidden fields."""
    form = re.search(r'<form method="post" action="([^"]+)" id="write-off-form".*?</form>', page, re.S)
    assert form, "no write-off form on the page"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)"(?: id="[^"]+")? value="([^"]*)"', form.group(0)))
    return form.group(1), fields


@pytest.mark.parametrize(
    "check,rule_id,advice",
    [
        ("under_24h", "PREP-24H", "more than 24 hours."),
        ("clear", "PREP-LOOK", "cloudy, discoloured or has something floating in it."),
        ("unused", "PREP-ONCE", "each syringe is used only once."),
    ],
)
def test_a_no_that_means_do_not_use_this_syringe_asks_before_writing_it_off(
    world, client_for, monkeypatch, check, rule_id, advice
):
    """PREP-24H / PREP-LOOK / PREP-ONCE: the advice at once; the syringe leaves the count only when confirmed."""
    now = alice_in_new_york(world, monkeypatch)
    record_services.record_pickup(patient=world.alice, boxes=1, on=TODAY, by=world.alice_user)
    response = _post_with_check(world, client_for, now, **{f"prep_{check}": "no"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Do not use this syringe" in page and advice in page  # plain words; the rule ID is in the "Why?"
    assert rule_id in response.context["form"].fields[f"prep_{check}"].label or rule_id in page
    assert "Do not use this syringe. Write it off?" in page
    assert "Yes, write this syringe off" in page
    assert _discards(world.alice) == []  # asked, not written off
    assert record_services.syringes_on_hand(world.alice) == 7
    action, fields = _write_off_form(page)
    assert fields["reason"] == check
    response = client_for(world.alice_user).post(action, fields, follow=True)
    (discard,) = _discards(world.alice)
    assert (discard.syringes, discard.recorded_by) == (-1, world.alice_user)
    assert rule_id in discard.note
    assert record_services.syringes_on_hand(world.alice) == 6
    assert response.redirect_chain[-1][0].startswith(reverse("doses:log", args=[world.alice.pk]))
    assert "recorded as discarded" in response.content.decode()
    assert "Take a new syringe from the fridge and go through the checks again." in response.content.decode()
    assert not Injection.objects.exists()
    assert slot_at(world.alice, TODAY).status == SlotStatus.PENDING  # the dose is still to be given


def test_PREP_24H_writing_off_the_syringe_out_of_the_fridge_closes_it_and_takes_one_syringe(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    record_services.record_pickup(patient=world.alice, boxes=1, on=TODAY, by=world.alice_user)
    warming = FridgeSyringe.objects.create(patient=world.alice, taken_out_at=now - timedelta(hours=25))
    page = _post_with_check(world, client_for, now, prep_under_24h="no").content.decode()
    action, fields = _write_off_form(page)
    assert fields["fridge_syringe"] == str(warming.pk)
    client_for(world.alice_user).post(action, fields)
    warming.refresh_from_db()
    assert warming.closed_at == now
    (discard,) = _discards(world.alice)
    assert "PREP-24H" in discard.note
    assert record_services.syringes_on_hand(world.alice) == 6  # one syringe, not two


def test_SITE_VEIN_a_visible_vein_means_choose_another_spot(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    response = _post_with_check(world, client_for, now, prep_no_vein="no")
    assert "Choose another spot" in response.content.decode()
    assert "SITE-VEIN" in response.content.decode()
    assert nothing_saved(world.alice)


def test_the_checklist_shows_every_check_with_its_rule_id(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    for rule_id in ("PREP-WARM", "PREP-24H", "PREP-LOOK", "PREP-ONCE", "SITE-VEIN"):
        assert rule_id in page
    assert "not cloudy, not discoloured, nothing floating in it" in page


def test_discard_endpoint_records_a_syringe_with_the_reason(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    url = reverse("doses:discard", args=[world.alice.pk])
    response = client_for(world.bob).post(url, {"reason": "damaged"}, follow=True)
    assert "recorded as discarded" in response.content.decode()
    (discard,) = _discards(world.alice)
    assert discard.recorded_by == world.bob and "dropped" in discard.note
    client_for(world.bob).post(url, {"reason": "nonsense"})
    assert len(_discards(world.alice)) == 1


# --- not taken --------------------------------------------------------------------------


def test_a_dose_is_recorded_as_not_taken_with_a_reason(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    url = reverse("doses:not_taken", args=[world.alice.pk, slot.pk])
    assert "Why was the dose not taken?" in client_for(world.bob).get(url).content.decode()
    response = client_for(world.bob).post(url, {"reason": "out_of_stock"}, follow=True)
    assert "was not taken (Out of stock)" in response.content.decode()
    slot.refresh_from_db()
    assert (slot.status, slot.not_taken_reason, slot.status_changed_by) == (
        SlotStatus.NOT_TAKEN,
        "out_of_stock",
        world.bob,
    )


def test_not_taken_needs_a_reason(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    response = client_for(world.alice_user).post(reverse("doses:not_taken", args=[world.alice.pk, slot.pk]), {})
    assert "Choose why the dose was not taken." in response.content.decode()
    slot.refresh_from_db()
    assert slot.status == SlotStatus.PENDING


def test_a_future_dose_cannot_be_marked_not_taken(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY + timedelta(days=3))
    response = client_for(world.alice_user).post(
        reverse("doses:not_taken", args=[world.alice.pk, slot.pk]), {"reason": "forgot"}
    )
    assert "This dose is not due yet." in response.content.decode()
    slot.refresh_from_db()
    assert slot.status == SlotStatus.PENDING


def test_a_dose_already_taken_cannot_be_marked_not_taken(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client = client_for(world.alice_user)
    client.post(log_url(world.alice), log_data(world.alice, now))
    slot = slot_at(world.alice, TODAY)
    response = client.post(reverse("doses:not_taken", args=[world.alice.pk, slot.pk]), {"reason": "forgot"})
    assert "already logged as taken" in response.content.decode()
    slot.refresh_from_db()
    assert slot.status == SlotStatus.TAKEN


def test_a_dose_marked_not_taken_can_still_be_logged_if_it_was_taken_after_all(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client = client_for(world.alice_user)
    slot = slot_at(world.alice, TODAY)
    client.post(reverse("doses:not_taken", args=[world.alice.pk, slot.pk]), {"reason": "forgot"})
    assert client.post(log_url(world.alice, slot), log_data(world.alice, now)).status_code == 302
    slot.refresh_from_db()
    assert (slot.status, slot.not_taken_reason) == (SlotStatus.TAKEN, "")


# --- caregivers log, clinicians do not; every record says who and when --------------------


def test_a_caregiver_logs_for_the_patient_and_the_record_says_so(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client = client_for(world.bob)
    page = client.get(log_url(world.alice))
    assert page.context["form"].initial["injected_by"] == InjectedBy.OTHER
    assert "Alice Example themselves" in page.content.decode()  # who gave it: Alice, or "Me or someone else"
    client.post(log_url(world.alice), log_data(world.alice, now, injected_by="other", site_spot="arm-left-1"))
    injection = Injection.objects.get(patient=world.alice)
    assert (injection.logged_by, injection.logged_at, injection.injected_by) == (world.bob, now, "other")
    today = client_for(world.alice_user).get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert "logged by Bob Caregiver on 25 Nov, 10:00" in today


ACCESS = {
    "anonymous": 302,
    "patient": 200,
    "caregiver": 200,
    "clinician": 404,
    "other_clinician": 404,
    "revoked_caregiver": 404,
    "stranger": 404,
}


@pytest.mark.parametrize("who,status", ACCESS.items())
def test_log_page_is_only_for_those_who_may_log(world, client_for, monkeypatch, who, status):
    alice_in_new_york(world, monkeypatch)
    response = client_for(world.users()[who]).get(log_url(world.alice))
    assert response.status_code == status


@pytest.mark.parametrize("who,status", {**ACCESS, "patient": 302, "caregiver": 302}.items())
def test_logging_a_dose_is_refused_to_everyone_else_and_saves_nothing(world, client_for, monkeypatch, who, status):
    now = alice_in_new_york(world, monkeypatch)
    response = client_for(world.users()[who]).post(log_url(world.alice), log_data(world.alice, now))
    assert response.status_code == status
    assert Injection.objects.filter(patient=world.alice).exists() == (status == 302 and who != "anonymous")


@pytest.mark.parametrize("who,status", {**ACCESS, "patient": 302, "caregiver": 302}.items())
def test_not_taken_is_refused_to_everyone_else(world, client_for, monkeypatch, who, status):
    alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    url = reverse("doses:not_taken", args=[world.alice.pk, slot.pk])
    response = client_for(world.users()[who]).post(url, {"reason": "forgot"})
    assert response.status_code == status
    slot.refresh_from_db()
    assert (slot.status == SlotStatus.NOT_TAKEN) == (status == 302 and who != "anonymous")


@pytest.mark.parametrize("who,status", {**ACCESS, "patient": 302, "caregiver": 302}.items())
def test_discard_is_refused_to_everyone_else(world, client_for, monkeypatch, who, status):
    alice_in_new_york(world, monkeypatch)
    response = client_for(world.users()[who]).post(
        reverse("doses:discard", args=[world.alice.pk]), {"reason": "damaged"}
    )
    assert response.status_code == status
    assert SupplyEvent.objects.filter(patient=world.alice).exists() == (status == 302 and who != "anonymous")


def test_a_slot_of_another_patient_is_404(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    from tests.conftest import start_adult_regimen

    start_adult_regimen(world.zoe, world.dave)
    zoe_slot = DoseSlot.objects.filter(patient=world.zoe).first()
    client = client_for(world.alice_user)
    assert client.get(log_url(world.alice, zoe_slot)).status_code == 404
    response = client.post(reverse("doses:not_taken", args=[world.alice.pk, zoe_slot.pk]), {"reason": "forgot"})
    assert response.status_code == 404


def test_local_input_helper_matches_the_form(world):
    # Guard for the helpers themselves: the datetime-local format the form renders.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert local_input(datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("UTC")), ZoneInfo("America/New_York")) == (
        "2026-11-25T10:00"
    )


def test_PREP_24H_logging_a_dose_closes_the_syringe_that_was_warming_up(world, client_for, monkeypatch):
    from doses.models import FridgeSyringe

    now = alice_in_new_york(world, monkeypatch)
    warming = FridgeSyringe.objects.create(patient=world.alice, taken_out_at=now - timedelta(minutes=40))
    client = client_for(world.alice_user)
    client.post(log_url(world.alice), log_data(world.alice, now))
    warming.refresh_from_db()
    assert warming.closed_at == now
    page = client.get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert "A syringe is out of the fridge" not in page


def test_a_dose_whose_window_has_not_opened_cannot_be_chosen_and_the_page_says_when_it_opens(
    world, client_for, monkeypatch
):
    alice_in_new_york(world, monkeypatch)
    in_three_days = slot_at(world.alice, TODAY + timedelta(days=3))
    response = client_for(world.alice_user).get(log_url(world.alice, in_three_days))
    page = response.content.decode()
    assert "The dose due Sat 28 Nov, 08:00 cannot be logged yet: you can log it from Sat 28 Nov, 06:00" in page
    assert response.context["target"] == slot_at(world.alice, TODAY)  # the time now counts for today's


@pytest.mark.parametrize("who,status", ACCESS.items())
def test_not_taken_page_is_only_for_those_who_may_log(world, client_for, monkeypatch, who, status):
    alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    response = client_for(world.users()[who]).get(reverse("doses:not_taken", args=[world.alice.pk, slot.pk]))
    assert response.status_code == status


def test_discard_only_accepts_post(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    assert client_for(world.alice_user).get(reverse("doses:discard", args=[world.alice.pk])).status_code == 405


def test_the_confirmation_shows_the_dose_without_a_trailing_zero(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    response = client_for(world.alice_user).post(
        log_url(world.alice), log_data(world.alice, now, dose_mg="100.0"), follow=True
    )
    assert "Dose logged: 100 mg at 10:00 today" in response.content.decode()
