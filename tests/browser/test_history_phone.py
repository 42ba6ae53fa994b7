"""Issue 16, point 6: the history on a phone. The patient page, the report and the panel, for a
patient with a year of history, never scroll sideways at 390x844; the calendar and the weekly
chart open on the newest week (their box is scrolled to its right end) on a phone and a desktop;
the panel is cards on a phone and a table on a desktop. Point 10: the report's Print button."""

from __future__ import annotations

from datetime import timedelta

import pytest

from doses.services import summaries as summary_services
from tests.browser.conftest import assert_accessible, screenshot
from tests.doses.dashboard_history import build_history

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_WIDTH = 390


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def wide_elements(page) -> list[str]:
    """What sticks out past the viewport outside a sideways-scrolling box (for the failure message)."""
    return page.evaluate(
        """() => {
        const clipped = el => { for (let p = el.parentElement; p; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
        return Array.from(document.querySelectorAll('body *'))
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(el))
            .slice(0, 12).map(el => el.tagName + '#' + el.id + '.' + (el.getAttribute('class') || '')
                + ' ' + Math.round(el.getBoundingClientRect().right));
        }"""
    )


def newest_week_in_view(page, chart: str) -> bool:
    """Is the chart's last column (the newest week) inside its scrolling box's visible part?"""
    return page.evaluate(
        """(chart) => {
        const svg = document.querySelector(chart);
        const box = svg.closest('.chart-scroll').getBoundingClientRect();
        const marks = svg.querySelectorAll('g.cal-day use, g.bar rect, g.bar text');
        const last = Array.from(marks).map(el => el.getBoundingClientRect())
            .reduce((a, b) => (b.right > a.right ? b : a));
        return last.left >= box.left - 1 && last.right <= box.right + 1;
        }""",
        chart,
    )


@pytest.fixture
def year_of_history(world):
    build_history(world.alice, world.carol, days=365)
    summary_services.refresh_adherence_summaries(patient_ids=[world.alice.pk])
    return world


def a_year(world) -> str:
    today = world.alice.local_today()
    return f"?start={today - timedelta(days=365)}&end={today}"


@pytest.mark.parametrize("who", ["alice_user", "bob", "carol"])
@pytest.mark.parametrize("page_name", ["doses:patient", "doses:report"])
def test_the_patient_page_and_the_report_never_scroll_sideways_on_a_phone(
    phone, url, log_in_as, year_of_history, who, page_name
):
    log_in_as(phone, getattr(year_of_history, who))
    phone.goto(url(page_name, year_of_history.alice.pk) + a_year(year_of_history))
    width = page_width(phone)
    assert width <= PHONE_WIDTH, f"{page_name} is {width} px wide at {PHONE_WIDTH} px: {wide_elements(phone)}"


def test_the_panel_is_cards_on_a_phone_not_a_clipped_table(phone, url, log_in_as, year_of_history):
    log_in_as(phone, year_of_history.carol)
    phone.goto(url("doses:panel"))
    width = page_width(phone)
    assert width <= PHONE_WIDTH, f"the panel is {width} px wide at {PHONE_WIDTH} px: {wide_elements(phone)}"
    row = phone.locator(".panel-table tbody tr").filter(has_text="Alice Example")
    # Nothing of the row is cut off: the table fits its box, and each figure says what it is.
    assert phone.evaluate(
        "() => { const t = document.querySelector('.panel-table'); return t.scrollWidth <= t.parentElement.clientWidth; }"
    )
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    for label in ("Needs attention", "Doses logged, 30 / 90 days", "Days covered (PDC)", "Supply left"):
        cell = row.locator(f'td[data-label="{label}"]')
        assert cell.is_visible()
        assert cell.evaluate("td => getComputedStyle(td, '::before').content").strip('"').startswith(label)
    assert_accessible(phone)
    screenshot(phone, "history-panel-phone")


def test_the_panel_stays_a_table_on_a_desktop(desktop, url, log_in_as, year_of_history):
    log_in_as(desktop, year_of_history.carol)
    desktop.goto(url("doses:panel"))
    assert desktop.locator(".panel-table tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "table-row"
    assert desktop.locator(".panel-table thead").is_visible()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_calendar_and_weekly_chart_open_on_the_newest_week(request, url, log_in_as, year_of_history, size):
    page = request.getfixturevalue(size)
    log_in_as(page, year_of_history.alice_user)
    page.goto(url("doses:patient", year_of_history.alice.pk) + a_year(year_of_history))
    box = page.locator("#sec-calendar ~ .chart-scroll")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "a year's calendar is wider than the page"
    assert box.evaluate("b => b.scrollLeft > 0")
    assert newest_week_in_view(page, "svg.chart-calendar")
    assert newest_week_in_view(page, "svg.chart-weekly")
    assert_accessible(page)
    if size == "phone":
        screenshot(page, "history-patient-phone")


def test_the_report_has_a_print_button_that_prints(phone, url, log_in_as, year_of_history):
    log_in_as(phone, year_of_history.bob)
    phone.goto(url("doses:report", year_of_history.alice.pk))
    button = phone.get_by_role("button", name="Print or save as PDF")
    assert button.is_visible()
    phone.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button.click()
    assert phone.evaluate("() => window.printed") == 1
    # Not on the paper: the print stylesheet hides it.
    phone.emulate_media(media="print")
    assert not button.is_visible()
    phone.emulate_media(media="screen")
    assert_accessible(phone)
