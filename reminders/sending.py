"""Sending one delivery: claim it, check it is still needed, send, record the outcome.

The claim is a conditional UPDATE (queued -> sending, or a sending row whose lease ran
out because its worker died), so a duplicate message, a retry racing the original or a
second worker sends nothing: only the UPDATE that returns 1 goes on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from companion.models import CareMembership
from doses.models import DoseSlot, FridgeSyringe, LabTest, SlotStatus

from . import account_mail
from .models import ACCOUNT_KINDS, Delivery, Kind, NotificationPreference, wants
from .transports import Transport, TransportError, transport_for


class RetryLater(Exception):
    """A temporary failure; the delivery was released back to queued."""


def claim(delivery_id: int, now: datetime) -> Delivery | None:
    lease = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimable = Q(status=Delivery.Status.QUEUED) | Q(status=Delivery.Status.SENDING, claimed_at__lt=lease)
    not_deferred = Q(not_before__isnull=True) | Q(not_before__lte=now)
    won = Delivery.objects.filter(claimable, not_deferred, pk=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if won != 1:
        return None
    return Delivery.objects.select_related("patient", "recipient").get(pk=delivery_id)


def reason_not_needed(delivery: Delivery) -> str:
    """Why a queued message should not go any more (empty: it should)."""
    if delivery.kind in ACCOUNT_KINDS:  # no care circle to check: the account or invitation decides
        return account_mail.reason_not_needed(delivery)
    membership = (
        CareMembership.objects.active()
        .filter(patient_id=delivery.patient_id, user_id=delivery.recipient_id, receives_reminders=True)
        .first()
    )
    if membership is None:
        return "The recipient is no longer in the care circle or has reminders off."
    preference = NotificationPreference.objects.filter(membership=membership).first()
    if not wants(delivery.kind, membership.role, preference):
        return "The recipient switched this kind of message off."
    object_id = delivery.object_id
    if delivery.kind in (Kind.INJECTION_REMINDER, Kind.ESCALATION):
        if not DoseSlot.objects.filter(pk=object_id, status=SlotStatus.PENDING).exists():
            return "The dose was logged (or is no longer due)."
    elif delivery.kind == Kind.LAB:
        if not LabTest.objects.filter(pk=object_id, done_on__isnull=True).exists():
            return "The blood test was done."
    elif delivery.kind == Kind.FRIDGE:
        if not FridgeSyringe.objects.filter(pk=object_id, closed_at__isnull=True).exists():
            return "The syringe was used, discarded or put back."
    return ""


def _finish(delivery: Delivery, **fields) -> None:
    # Only the holder of the claim (same claimed_at) may record the outcome.
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, claimed_at=delivery.claimed_at).update(
        **fields
    )


def deliver(delivery_id: int, *, now: datetime | None = None, transport: Transport | None = None) -> str:
    """Send one delivery once. Returns what happened; raises RetryLater for a temporary failure."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return "not claimed"
    try:
        reason = reason_not_needed(delivery)
        if reason:
            _finish(delivery, status=Delivery.Status.CANCELLED, last_error=reason)
            return "cancelled"
        transport = transport or transport_for(delivery.channel)
        transport.send(delivery)
    except TransportError as exc:
        if exc.retryable and delivery.attempts < settings.DELIVERY_MAX_ATTEMPTS:
            # Release the claim so the retry (or a later tick) can claim it again.
            _finish(delivery, status=Delivery.Status.QUEUED, last_error=str(exc)[:2000], enqueued_at=now)
            raise RetryLater(str(exc)) from exc
        _finish(delivery, status=Delivery.Status.FAILED, last_error=str(exc)[:2000])
        return "failed"
    except DatabaseError:
        # The database is away: release the claim; the task retries (or the next tick re-sends).
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, claimed_at=delivery.claimed_at).update(
            status=Delivery.Status.QUEUED, enqueued_at=now
        )
        raise
    except Exception as exc:
        # A bug (a template, a missing row): fail visibly on the status page, never loop.
        _finish(delivery, status=Delivery.Status.FAILED, last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise
    _finish(delivery, status=Delivery.Status.SENT, sent_at=now, last_error="")
    return "sent"
