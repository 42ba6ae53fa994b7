"""Side-effect services: record, resolve, and flag persistent site reactions (AE-*)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from doses.models import CareAlert, SideEffect
from doses.services import injections as injection_services
from doses.services import records as record_services
from doses.services import refusals
from reminders.models import Delivery

pytestmark = pytest.mark.django_db


def log(world, symptom="headache", severity="mild", days_ago=0, **extra):
    return record_services.record_side_effect(
        patient=world.alice,
        symptom=symptom,
        severity=severity,
        started_on=world.alice.local_today() - timedelta(days=days_ago),
        by=world.bob,
        **extra,
    )


def test_AE_SERIOUS_serious_symptom_is_stored_as_serious_with_an_alert(world):
    recorded = log(world, "cough_wheeze_chest")
    assert recorded.side_effect.is_serious
    assert recorded.alert.kind == CareAlert.Kind.SERIOUS_SYMPTOM
    assert recorded.alert.rule_id == "AE-SERIOUS"
    assert recorded.alert.side_effect == recorded.side_effect
    assert "Cough, wheezing or chest pain" in recorded.alert.summary


def test_AE_SERIOUS_the_alert_is_handed_to_reminders_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        recorded = log(world, "fever")
    # Nothing is queued before the commit (a rolled-back write would leave no e-mail behind)...
    assert not Delivery.objects.filter(subject_key=f"alert:{recorded.alert.pk}").exists()
    for callback in callbacks:
        callback()
    # ...and on commit the care team's e-mail is queued for the alert (reminders/notify.py).
    assert Delivery.objects.filter(subject_key=f"alert:{recorded.alert.pk}").exists()


def test_AE_COMMON_common_symptom_raises_no_alert(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recorded = log(world, "nausea")
    assert recorded.alert is None and not recorded.side_effect.is_serious
    assert not CareAlert.objects.filter(patient=world.alice).exists()
    assert not Delivery.objects.filter(subject_key__startswith="alert:").exists()


def test_AE_OVERDOSE_overdose_alert_cites_the_overdose_rule(world):
    recorded = log(world, "overdose")
    assert recorded.alert.rule_id == "AE-OVERDOSE"
    assert recorded.triage.headline == "Call poison control now"


def test_AE_ALLERGY_allergic_reaction_is_an_emergency_alert(world):
    recorded = log(world, "allergic_reaction", "severe")
    assert recorded.triage.is_emergency
    assert recorded.alert.summary.startswith("Emergency")


def test_rash_linked_to_an_injection_is_a_site_reaction_but_alone_is_not(world, alice_on_regimen):
    slot = world.alice.slots.order_by("scheduled_at").first()
    injection = injection_services.record_injection(
        slot=slot, taken_at=slot.scheduled_at, site_spot="thigh-left-2", by=world.alice_user
    )
    linked = log(world, "rash", injection=injection).side_effect
    alone = log(world, "rash").side_effect
    assert linked.is_site_reaction and not alone.is_site_reaction
    assert linked.is_serious and alone.is_serious


@pytest.mark.parametrize(
    "kwargs,field,message",
    [
        ({"symptom": "made_up"}, "symptom", "not a symptom on the list"),
        ({"days_ago": -1}, "started_on", "cannot be in the future"),
        ({"symptom": "other"}, "description", "Describe the symptom"),
        ({"symptom": "other", "description": "y" * 501}, "description", "500 characters"),
        ({"severity": "extreme"}, "severity", "mild, moderate or severe"),
    ],
)
def test_bad_input_is_refused_and_saves_nothing(world, kwargs, field, message):
    with pytest.raises(refusals.RecordRefused) as refused:
        log(world, **kwargs)
    assert refused.value.field == field and message in str(refused.value)
    assert not SideEffect.objects.exists() and not CareAlert.objects.exists()


def test_start_date_is_the_patients_local_today(world):
    # 23:30 on 1 March in Los Angeles is already 2 March in UTC: 2 March is still "the future".
    world.alice.time_zone = "America/Los_Angeles"
    world.alice.save()
    now = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    with pytest.raises(refusals.RecordRefused):
        record_services.record_side_effect(
            patient=world.alice,
            symptom="headache",
            severity="mild",
            started_on=now.date(),
            by=world.bob,
            now=now,
        )


def test_resolving_twice_keeps_the_first_time(world):
    side_effect = log(world).side_effect
    first = record_services.resolve_side_effect(side_effect=side_effect, by=world.bob)
    again = record_services.resolve_side_effect(
        side_effect=side_effect, by=world.bob, resolved_at=timezone.now() + timedelta(seconds=30)
    )
    assert again.resolved_at == first.resolved_at


def test_resolving_before_it_started_is_refused(world):
    side_effect = log(world).side_effect
    with pytest.raises(refusals.RecordRefused):
        record_services.resolve_side_effect(
            side_effect=side_effect, by=world.bob, resolved_at=timezone.now() - timedelta(days=3)
        )
    side_effect.refresh_from_db()
    assert side_effect.resolved_at is None


def test_AE_ISR_DURATION_open_site_reaction_over_two_weeks_is_flagged_once(world):
    old = log(world, "site_swelling", days_ago=15).side_effect
    log(world, "site_swelling", days_ago=14)  # exactly two weeks: not yet
    log(world, "headache", days_ago=30)  # not a site reaction
    resolved = log(world, "site_pain", days_ago=20).side_effect
    record_services.resolve_side_effect(side_effect=resolved, by=world.bob)
    raised = record_services.flag_persistent_site_reactions()
    assert [a.side_effect for a in raised] == [old]
    assert raised[0].kind == CareAlert.Kind.PERSISTENT_SITE_REACTION and raised[0].rule_id == "AE-ISR-DURATION"
    assert "15 days" in raised[0].summary
    assert record_services.flag_persistent_site_reactions() == []  # a second run raises nothing
    assert CareAlert.objects.filter(kind=CareAlert.Kind.PERSISTENT_SITE_REACTION).count() == 1


def test_AE_ISR_DURATION_uses_each_patients_local_date(world):
    # Started 1 March. At 20:00 UTC on 15 March it is already 16 March in Auckland (15 days:
    # flagged) but still 15 March in Los Angeles (14 days: not yet).
    world.alice.time_zone = "Pacific/Auckland"
    world.alice.save()
    world.zoe.time_zone = "America/Los_Angeles"
    world.zoe.save()
    start = datetime(2026, 3, 1).date()
    for patient in (world.alice, world.zoe):
        SideEffect.objects.create(
            patient=patient, symptom="site_redness", started_on=start, is_site_reaction=True, logged_by=world.bob
        )
    raised = record_services.flag_persistent_site_reactions(now=datetime(2026, 3, 15, 20, 0, tzinfo=UTC))
    assert [a.patient for a in raised] == [world.alice]


@pytest.mark.concurrency
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_AE_ISR_DURATION_two_workers_at_once_raise_one_alert(world, on_postgres):
    import threading

    from django.db import connection

    for _ in range(5):
        log(world, "site_bruising", days_ago=20)
    barrier = threading.Barrier(2)
    raised: list[int] = []

    def worker():
        try:
            barrier.wait()
            raised.append(len(record_services.flag_persistent_site_reactions()))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(raised) == 5
    assert CareAlert.objects.filter(kind=CareAlert.Kind.PERSISTENT_SITE_REACTION).count() == 5
