"""Logging a dose through the page: a fixed, small number of queries however long the record,
the panel summary left to the worker, and a refused second row a page, never a 500."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from doses.models import DoseSlot, Injection, PatientAdherenceSummary, SlotStatus
from doses.services import summaries as summary_services
from tests.doses.log_helpers import freeze, log_data
from tests.doses.views.test_today_queries import _patient_with_history

pytestmark = pytest.mark.django_db

# Counted inside the test's transaction, so the request's own atomic block (companion/audit.py)
# shows as a SAVEPOINT / RELEASE pair that a real request does not send (BEGIN and COMMIT are not
# counted there): 15 statements in production. Listed in the README (issue 18): the session, the
# user, the access, the spots (SITE-ROTATE), the service's savepoint, the patient lock, what the dose asks of
# the record in one statement (a hold, the syringes on hand, a syringe out of the fridge), the
# regimen versions and the slots (locked), the injection, the slot, the supply, the summary
# marked stale, the release, the audit row.
DOSE_POST_QUERIES = 17


def _count_dose_post(client, patient, now, django_capture_on_commit_callbacks) -> tuple[int, list[str]]:
    url = reverse("doses:log", args=[patient.pk])
    client.get(url)  # the form, as a browser shows it first (it also makes the coming doses)
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=True):  # what the commit does is counted too
            response = client.post(url, log_data(patient, now - timedelta(minutes=30)))
    assert response.status_code == 302, response.content.decode()[:2000]
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_a_dose_logged_makes_the_same_few_queries_for_10_and_200_days_of_history(
    world, client_for, monkeypatch, memory_broker, django_capture_on_commit_callbacks
):
    now = freeze(monkeypatch, datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Europe/London")))
    assert _patient_with_history(world, world.alice, world.alice_user, 10, now) == 10
    assert _patient_with_history(world, world.zoe, world.zoe.account, 200, now) == 200
    summary_services.refresh_adherence_summaries(now=now)
    few, _ = _count_dose_post(client_for(world.alice_user), world.alice, now, django_capture_on_commit_callbacks)
    many, sql = _count_dose_post(client_for(world.zoe.account), world.zoe, now, django_capture_on_commit_callbacks)
    assert few == many
    assert many <= DOSE_POST_QUERIES, "\n".join(sql)
    # The summary is not refreshed in the request: marked stale, and one task published for each patient.
    assert not any("INSERT INTO \"doses_patientadherencesummary\"" in q for q in sql)
    assert PatientAdherenceSummary.objects.filter(stale_since__isnull=False).count() == 2
    published = memory_broker.published()
    assert sorted(m["args"][0] for m in published) == sorted([world.alice.pk, world.zoe.pk])
    assert Injection.objects.filter(patient__in=[world.alice, world.zoe], logged_at=now).count() == 2


def test_MISS_NODOUBLE_a_second_injection_row_refused_by_the_database_is_a_page_not_a_500(
    world, client_for, monkeypatch, memory_broker
):
    """A dose row written behind the service's back (the slot still pending): the one-to-one
    refuses the second row, the service says so, and the page is shown again in a usable transaction."""
    now = freeze(monkeypatch, datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Europe/London")))
    _patient_with_history(world, world.alice, world.alice_user, 3, now)
    client = client_for(world.alice_user)
    url = reverse("doses:log", args=[world.alice.pk])
    client.get(url)
    slot = DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.PENDING, scheduled_at__lte=now).latest(
        "scheduled_at"
    )
    Injection.objects.create(
        slot=slot, patient=world.alice, taken_at=slot.scheduled_at, dose_mg=100, site_spot="thigh-left-1"
    )
    response = client.post(url, log_data(world.alice, now - timedelta(minutes=30)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This dose is already logged." in page and "MISS-NODOUBLE" in page  # the rule, in the "Why?"
    assert Injection.objects.filter(slot=slot).count() == 1
    assert DoseSlot.objects.get(pk=slot.pk).status == SlotStatus.PENDING  # nothing of the refused dose kept
