"""The patient page's ABC adherence measures (templates/doses/dashboard/_adherence_abc.html):
the numbers from a fixed history, each measure defined in words, and a page that stays fresh."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from doses.models import DoseSlot, SlotStatus
from tests.doses.dashboard_history import build_history
from tests.doses.log_helpers import freeze

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def _text(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</dd>', html, re.S)
    assert match, testid
    return " ".join(match.group(1).split())


def _history(world, monkeypatch):
    """alice (London), 100 mg at 08:00 from Wed 18 Nov; the clock stands at Wed 25 Nov 20:00.
    Eight doses, 18..25 Nov:  T  L  M  M  T  N  T  T  (T taken 10 min after, L 3 hours after).
    Timing: due 8, logged 5 (T L T T T), within ±2 h: 4 (not L) -> 50%, 1 outside the window.
    Drug holidays: 20-21 Nov (2 missed) is one; 23 Nov (1 not taken) is not -> 1, longest 2.
    Persistence: first dose 18 Nov, no 30-day gap -> 18..25 Nov = 8 days, persisting.
    Initiation: prescribed from 18 Nov, first dose 18 Nov -> on the start day."""
    now = freeze(monkeypatch, datetime(2026, 11, 25, 20, 0, tzinfo=LONDON))
    build_history(world.alice, world.carol, days=7, now=now, pattern="TLMMTNTT")
    assert DoseSlot.objects.filter(patient=world.alice, scheduled_at__lte=now).count() == 8
    return now


def test_the_patient_page_shows_timing_adherence_drug_holidays_persistence_and_initiation(
    world, client_for, monkeypatch
):
    _history(world, monkeypatch)
    html = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    assert "Adherence as clinicians measure it (ABC taxonomy)" in html
    assert _text(html, "abc-timing") == "50%"
    assert "4 of 8 doses due logged within ±2 h of the scheduled time; 1 logged outside that window" in html
    assert _text(html, "abc-holidays") == "1"
    assert "Longest: 2 doses in a row, 20 Nov 2026 to 21 Nov 2026" in html
    assert _text(html, "abc-persistence") == "8 days, persisting"
    assert "Since the first dose on 18 Nov 2026; no gap of 30 days without a dose" in html
    assert _text(html, "abc-initiation") == "On the start day"


def test_each_measure_is_defined_in_words_with_its_window_and_its_gap(world, client_for, monkeypatch):
    _history(world, monkeypatch)
    html = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    for words in (
        "no more than 2 hours before or after the scheduled time",
        "Runs of 2 or more scheduled doses in a row missed or not taken",
        "a gap of 30 days without a dose, which is counted as the end of treatment",
        "Vrijens et al., Br J Clin Pharmacol 2012",
        "Cramer et al., Value Health 2008",
        "The days from the start of the first prescription to the first dose logged, not counting days on hold.",
    ):
        assert words in html


def test_the_printable_report_shows_the_measures_with_their_definitions_open(world, client_for, monkeypatch):
    _history(world, monkeypatch)
    html = client_for(world.carol).get(reverse("doses:report", args=[world.alice.pk])).content.decode()
    assert _text(html, "abc-timing") == "50%"
    assert '<details class="small mb-0" open>' in html


def test_a_dose_marked_after_the_page_was_shown_changes_the_measures(world, client_for, monkeypatch):
    """The fragment is cached under the record version. 24 Nov (T) marked missed:
    T L M M T N M T -> 23 Nov N and 24 Nov M are a second holiday (2), and on time
    18, 22, 25 Nov = 3 of 8 = 37.5%, shown as 38%."""
    _history(world, monkeypatch)
    client = client_for(world.carol)
    url = reverse("doses:patient", args=[world.alice.pk])
    client.get(url)
    slot = DoseSlot.objects.get(patient=world.alice, local_date="2026-11-24")
    slot.injection.delete()
    slot.status = SlotStatus.MISSED
    slot.save()
    html = client.get(url).content.decode()
    assert _text(html, "abc-holidays") == "2"
    assert _text(html, "abc-timing") == "38%"


def test_the_measures_cost_one_query_however_long_the_record(world, client_for, monkeypatch):
    """Counted directly: the ABC selector reads the whole record in one query (10 or 200 days)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from doses.selectors import adherence_abc
    from doses.selectors import patient_page as patient_page_selectors
    from tests.conftest import make_patient

    now = freeze(monkeypatch, datetime(2026, 11, 25, 20, 0, tzinfo=LONDON))
    counts = []
    for days in (10, 200):
        patient = make_patient(f"{days} days")
        build_history(patient, world.carol, days=days, now=now)
        date_range = patient_page_selectors.parse_date_range(None, None, today=patient.local_today(now))
        records = patient_page_selectors.patient_records(patient, date_range, now=now)
        with CaptureQueriesContext(connection) as queries:
            measures = adherence_abc.abc_measures(records, now=now)
        counts.append(len(queries))
        assert measures.persistence.first_dose_on == patient.local_today(now) - timedelta(days=days)
    assert counts == [1, 1]
