"""Care alerts: one row per alert, handed to reminders/ for delivery once committed."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from companion.models import Patient

from ..models import (
    CareAlert,
)


def _queue_care_alert_on_commit(alert: CareAlert) -> None:
    """Hand a new alert to reminders/ for delivery once the row is committed.

    Imported lazily: until reminders/notify.py exists the alert is only stored, and the
    dashboard shows it. on_commit so that a delivery task never looks for a row that a
    rolled-back transaction never wrote.
    """
    try:
        from reminders.notify import queue_care_alert
    except ImportError:
        queue_care_alert = None
    if queue_care_alert is not None:
        alert_id = alert.pk
        transaction.on_commit(lambda: queue_care_alert(alert_id))


def _raise_alert(*, patient: Patient, kind: str, rule_id: str, summary: str, now: datetime, side_effect=None):
    alert = CareAlert.objects.create(
        patient=patient, kind=kind, rule_id=rule_id, summary=summary[:200], side_effect=side_effect, created_at=now
    )
    _queue_care_alert_on_commit(alert)
    return alert
