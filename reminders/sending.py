"""Sending deliveries: claim them, check each is still needed, send, record each outcome.

`deliver_batch` does it for a batch (the 08:00 peak: one claim, a fixed number of reads, one
mail-server connection); `deliver` for one message. Both ask the same checks of the same facts
(reminders/subjects.py) and record failures the same way (_after_transport_error).

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

import logging
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from companion.models import User

from . import account_mail
from .messages import message_context
from .models import ACCOUNT_KINDS, Delivery, Kind, wants
from .relevance import Relevance, retry_delay, still_matters_until
from .subjects import Facts, ensure_preferences, facts_for
from .transports import Transport, TransportError, transport_for

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """A temporary failure; the delivery was released back to queued until `retry_at`.

    `attempts` is the row's attempt count when it failed: the retry message carries it so
    that it (and only it) may claim the row a moment before `retry_at` (clock skew, eager mode).
    """

    def __init__(self, message: str, *, retry_at: datetime, attempts: int):
        super().__init__(message)
        self.retry_at = retry_at
        self.attempts = attempts


def _claimable(now: datetime) -> Q:
    lease = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    return Q(status=Delivery.Status.QUEUED) | Q(status=Delivery.Status.SENDING, claimed_at__lt=lease)


def _not_deferred(now: datetime) -> Q:
    return Q(not_before__isnull=True) | Q(not_before__lte=now)


def claim(delivery_id: int, now: datetime, *, retry_of: int | None = None) -> Delivery | None:
    not_deferred = _not_deferred(now)
    if retry_of is not None:
        # The retry scheduled by attempt `retry_of` may go early; any other message (a tick's,
        # a duplicate) waits for not_before, so a failure never multiplies the messages.
        not_deferred |= Q(attempts=retry_of, status=Delivery.Status.QUEUED)
    won = Delivery.objects.filter(_claimable(now), not_deferred, pk=delivery_id).update(
        status=Delivery.Status.SENDING, claimed_at=now, claim_token=uuid.uuid4().hex, attempts=F("attempts") + 1
    )
    if won != 1:
        return None
    return Delivery.objects.select_related("patient", "recipient").get(pk=delivery_id)


def claim_batch(delivery_ids: list[int], now: datetime) -> list[Delivery]:
    """Claim every claimable delivery of `delivery_ids` in one conditional UPDATE, stamped with
    a token of this batch; then read back exactly the rows this UPDATE won (a row another
    worker claimed a moment earlier carries its token, not ours). Two queries per batch."""
    token = uuid.uuid4().hex
    Delivery.objects.filter(_claimable(now), _not_deferred(now), pk__in=delivery_ids).update(
        status=Delivery.Status.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1
    )
    return list(_held_by_batch(delivery_ids, token).select_related("patient", "recipient").order_by("pk"))


def reason_not_needed(delivery: Delivery, facts: Facts | None = None) -> str:
    """Why a queued message should not go any more (empty: it should). `facts`: subjects.facts_for."""
    if delivery.kind in ACCOUNT_KINDS:  # no care circle to check: the account or invitation decides
        return account_mail.reason_not_needed(delivery)
    if facts is None:
        facts = facts_for([delivery])[delivery.pk]
    if facts.role is None or not facts.receives_reminders:
        return "The recipient is no longer in the care circle or has reminders off."
    if not wants(delivery.kind, facts.role, facts.preference):
        return "The recipient switched this kind of message off."
    if delivery.kind in (Kind.INJECTION_REMINDER, Kind.ESCALATION):
        if not facts.slot_pending:
            return "The dose was logged (or is no longer due)."
    elif delivery.kind == Kind.LAB:
        if not facts.lab_open:
            return "The blood test was done."
    elif delivery.kind == Kind.FRIDGE:
        if not facts.syringe_open:
            return "The syringe was used, discarded or put back."
    elif delivery.kind == Kind.REFILL:
        if facts.supply is not None and not facts.supply.low:  # SUPPLY-BOX: picked up (or counted) since
            return "The supply is no longer low."
    return ""


def _held(delivery: Delivery) -> QuerySet[Delivery]:
    # Only the holder of the claim (the same token) may record the outcome.
    return Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, claim_token=delivery.claim_token)


def _finish(delivery: Delivery, **fields) -> None:
    _held(delivery).update(**fields)


def _note_unreachable(delivery: Delivery, now: datetime) -> None:
    # The first failure of a run of failures is the "since" (a later one does not move it).
    if delivery.recipient_id is not None:
        User.objects.filter(pk=delivery.recipient_id, email_unreachable_since__isnull=True).update(
            email_unreachable_since=now
        )


def _note_reached(recipient_ids: set[int | None]) -> None:
    """A message reached these people: e-mail works for them again (one UPDATE)."""
    recipient_ids = recipient_ids - {None}
    if recipient_ids:
        User.objects.filter(pk__in=recipient_ids, email_unreachable_since__isnull=False).update(
            email_unreachable_since=None
        )


def _fail_visibly(delivery: Delivery, exc: Exception) -> None:
    # A bug (a template, a missing row): the delivery fails on the status page, never loops.
    _finish(delivery, status=Delivery.Status.FAILED, last_error=f"{exc.__class__.__name__}: {exc}"[:2000])


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
        facts = facts_for([delivery], now).get(delivery.pk)  # None for account e-mail
        reason = reason_not_needed(delivery, facts)
        if reason:
            _finish(delivery, status=Delivery.Status.CANCELLED, last_error=reason)
            return "cancelled"
        relevance = still_matters_until(delivery, facts)
        if now >= relevance.until:
            # Waited too long (an outage, a broker away, quiet hours): end it visibly, keeping the last error.
            _finish(delivery, status=relevance.then, last_error=_ended(relevance, delivery.last_error))
            return str(relevance.then)
        transport = transport or transport_for(delivery.channel)
        transport.send(delivery)
    except TransportError as exc:
        outcome, retry_at = _after_transport_error(delivery, exc, relevance, now)
        if retry_at is not None:
            raise RetryLater(str(exc), retry_at=retry_at, attempts=delivery.attempts) from exc
        return outcome
    except DatabaseError:
        # The database is away: release the claim; the task retries (or the next tick re-sends).
        _held(delivery).update(status=Delivery.Status.QUEUED, enqueued_at=now)
        raise
    except Exception as exc:
        _fail_visibly(delivery, exc)
        raise
    _finish(delivery, status=Delivery.Status.SENT, sent_at=now, last_error="")
    _note_reached({delivery.recipient_id})
    return "sent"


def _after_transport_error(
    delivery: Delivery, exc: TransportError, relevance: Relevance, now: datetime, *, retry_by_tick: bool = False
) -> tuple[str, datetime | None]:
    """Record a failed attempt: released until its next attempt while the message still matters
    (returns "retry" and that moment), else ended visibly. `retry_by_tick`: no retry message will
    be published (a batch), so the row is ready for the minute tick as soon as its next attempt is due."""
    _note_unreachable(delivery, now)
    error = str(exc)[:1500]
    if exc.retryable:
        retry_at = now + retry_delay(delivery.attempts)
        if retry_at < relevance.until:
            # Release the claim until the next attempt. enqueued_at = when the retry message is
            # due, so the tick re-sends it a lease later if that message is lost.
            _finish(
                delivery,
                status=Delivery.Status.QUEUED,
                last_error=error,
                not_before=retry_at,
                enqueued_at=None if retry_by_tick else retry_at,
            )
            return "retry", retry_at
        _finish(delivery, status=relevance.then, last_error=_ended(relevance, error))
        return str(relevance.then), None
    # Permanent (5xx, refused recipient): no retry could help.
    _finish(delivery, status=Delivery.Status.FAILED, last_error=error)
    return "failed", None


def _ended(relevance: Relevance, last_error: str) -> str:
    until = relevance.until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ended = f"{relevance.reason} ({until})."
    return f"{ended} Last error: {last_error}"[:2000] if last_error else ended


# ---------------------------------------------------------------------------
# A batch: the 08:00 peak (issue 18)
# ---------------------------------------------------------------------------


def deliver_batch(
    delivery_ids: list[int], *, now: datetime | None = None, transport: Transport | None = None
) -> dict[str, int]:
    """Send a batch of deliveries: the same claim, checks, retries and outcomes as `deliver`,
    for many messages at once. Returns how many ended each way ("sent", "cancelled", ...).

    One UPDATE claims the batch; the facts every check and message need are read in a fixed
    number of queries (subjects.facts_for); the messages go over one connection to the mail
    server. Each message is marked sent the moment the server accepted it: a batch marked only
    at its end would, after a worker died in the middle of it, be sent again from its first
    message. A failure of one message is recorded for that message alone. If the batch takes
    more than half the lease, the rest is released for the next tick rather than risk a second
    worker taking it over while this one still sends.
    """
    now = now or timezone.now()
    started = time.monotonic()
    outcomes: dict[str, int] = defaultdict(int)
    deliveries = claim_batch(delivery_ids, now)
    outcomes["not claimed"] = len(set(delivery_ids)) - len(deliveries)
    if not deliveries:
        return dict(outcomes)
    token = deliveries[0].claim_token
    try:
        facts = facts_for(deliveries, now)
        to_send: list[tuple[Delivery, Relevance]] = []
        cancelled: dict[str, list[int]] = defaultdict(list)
        for delivery in deliveries:
            fact = facts.get(delivery.pk)
            reason = reason_not_needed(delivery, fact)
            if reason:
                cancelled[reason].append(delivery.pk)
                continue
            relevance = still_matters_until(delivery, fact)
            if now >= relevance.until:
                _finish(delivery, status=relevance.then, last_error=_ended(relevance, delivery.last_error))
                outcomes[str(relevance.then)] += 1
                continue
            to_send.append((delivery, relevance))
        for reason, ids in cancelled.items():
            _held_by_batch(ids, token).update(status=Delivery.Status.CANCELLED, last_error=reason)
            outcomes["cancelled"] += len(ids)
        ensure_preferences(facts[d.pk] for d, _ in to_send if d.pk in facts)
        contexts = {d.pk: message_context(d, facts.get(d.pk)) for d, _ in to_send}
    except DatabaseError:
        _release([d.pk for d in deliveries], token)
        raise
    reached: set[int | None] = set()
    pending = {d.pk: (d, relevance) for d, relevance in to_send}
    half_lease = settings.DELIVERY_LEASE_SECONDS / 2
    try:
        for delivery, error in _send_each([d for d, _ in to_send], contexts, transport):
            _, relevance = pending.pop(delivery.pk)
            if error is None:
                _finish(delivery, status=Delivery.Status.SENT, sent_at=now, last_error="")
                outcomes["sent"] += 1
                reached.add(delivery.recipient_id)
            elif isinstance(error, TransportError):
                outcome, _ = _after_transport_error(delivery, error, relevance, now, retry_by_tick=True)
                outcomes[outcome] += 1
            else:
                # A bug in this one message: it fails visibly, the others go on.
                logger.error("Delivery %s failed", delivery.pk, exc_info=error)
                _fail_visibly(delivery, error)
                outcomes["failed"] += 1
            if pending and time.monotonic() - started > half_lease:
                break
    finally:
        if pending:  # not attempted (half the lease gone, or an error above): back to the tick
            _release(list(pending), token)
            outcomes["released"] += len(pending)
    _note_reached(reached)
    return dict(outcomes)


def _send_each(deliveries: list[Delivery], contexts: dict[int, dict], transport: Transport | None):
    """(delivery, error or None) for each message, as each is sent: one transport batch per channel."""
    by_channel: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        by_channel[delivery.channel].append(delivery)
    for channel, batch in by_channel.items():
        sender = transport or transport_for(channel)
        yield from sender.send_batch([(d, contexts[d.pk]) for d in batch])


def _held_by_batch(ids: list[int], token: str) -> QuerySet[Delivery]:
    # The batch's rows it still holds (a row a takeover claimed carries another token).
    return Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING, claim_token=token)


def _release(ids: list[int], token: str) -> None:
    """Give claimed rows back: queued, ready for the next tick (not a failed attempt)."""
    _held_by_batch(ids, token).update(status=Delivery.Status.QUEUED, enqueued_at=None, attempts=F("attempts") - 1)
