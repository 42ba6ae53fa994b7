"""Issue 16, point 5 (SUPPLY-BOX): low supply is loud on Today at phone size: a banner at the top
with the run-out day, the same line under "Needs attention", no sideways scrolling, no axe problem."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from doses.models import SupplyEvent
from tests.browser.conftest import assert_accessible
from tests.conftest import start_adult_regimen


def test_SUPPLY_BOX_two_syringes_left_show_the_run_out_banner_on_a_phone(phone, url, log_in_as, world):
    start_adult_regimen(world.alice, world.carol)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=2, boxes=1)
    page = phone
    log_in_as(page, world.alice_user)
    page.goto(url("doses:today", world.alice.pk))
    banner = page.locator("#supply-banner")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("heading")).to_have_text(re.compile(r"^Syringes run out .+: order a refill now$"))
    expect(banner.get_by_role("link", name="Supply and pick-ups")).to_be_visible()
    attention = page.locator("section[aria-labelledby=attention-heading]")
    expect(attention).to_contain_text("Syringes run out")
    # The banner comes before the dose card: the first thing a person reads.
    top = page.evaluate(
        "() => [document.querySelector('#supply-banner').getBoundingClientRect().top,"
        " (document.querySelector('.dose-card') || document.body).getBoundingClientRect().top]"
    )
    assert top[0] < top[1]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
