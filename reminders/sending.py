"""Sending one delivery: claim it, check it is still needed, send, record the outcome.

The claim is a conditional UPDATE (queued -> sending, or a sending row whose lease ran
out because its worker died), so a duplicate message, a retry racing the original or a
second worker sends nothing: only the UPDATE that returns 1 goes on.

A temporary failure puts the row back to queued with `not_before` set to the next attempt
(capped exponential backoff), so the periodic tick re-sends it even if the task's own retry
message is lost; it is retried for as long as the message still matters
(relevance.still_matters_until), then ends visibly as cancelled or failed. The recipient's
`email_unreachable_since` (on the user, in companion) is set on the first failure and cleared
by the next message that goes, so the person sees on Today that e-mail is not reaching them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from companion.models import CareMembership, User
from doses.models import DoseSlot, FridgeSyringe, LabTest, SlotStatus

from . import account_mail
from .models import ACCOUNT_KINDS, Delivery, Kind, NotificationPreference, wants
from .relevance import Relevance, retry_delay, still_matters_until
from .transports import Transport, TransportError, transport_for


class RetryLater(Exception):
    """A temporary failure; the delivery was released back to queued until `retry_at`.

    `attempts` is the row's attempt count when it failed: the retry message carries it so
    that it (and only it) may claim the row a moment before `retry_at` (clock skew, eager mode).
    """

    def __init__(self, message: str, *, retry_at: datetime, attempts: int):
        super().__init__(message)
        self.retry_at = retry_at
        self.attempts = attempts


def claim(delivery_id: int, now: datetime, *, retry_of: int | None = None) -> Delivery | None:
    lease = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimable = Q(status=Delivery.Status.QUEUED) | Q(status=Delivery.Status.SENDING, claimed_at__lt=lease)
    not_deferred = Q(not_before__isnull=True) | Q(not_before__lte=now)
    if retry_of is not None:
        # The retry scheduled by attempt `retry_of` may go early; any other message (a tick's,
        # a duplicate) waits for not_before, so a failure never multiplies the messages.
        not_deferred |= Q(attempts=retry_of, status=Delivery.Status.QUEUED)
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


def _note_unreachable(delivery: Delivery, now: datetime) -> None:
    # The first failure of a run of failures is the "since" (a later one does not move it).
    if delivery.recipient_id is not None:
        User.objects.filter(pk=delivery.recipient_id, email_unreachable_since__isnull=True).update(
            email_unreachable_since=now
        )


def _note_reached(delivery: Delivery) -> None:
    if delivery.recipient_id is not None:
        User.objects.filter(pk=delivery.recipient_id, email_unreachable_since__isnull=False).update(
            email_unreachable_since=None
        )


def deliver(
    delivery_id: int,
    *,
    now: datetime | None = None,
    transport: Transport | None = None,
    retry_of: int | None = None,
) -> str:
    """Send one delivery once. Returns what happened; raises RetryLater for a temporary failure."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now, retry_of=retry_of)
    if delivery is None:
        return "not claimed"
    try:
        reason = reason_not_needed(delivery)
        if reason:
            _finish(delivery, status=Delivery.Status.CANCELLED, last_error=reason)
            return "cancelled"
        relevance = still_matters_until(delivery)
        if now >= relevance.until:
            # Waited too long (an outage, a broker away, quiet hours): end it visibly, keeping the last error.
            _finish(delivery, status=relevance.then, last_error=_ended(relevance, delivery.last_error))
            return str(relevance.then)
        transport = transport or transport_for(delivery.channel)
        transport.send(delivery)
    except TransportError as exc:
        _note_unreachable(delivery, now)
        error = str(exc)[:1500]
        if exc.retryable:
            retry_at = now + retry_delay(delivery.attempts)
            if retry_at < relevance.until:
                # Release the claim until the next attempt. enqueued_at = when the retry message is
                # due, so the tick re-sends it a lease later if that message is lost.
                _finish(
                    delivery, status=Delivery.Status.QUEUED, last_error=error, not_before=retry_at, enqueued_at=retry_at
                )
                raise RetryLater(str(exc), retry_at=retry_at, attempts=delivery.attempts) from exc
            _finish(delivery, status=relevance.then, last_error=_ended(relevance, error))
            return str(relevance.then)
        # Permanent (5xx, refused recipient): no retry could help.
        _finish(delivery, status=Delivery.Status.FAILED, last_error=error)
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
    _note_reached(delivery)
    return "sent"


def _ended(relevance: Relevance, last_error: str) -> str:
    until = relevance.until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ended = f"{relevance.reason} ({until})."
    return f"{ended} Last error: {last_error}"[:2000] if last_error else ended
