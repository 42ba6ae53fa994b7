"""MISS-NODOUBLE: never two doses in one dose window, whatever the route.

The form refuses it, a double POST gets one dose, the database constraint refuses a
second row, and two people logging at the same moment on PostgreSQL still end with one.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from doses.models import DoseSlot, Injection, SlotStatus, SupplyEvent
from doses.services import injections as injection_services
from doses.services import refusals
from tests.doses.log_helpers import alice_in_new_york, log_data, slot_at

TODAY = date(2026, 11, 25)


def log_url(patient) -> str:
    return reverse("doses:log", args=[patient.pk])


@pytest.mark.django_db
def test_MISS_NODOUBLE_the_form_refuses_a_second_dose_in_the_window_and_says_why(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client_for(world.alice_user).post(log_url(world.alice), log_data(world.alice, now - timedelta(hours=2)))
    # Later, bob does not know and logs it again, with a different time in the same window.
    response = client_for(world.bob).post(
        log_url(world.alice), log_data(world.alice, now, injected_by="other", site_spot="thigh-left-1")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The dose due 08:00 today is already logged." in page
    assert "It was taken at 08:00 today, logged by Alice Example." in page
    assert "Never take a double dose to make up for a missed one." in page
    assert "MISS-NODOUBLE" in page  # the rule, in the "Why?"
    assert Injection.objects.filter(slot=slot_at(world.alice, TODAY)).count() == 1
    assert SupplyEvent.objects.filter(patient=world.alice).count() == 1


@pytest.mark.django_db
def test_MISS_NODOUBLE_the_log_page_warns_before_anything_is_typed(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client = client_for(world.alice_user)
    client.post(log_url(world.alice), log_data(world.alice, now))
    page = client.get(log_url(world.alice)).content.decode()
    # The dose due is logged: "Done for today", not the form (MISS-NODOUBLE).
    assert "Done for today" in page and "Never take a double dose" in page
    assert 'id="log-form"' not in page


@pytest.mark.django_db
def test_MISS_NODOUBLE_a_double_post_gives_one_dose(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    client = client_for(world.alice_user)
    data = log_data(world.alice, now)
    first = client.post(log_url(world.alice), data)
    second = client.post(log_url(world.alice), data)
    assert (first.status_code, second.status_code) == (302, 200)
    assert "MISS-NODOUBLE" in second.content.decode()
    assert Injection.objects.filter(patient=world.alice).count() == 1
    assert slot_at(world.alice, TODAY).status == SlotStatus.TAKEN


@pytest.mark.django_db
def test_MISS_NODOUBLE_the_service_refuses_a_slot_already_taken(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    injection_services.record_injection(slot=slot, taken_at=now, site_spot="abdomen-left-1", by=world.alice_user, now=now)
    with pytest.raises(refusals.DoseRefused) as refused:
        injection_services.record_injection(slot=slot, taken_at=now, site_spot="thigh-left-1", by=world.bob, now=now)
    assert refused.value.rule_id == "MISS-NODOUBLE"


@pytest.mark.django_db
def test_MISS_NODOUBLE_the_database_refuses_a_second_injection_row_for_a_slot(world, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    slot = slot_at(world.alice, TODAY)
    row = dict(slot=slot, patient=world.alice, taken_at=now, dose_mg=100, site_spot="abdomen-left-1")
    Injection.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Injection.objects.create(**row)
    assert Injection.objects.filter(slot=slot).count() == 1


def _race(workers) -> list:
    """Run the callables at the same moment, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.concurrency
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_MISS_NODOUBLE_two_concurrent_transactions_on_postgres_give_one_dose(world, on_postgres, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    slot_id = slot_at(world.alice, TODAY).pk

    def log_as(user, spot):
        def work():
            slot = DoseSlot.objects.get(pk=slot_id)
            return injection_services.record_injection(slot=slot, taken_at=now, site_spot=spot, by=user, now=now)

        return work

    results = _race([log_as(world.alice_user, "abdomen-left-1"), log_as(world.bob, "thigh-left-1")])
    given = [r for r in results if isinstance(r, Injection)]
    refused = [r for r in results if isinstance(r, refusals.DoseRefused)]
    assert (len(given), len(refused)) == (1, 1), results
    assert refused[0].rule_id == "MISS-NODOUBLE"
    assert Injection.objects.filter(slot_id=slot_id).count() == 1
    assert SupplyEvent.objects.filter(patient=world.alice, kind=SupplyEvent.Kind.DOSE).count() == 1


@pytest.mark.concurrency
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_MISS_NODOUBLE_two_caregivers_submitting_at_once_on_postgres_give_one_dose(world, on_postgres, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)

    def post_as(user, spot, injected_by):
        def work():
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            data = log_data(world.alice, now, site_spot=spot, injected_by=injected_by)
            return client.post(log_url(world.alice), data).status_code

        return work

    statuses = _race([post_as(world.alice_user, "abdomen-left-1", "self"), post_as(world.bob, "arm-left-1", "other")])
    assert sorted(statuses) == [200, 302], statuses
    assert Injection.objects.filter(slot=slot_at(world.alice, TODAY)).count() == 1


@pytest.mark.concurrency
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_MISS_NODOUBLE_the_constraint_holds_even_without_the_row_lock_on_postgres(world, on_postgres, monkeypatch):
    """Two raw inserts at once, bypassing the service: the one-to-one still lets only one in."""
    now = alice_in_new_york(world, monkeypatch)
    slot_id = slot_at(world.alice, TODAY).pk

    def insert():
        with transaction.atomic():
            return Injection.objects.create(
                slot_id=slot_id, patient=world.alice, taken_at=now, dose_mg=100, site_spot="abdomen-left-1"
            )

    results = _race([insert, insert])
    assert sum(isinstance(r, Injection) for r in results) == 1
    assert sum(isinstance(r, IntegrityError) for r in results) == 1
    assert Injection.objects.filter(slot_id=slot_id).count() == 1
