"""raise_care_alert: every care alert is stored, and announced to reminders only once committed."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from doses import signals
from doses.models import CareAlert
from doses.services.alerts import raise_care_alert
from reminders.models import Delivery, Kind

pytestmark = pytest.mark.django_db


def alert_for(patient, kind=CareAlert.Kind.SERIOUS_SYMPTOM, rule_id="AE-SERIOUS") -> CareAlert:
    return raise_care_alert(patient=patient, kind=kind, rule_id=rule_id, summary="Fever", now=timezone.now())


def deliveries_for(alert: CareAlert):
    return Delivery.objects.filter(kind=Kind.CARE_ALERT, subject_key=f"alert:{alert.pk}")


def test_a_committed_alert_is_delivered_to_the_care_team(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alert = alert_for(world.alice)
    assert len(callbacks) == 1
    assert deliveries_for(alert).exists()


def test_an_alert_raised_in_a_transaction_that_rolls_back_queues_nothing(world, django_capture_on_commit_callbacks):
    heard = []
    signals.care_alert_raised.connect(
        lambda sender, **kwargs: heard.append(kwargs), weak=False, dispatch_uid="test_rollback"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                alert_for(world.alice)
                raise RuntimeError("the write fails after the alert")
    finally:
        signals.care_alert_raised.disconnect(dispatch_uid="test_rollback")
    assert callbacks == [] and heard == []
    assert not CareAlert.objects.exists() and not Delivery.objects.filter(kind=Kind.CARE_ALERT).exists()


def test_the_signal_carries_the_alert_id_once_committed(world, django_capture_on_commit_callbacks):
    heard = []
    signals.care_alert_raised.connect(
        lambda sender, **kwargs: heard.append(kwargs["alert_id"]), weak=False, dispatch_uid="t_id"
    )
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            alert = alert_for(world.alice)
        assert heard == []  # not before the commit
        for callback in callbacks:
            callback()
    finally:
        signals.care_alert_raised.disconnect(dispatch_uid="t_id")
    assert heard == [alert.pk]


def test_DOSE_PED_MAX_the_override_alert_goes_to_the_care_team_on_commit(world, dira):
    child = dira  # the 9 mg/kg override, prescribed by Dr Carol inside an on_commit capture
    [alert] = CareAlert.objects.filter(patient=child, kind=CareAlert.Kind.DOSE_OVERRIDE)
    assert alert.rule_id == "DOSE-PED-MAX"
    assert deliveries_for(alert).filter(recipient=world.carol).exists()
