"""The panel and the patient page cost the same number of queries for 10 or 200 patients / days."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companion.models import CareRole, User
from doses.management.commands.seed_demo import SYNTHETIC_CLINICIAN, seed_synthetic_patients
from doses.selectors import panel as panel_selectors
from tests.conftest import link, make_patient
from tests.doses.dashboard_history import build_history

PANEL_QUERIES = [
    {"sort": "attention"},
    {"sort": "name", "page": 2},
    {"sort": "adherence"},
    {"sort": "pdc"},
    {"sort": "last_dose"},
    {"age": "child", "flag": "low_adherence", "q": "Synthetic"},
    {"age": "adult", "indication": "RA", "flag": "low_adherence"},
]


def _queries(client, url, data=None) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200
    if "result" in (response.context or {}):
        assert response.context["result"].rows, f"no rows for {data}: the comparison would prove nothing"
    return [q["sql"] for q in captured.captured_queries]


def test_panel_query_count_does_not_grow_from_10_to_200_patients(db, client_for):
    rng = random.Random(3)
    seed_synthetic_patients(count=10, days=14, rng=rng)
    client = client_for(User.objects.get(email=SYNTHETIC_CLINICIAN))
    with_10 = [_queries(client, reverse("doses:panel"), query) for query in PANEL_QUERIES]
    assert seed_synthetic_patients(count=200, days=14, rng=rng) == 190  # continues after the first 10
    with_200 = [_queries(client, reverse("doses:panel"), query) for query in PANEL_QUERIES]
    for query, ten, two_hundred in zip(PANEL_QUERIES, with_10, with_200, strict=True):
        assert len(two_hundred) == len(ten), f"{query}:\n" + "\n".join(two_hundred)
        assert len(ten) <= 16, f"{query}:\n" + "\n".join(ten)


@pytest.mark.parametrize("url_name", ["doses:patient", "doses:report", "doses:export_csv", "doses:export_fhir"])
def test_patient_page_and_exports_cost_the_same_for_10_and_200_days(world, client_for, url_name):
    short, long = make_patient("Ten Days"), make_patient("Two Hundred Days")
    for patient, days in ((short, 10), (long, 200)):
        link(patient, world.carol, CareRole.CLINICIAN)
        build_history(patient, world.carol, days=days)
    client = client_for(world.carol)
    ten = _queries(client, reverse(url_name, args=[short.pk]), {"start": str(short.local_today() - timedelta(days=9))})
    two_hundred = _queries(
        client, reverse(url_name, args=[long.pk]), {"start": str(long.local_today() - timedelta(days=199))}
    )
    assert len(two_hundred) == len(ten), "\n".join(two_hundred)


def test_sql_attention_order_agrees_with_the_python_flags(db):
    """The ranking (SQL) and the reasons shown on each row (Python) are the same measure."""
    seed_synthetic_patients(count=60, days=30, rng=random.Random(5))
    clinician = User.objects.get(email=SYNTHETIC_CLINICIAN)
    pages = [panel_selectors.panel_rows(clinician, page_number=n).rows for n in (1, 2, 3)]
    scores = [row.score for rows in pages for row in rows]
    assert len(scores) == 60
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0
