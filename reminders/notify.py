"""Entry points other apps call. They never raise because the broker is away."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from doses.models import CareAlert

from . import dispatch
from .models import Kind


def queue_care_alert(alert_id: int) -> int:
    """AE-SERIOUS / IX-TNF: tell the care team now. Call it with transaction.on_commit.

    The delivery rows are written here (in the web request), then handed to the broker;
    if the broker is down the rows wait and the next tick sends them. Returns how many
    deliveries were handed to the broker.
    """
    now = timezone.now()
    dispatch.queue_care_alerts(now, CareAlert.objects.filter(pk=alert_id))
    return dispatch.enqueue_ready_deliveries(now, only=Q(kind=Kind.CARE_ALERT, subject_key=f"alert:{alert_id}"))


def on_care_alert_raised(sender, *, alert_id: int, **kwargs) -> None:
    """Receiver of doses.signals.care_alert_raised (connected in reminders' AppConfig.ready()).

    doses sends it once the alert is committed, so the row is there to read.
    """
    queue_care_alert(alert_id)


def queue_refill(patient_id: int) -> int:
    """SUPPLY-BOX: a dose (or discard) just took syringes; if the supply is now low the refill
    message goes now, not at the next periodic run. Once per low-supply episode: the delivery's
    subject key is the last pick-up (dispatch.refill_subject_key), so the periodic job, run after,
    finds it there and creates nothing. Returns how many deliveries were handed to the broker."""
    now = timezone.now()
    if not dispatch.queue_refill_reminders(now, [patient_id]):
        return 0
    return dispatch.enqueue_ready_deliveries(now, only=Q(kind=Kind.REFILL, patient_id=patient_id))


def on_supply_taken(sender, *, patient_id: int, **kwargs) -> None:
    """Receiver of doses.signals.supply_taken (connected in reminders' AppConfig.ready())."""
    queue_refill(patient_id)
