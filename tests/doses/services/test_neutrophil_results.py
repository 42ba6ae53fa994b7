"""AE-NEUTROPENIA (issue 15, part 2): a baseline count below 1.5 x 10^9/L holds the start and alerts;
a count below that during treatment alerts the clinician at once; 1.5 or more changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from doses import sites
from doses.models import CareAlert, DoseSlot, HoldReason, LabTest, SlotStatus, TreatmentHold
from doses.selectors.panel import compute_adherence_summaries
from doses.services import injections as injection_services
from doses.services import records as record_services
from reminders.dispatch import URGENT_ALERT_KINDS
from tests.conftest import start_adult_regimen


def enter(world, label: str, count: str, *, now=None):
    lab = LabTest.objects.get(patient=world.alice, label=label)
    return record_services.record_lab_result(
        lab_test=lab, done_on=world.alice.local_today(now), neutrophils_10e9_per_l=Decimal(count), by=world.bob, now=now
    )


def test_AE_NEUTROPENIA_a_baseline_below_1_5_holds_the_start_pending_review_and_alerts(world):
    starts_on = world.alice.local_today() + timedelta(days=5)
    start_adult_regimen(world.alice, world.carol, starts_on=starts_on)
    enter(world, "Before starting", "1.2")
    hold = TreatmentHold.objects.open().get(patient=world.alice)
    assert hold.is_automatic and hold.pending_review
    assert (hold.rule_id, hold.reason, hold.trigger) == ("AE-NEUTROPENIA", HoldReason.LOW_NEUTROPHILS, "lab_result")
    alert = CareAlert.objects.get(patient=world.alice)
    assert alert.kind == CareAlert.Kind.TREATMENT_HOLD and alert.rule_id == "AE-NEUTROPENIA"
    assert "below 1.5" in alert.summary
    # The first doses are held: none is due until the clinician reviews it.
    first = DoseSlot.objects.filter(patient=world.alice, local_date=starts_on).get()
    assert first.status == SlotStatus.HELD


def test_AE_NEUTROPENIA_a_count_below_1_5_during_treatment_alerts_the_clinician_at_once(world):
    now = datetime.now(UTC)
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today(now) - timedelta(days=3))
    slot = DoseSlot.objects.filter(patient=world.alice, scheduled_at__lte=now).order_by("-scheduled_at").first()
    injection_services.record_injection(
        slot=slot, taken_at=slot.scheduled_at, site_spot=sites.allowed_spots(False)[0], by=world.alice_user
    )
    enter(world, "Month 1", "1.1")
    alert = CareAlert.objects.get(patient=world.alice)
    assert alert.kind == CareAlert.Kind.LOW_NEUTROPHILS and alert.rule_id == "AE-NEUTROPENIA"
    assert "during treatment" in alert.summary
    assert alert.kind in URGENT_ALERT_KINDS  # "at once": quiet hours do not defer it
    assert not TreatmentHold.objects.filter(patient=world.alice).exists()  # the clinician decides
    summary = compute_adherence_summaries([world.alice], timezone.now())[world.alice.pk]
    assert "neutropenia" in summary.flags


def test_AE_NEUTROPENIA_a_count_of_1_5_or_more_raises_nothing(world):
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today() + timedelta(days=5))
    enter(world, "Before starting", "1.5")
    assert not CareAlert.objects.exists() and not TreatmentHold.objects.exists()


def test_AE_LABS_the_baseline_test_is_scheduled_the_day_before_the_first_dose(world):
    start_adult_regimen(world.alice, world.carol, starts_on=date(2026, 12, 10))
    baseline = LabTest.objects.get(patient=world.alice, label="Before starting")
    assert baseline.due_on == date(2026, 12, 9)
