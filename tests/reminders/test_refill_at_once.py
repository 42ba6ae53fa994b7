"""SUPPLY-BOX (issue 16, point 5): the dose that takes the supply below the refill threshold
queues the refill message at once (doses.signals.supply_taken, on commit -> reminders.notify),
the message gives the day of the last syringe, and the periodic refill job after it sends no
second one: one refill message per low-supply episode (until the next pick-up).

alice (London) injects daily at 08:00; Tuesday 10 March 2026."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from doses.models import SupplyEvent
from doses.services import injections as injection_services
from reminders import tasks
from reminders.models import Delivery, Kind
from tests.doses.log_helpers import freeze

from .conftest import SLOT_AT

LOGGED_AT = SLOT_AT + timedelta(minutes=10)


@pytest.fixture
def four_syringes(world, daily, settings):
    settings.REFILL_REMINDER_DAYS = 3
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=7, boxes=1)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.DOSE, syringes=-3)  # 4 days left


def log_todays_dose(world, slot, capture):
    with capture(execute=True):
        injection_services.record_injection(
            slot=slot, taken_at=SLOT_AT + timedelta(minutes=5), site_spot="abdomen-left-1", by=world.alice_user
        )


def refills():
    return [m for m in mail.outbox if "syringes" in m.subject]


def test_SUPPLY_BOX_the_dose_that_crosses_the_threshold_sends_one_refill_message_at_once(
    world, slot, four_syringes, monkeypatch, django_capture_on_commit_callbacks
):
    freeze(monkeypatch, LOGGED_AT)
    log_todays_dose(world, slot, django_capture_on_commit_callbacks)  # 3 left: 3 days, at the threshold
    (delivery,) = Delivery.objects.filter(kind=Kind.REFILL)
    assert delivery.recipient == world.alice_user and delivery.status == Delivery.Status.SENT
    (message,) = refills()
    assert message.to == ["alice@example.org"]
    # Covered: Wednesday 11, Thursday 12 and Friday 13 March.
    assert "Your last syringe is for the dose on Friday 13 March." in message.body
    assert "Your last syringe is for the dose on Friday 13 March." in message.alternatives[0][0]
    assert "in a few days" not in message.body


def test_SUPPLY_BOX_the_periodic_refill_job_after_it_sends_no_second_message(
    world, slot, four_syringes, monkeypatch, django_capture_on_commit_callbacks
):
    freeze(monkeypatch, LOGGED_AT)
    log_todays_dose(world, slot, django_capture_on_commit_callbacks)
    freeze(monkeypatch, LOGGED_AT + timedelta(minutes=15))
    tasks.dispatch_refill_reminders()
    freeze(monkeypatch, LOGGED_AT + timedelta(days=1))
    tasks.dispatch_refill_reminders()
    assert Delivery.objects.filter(kind=Kind.REFILL).count() == 1
    assert len(refills()) == 1


def test_SUPPLY_BOX_a_dose_that_leaves_the_supply_above_the_threshold_sends_nothing(
    world, slot, daily, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REFILL_REMINDER_DAYS = 3
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=7, boxes=1)
    freeze(monkeypatch, LOGGED_AT)
    log_todays_dose(world, slot, django_capture_on_commit_callbacks)  # 6 left
    assert not Delivery.objects.filter(kind=Kind.REFILL).exists()
    assert refills() == []


def test_SUPPLY_BOX_a_refill_queued_before_a_pick_up_is_not_sent_after_it(
    world, slot, four_syringes, monkeypatch, settings
):
    from reminders import dispatch

    settings.REMINDER_SEND_BATCH_SIZE = 1
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.DOSE, syringes=-1)  # 3 left: low
    freeze(monkeypatch, LOGGED_AT)
    dispatch.queue_refill_reminders(LOGGED_AT)
    SupplyEvent.objects.create(patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=14, boxes=2)
    dispatch.enqueue_ready_deliveries(LOGGED_AT)
    assert Delivery.objects.get(kind=Kind.REFILL).status == Delivery.Status.CANCELLED
    assert refills() == []
