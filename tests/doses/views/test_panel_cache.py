"""The clinician panel is cached under the panel's version (doses/record_version.py,
panel_current): a second look with no write reads none of the panel, and every write that
changes what it shows (a summary row marked stale or refreshed, a profile, a circle) or a
row expiring with time shows on the next look."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companion import services as companion_services
from companion.models import CareMembership, CareRole
from doses.models import PatientAdherenceSummary
from doses.services import summaries as summary_services
from tests.conftest import link, make_patient
from tests.doses.dashboard_history import build_history
from tests.doses.log_helpers import freeze

UPDATING = "updating: a new entry is being added to these figures"
PANEL_READ = 'SELECT COUNT("companion_patient"."id") AS "total"'  # how the panel's counts query begins


def _view(client, **query) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("doses:panel"), query)
    assert response.status_code == 200
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())  # one per request
    return html, [q["sql"] for q in captured.captured_queries]


def _read_the_panel(sql: list[str]) -> bool:
    return any(q.startswith(PANEL_READ) for q in sql)


@pytest.fixture
def carols_panel(world, memory_broker):
    build_history(world.alice, world.carol, days=20)
    summary_services.refresh_adherence_summaries()
    return world


def test_a_second_look_at_an_unchanged_panel_is_served_from_the_cache(carols_panel, client_for):
    client = client_for(carols_panel.carol)
    first_html, first_sql = _view(client)
    second_html, second_sql = _view(client)
    assert second_html == first_html and "Alice Example" in second_html
    assert _read_the_panel(first_sql) and not _read_the_panel(second_sql)
    assert len(second_sql) < len(first_sql)


def test_each_sort_filter_and_page_is_its_own_fragment(carols_panel, client_for):
    client = client_for(carols_panel.carol)
    _view(client)
    by_name, sql = _view(client, sort="name")
    assert _read_the_panel(sql) and 'aria-current="true">Patient</a>' in by_name
    nobody, sql = _view(client, q="Nobody by this name")
    assert _read_the_panel(sql) and "No patient matches these filters" in nobody


def test_another_clinician_never_gets_carols_panel(carols_panel, client_for):
    _view(client_for(carols_panel.carol))
    html, _sql = _view(client_for(carols_panel.mallory))
    assert "Alice Example" not in html and "No patients in your panel yet" in html


def _stale_mark(world):
    summary_services.refresh_adherence_summary_on_commit(world.alice.pk)  # what every write to the record does
    return UPDATING


def _worker_refresh(world):
    PatientAdherenceSummary.objects.filter(patient=world.alice).update(missed_run=97)  # an old figure
    _stale_mark(world)
    summary_services.refresh_stale_summaries(patient_id=world.alice.pk)  # the worker's task
    return "Alice Example"


def _renamed(world):
    world.alice.display_name = "Alice Renamed"
    world.alice.save()
    return "Alice Renamed"


def _new_patient_linked(world):
    newcomer = make_patient("Nora Newcomer")
    link(newcomer, world.carol, CareRole.CLINICIAN)  # no summary row yet: the panel makes one
    return "Nora Newcomer"


WRITES = {
    "a write marks the summary stale": _stale_mark,
    "the worker refreshes the summary": _worker_refresh,
    "the patient is renamed": _renamed,
    "a new patient links the clinician": _new_patient_linked,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_shows_on_the_next_look_at_the_panel(carols_panel, client_for, write):
    client = client_for(carols_panel.carol)
    _view(client)
    before, _ = _view(client)  # cached now
    expected = write(carols_panel)
    after, sql = _view(client)
    assert _read_the_panel(sql), "the panel was read again"
    assert expected in after
    if write is _worker_refresh:
        assert UPDATING not in after and '<td class="text-end">97</td>' not in after
    else:
        assert expected not in before


def test_a_clinician_removed_from_the_circle_no_longer_sees_the_patient_on_the_next_look(carols_panel, client_for):
    world = carols_panel
    client = client_for(world.carol)
    before, _ = _view(client)
    membership = CareMembership.objects.get(patient=world.alice, user=world.carol, revoked_at__isnull=True)
    companion_services.revoke_membership(membership=membership, by=world.alice_user)  # an update: no model signal
    after, sql = _view(client)
    assert "Alice Example" in before
    assert "Alice Example" not in after and "No patients in your panel yet" in after


def test_a_summary_expiring_with_time_is_refreshed_on_the_next_look(carols_panel, client_for, monkeypatch):
    client = client_for(carols_panel.carol)
    _view(client)
    row = PatientAdherenceSummary.objects.get(patient=carols_panel.alice)
    freeze(monkeypatch, row.valid_until - timedelta(seconds=1))
    _html, sql = _view(client)
    assert not _read_the_panel(sql), "nothing has expired yet"
    freeze(monkeypatch, row.valid_until)
    _html, sql = _view(client)
    assert _read_the_panel(sql)
    assert PatientAdherenceSummary.objects.get(patient=carols_panel.alice).refreshed_at == row.valid_until
