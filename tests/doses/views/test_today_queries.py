"""Who may open the Today page, and that its cost does not grow with the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from doses.models import DoseSlot, SideEffect, SupplyEvent
from tests.conftest import start_adult_regimen
from tests.doses.log_helpers import fill_history, freeze

pytestmark = pytest.mark.django_db

EXPECTED = {
    "anonymous": 302,
    "patient": 200,
    "caregiver": 200,
    "clinician": 200,
    "other_clinician": 404,
    "revoked_caregiver": 404,
    "stranger": 404,
}


@pytest.mark.parametrize("who,status", EXPECTED.items())
def test_today_page_is_seen_only_by_alices_circle(world, alice_on_regimen, client_for, who, status):
    response = client_for(world.users()[who]).get(reverse("doses:today", args=[world.alice.pk]))
    assert response.status_code == status
    if status == 404:
        assert b"Alice" not in response.content


def test_a_clinician_sees_the_page_without_logging_buttons(world, client_for, monkeypatch):
    # 08:30 in London, while the 08:00 dose is open (at night it is past its cut-off, MISS-SKIP).
    morning = world.alice.local_now().replace(hour=8, minute=30, second=0, microsecond=0)
    freeze(monkeypatch, morning)
    start_adult_regimen(world.alice, world.carol, now=morning)
    page = client_for(world.carol).get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert "Log this dose" not in page
    assert "Log an injection" not in page
    caregiver_page = client_for(world.bob).get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert "Log this dose" in caregiver_page


def _patient_with_history(world, patient, user, days: int, now):
    start_adult_regimen(patient, world.carol, starts_on=patient.local_today(now) - timedelta(days=days), now=now)
    past = list(DoseSlot.objects.filter(patient=patient, scheduled_at__lt=now - timedelta(hours=12)))
    fill_history(patient, user, past)
    SupplyEvent.objects.create(patient=patient, kind=SupplyEvent.Kind.PICKUP, syringes=7 * (days // 7 + 2))
    for _ in range(days // 20):
        SideEffect.objects.create(patient=patient, symptom="rash", started_on=patient.local_today(now), is_serious=True)
    return len(past)


def _count_today_queries(client, patient) -> int:
    url = reverse("doses:today", args=[patient.pk])
    client.get(url)  # the first visit may create the coming doses
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_today_page_queries_do_not_grow_with_the_length_of_the_history(world, client_for, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = freeze(monkeypatch, datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Europe/London")))
    short = _patient_with_history(world, world.alice, world.alice_user, 10, now)
    long = _patient_with_history(world, world.zoe, world.zoe.account, 200, now)
    assert (short, long) == (10, 200)
    few = _count_today_queries(client_for(world.alice_user), world.alice)
    many = _count_today_queries(client_for(world.zoe.account), world.zoe)
    assert few == many
    assert many <= 20


def _count_log_page_queries(client, patient) -> int:
    url = reverse("doses:log", args=[patient.pk])
    client.get(url)  # the first visit may create the coming doses
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_log_page_queries_do_not_grow_with_the_length_of_the_history(world, client_for, monkeypatch):
    """The log page asks doses/schedule.py for windows and spacing: a fixed cost, however long the record."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = freeze(monkeypatch, datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Europe/London")))
    assert _patient_with_history(world, world.alice, world.alice_user, 10, now) == 10
    assert _patient_with_history(world, world.zoe, world.zoe.account, 200, now) == 200
    few = _count_log_page_queries(client_for(world.alice_user), world.alice)
    many = _count_log_page_queries(client_for(world.zoe.account), world.zoe)
    assert few == many
    assert many <= 18  # 16 on PostgreSQL today: sign-in, access, slots, windows, spacing, supply, holds
