"""The log form records what really happened, in Chromium (issue 13, part 5).

- PREP-LOOK / PREP-24H / PREP-ONCE: tapping "No" on a pre-injection check shows its advice
  at once, without submitting; a syringe is written off only after "Yes, write this syringe
  off" (the confirmation), never by the "No" alone.
- PREP-WARM / SITE-VEIN: a "No" that means "wait" or "move" shows its advice and never asks
  to write anything off.
- AE-OVERDOSE: a dose typed above the prescribed one shows the "I really injected" box at once.
"""

from __future__ import annotations

from playwright.sync_api import expect

from doses.models import Injection, SupplyEvent
from doses.services import records as record_services
from tests.browser.conftest import assert_accessible, screenshot, waiting_for

pytestmark = waiting_for("doses:log")


def _discards(patient) -> int:
    return SupplyEvent.objects.filter(patient=patient, kind=SupplyEvent.Kind.DISCARD).count()


def _open_log(page, url, log_in_as, world):
    record_services.record_pickup(patient=world.alice, boxes=1, on=world.alice.local_today(), by=world.alice_user)
    log_in_as(page, world.alice_user)
    page.goto(url("doses:log", patient_id=world.alice.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an injection")


def _answer(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


CLOUDY = "Liquid clear, nothing floating?"


def test_PREP_LOOK_tapping_no_shows_the_advice_at_once_and_the_write_off_needs_the_confirmation(
    phone, url, log_in_as, world, alice_on_regimen
):
    page = phone
    _open_log(page, url, log_in_as, world)
    address = page.url
    advice = page.locator("#id_prep_clear-advice")
    write_off = page.locator("#write-off")
    expect(advice).to_be_hidden()
    expect(write_off).to_be_hidden()

    _answer(page, CLOUDY, "No")
    # At once, on the same page: nothing was submitted, nothing written off.
    expect(advice).to_be_visible()
    expect(advice).to_contain_text("Do not use this syringe: the liquid is cloudy, discoloured")
    expect(write_off).to_be_visible()
    expect(write_off).to_contain_text("Do not use this syringe. Write it off?")
    assert page.url == address
    assert _discards(world.alice) == 0
    assert_accessible(page)
    screenshot(page, "log-prep-look-no")

    # A "No" by mistake: changing the answer takes the question away again.
    _answer(page, CLOUDY, "Yes")
    expect(advice).to_be_hidden()
    expect(write_off).to_be_hidden()

    # Only the explicit confirmation writes the syringe off, and the log starts again.
    _answer(page, CLOUDY, "No")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, write this syringe off").click()
    expect(page.get_by_role("status").filter(has_text="recorded as discarded")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an injection")
    assert _discards(world.alice) == 1
    assert record_services.syringes_on_hand(world.alice) == 6
    assert "PREP-LOOK" in SupplyEvent.objects.get(kind=SupplyEvent.Kind.DISCARD).note
    assert not Injection.objects.exists()


def test_PREP_24H_submitting_with_a_no_asks_and_writes_nothing_off(phone, url, log_in_as, world, alice_on_regimen):
    page = phone
    _open_log(page, url, log_in_as, world)
    _answer(page, "Out of fridge under 24 hours?", "No")
    expect(page.locator("#id_prep_under_24h-advice")).to_contain_text("more than 24 hours")
    for question in ["Warmed to room temperature?", CLOUDY, "No foam in it?", "A new, unused syringe?"]:
        _answer(page, question, "Yes")
    _answer(page, "Spot away from visible veins?", "Yes")
    # Submitting the log form with the "No" does not write the syringe off either.
    with page.expect_navigation():
        page.get_by_role("button", name="Log this dose").click()
    expect(page.locator("#write-off")).to_be_visible()
    assert _discards(world.alice) == 0 and not Injection.objects.exists()
    assert_accessible(page)


def test_PREP_WARM_a_cold_syringe_shows_wait_and_never_asks_to_write_it_off(
    phone, url, log_in_as, world, alice_on_regimen
):
    page = phone
    _open_log(page, url, log_in_as, world)
    _answer(page, "Warmed to room temperature?", "No")
    expect(page.locator("#id_prep_warm-advice")).to_contain_text("Wait until the syringe has warmed up")
    expect(page.locator("#write-off")).to_be_hidden()


def test_AE_OVERDOSE_typing_more_than_prescribed_shows_the_confirmation_at_once(
    morning_in_london, phone, url, log_in_as, world, alice_on_regimen
):
    page = phone
    _open_log(page, url, log_in_as, world)
    box = page.locator("#confirm-above")
    expect(box).to_be_hidden()
    page.get_by_label("Dose (mg)").fill("150")
    expect(box).to_be_visible()
    expect(box).to_contain_text("I really injected 150 mg, more than the prescribed 100 mg")
    expect(box).to_contain_text("111")  # AE-OVERDOSE: Alice lives in London (NHS 111)
    page.get_by_label("Dose (mg)").fill("100")
    expect(box).to_be_hidden()
    assert_accessible(page)
