"""Issue 16, point 6: the history on a phone. The patient page, the report and the panel of a
patient with a year of history never scroll sideways at 390x844; the calendar opens on the
newest week; side effects and injection sites read as words, each linked to its details; the
report has a Print button (point 10)."""

from __future__ import annotations

import pytest

from tests.doses.dashboard_history import build_history

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 365


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def wide_elements(page) -> list[str]:
    """What sticks out past the viewport (for the failure message)."""
    return page.evaluate(
        """() => {
        const clipped = el => { for (let p = el.parentElement; p; p = p.parentElement) {
            const o = getComputedStyle(p).overflowX; if (o !== 'visible') return true; } return false; };
        return Array.from(document.querySelectorAll('body *'))
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(el))
            .slice(0, 12).map(el => el.tagName + '#' + el.id + '.' + (el.getAttribute('class') || '') + ' ' + Math.round(el.getBoundingClientRect().right));
        }"""
    )


@pytest.fixture
def year_of_history(world):
    build_history(world.alice, world.carol, days=YEAR)
    return world


@pytest.mark.parametrize("who", ["alice_user", "carol"])
@pytest.mark.parametrize("page_name", ["doses:patient", "doses:report"])
def test_the_patient_page_and_report_never_scroll_sideways_on_a_phone(phone, url, log_in_as, year_of_history, who, page_name):
    log_in_as(phone, getattr(year_of_history, who))
    phone.goto(url(page_name, year_of_history.alice.pk) + "?start=" + (year_of_history.alice.local_today().replace(year=year_of_history.alice.local_today().year - 1)).isoformat())
    width = page_width(phone)
    assert width <= 390, f"{page_name} is {width} px wide at 390 px: {wide_elements(phone)}"
