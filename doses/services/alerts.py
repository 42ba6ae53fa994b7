"""Care alerts: one row per alert, announced (doses/signals.py) once committed, so reminders/ delivers it."""

from __future__ import annotations

from datetime import datetime

from companion.models import Patient

from .. import signals
from ..models import CareAlert, SideEffect


def raise_care_alert(
    *,
    patient: Patient,
    kind: str,
    rule_id: str,
    summary: str,
    now: datetime,
    side_effect: SideEffect | None = None,
) -> CareAlert:
    """Store a care alert and tell the layers above once the transaction commits.

    The one way to raise an alert: every service that alerts the care team calls this, so
    every alert is both on the pages and delivered (care_alert_raised, connected by
    reminders). A transaction that rolls back leaves no row and announces nothing.
    """
    alert = CareAlert.objects.create(
        patient=patient, kind=kind, rule_id=rule_id, summary=summary[:200], side_effect=side_effect, created_at=now
    )
    signals.announce_care_alert_on_commit(alert.pk)
    return alert
