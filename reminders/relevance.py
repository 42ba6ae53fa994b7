"""Until when a delivery still matters: the one policy that bounds how long a message is retried.

A temporary failure (the mail server is away) is retried with capped exponential backoff for
as long as the message is still worth sending; past that moment the delivery ends visibly:
CANCELLED ("not needed any more") when the moment it was about has passed (an injection
reminder once its dose window closes), FAILED (on the status page) when the person should
have heard and did not. There is no attempt limit: a ten-minute outage must not drop a
reminder that is good for twelve hours.

New kinds (account e-mails, possibly without a patient) fall to the default: a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from .models import ACCOUNT_KINDS, Delivery, Kind
from .subjects import Facts, facts_for

# Kinds about one dose: once the dose window closes (MISS-SKIP) the reminder is moot; the
# missed-dose note takes over. Ending them is "not needed", not a failure.
SLOT_KINDS = frozenset({Kind.INJECTION_REMINDER, Kind.ESCALATION})


@dataclass(frozen=True)
class Relevance:
    """A delivery matters until `until` (exclusive); after that it ends with `then` and `reason`."""

    until: datetime
    then: str  # Delivery.Status.CANCELLED or FAILED
    reason: str


def retry_for() -> timedelta:
    """The default span: lab, refill, missed-dose notes and any kind this module does not know."""
    return timedelta(hours=settings.DELIVERY_RETRY_FOR_HOURS)


def still_matters_until(delivery: Delivery, facts: Facts | None = None) -> Relevance:
    """Until when `delivery` is worth sending, from the facts of its subject (subjects.facts_for;
    read here when not given). Never needs delivery.patient."""
    if facts is None and delivery.kind not in ACCOUNT_KINDS:
        facts = facts_for([delivery])[delivery.pk]
    created = delivery.created_at
    if delivery.kind in SLOT_KINDS:
        if facts is not None and facts.window_closes_at is not None:
            # MISS-SKIP: the window doses computes for the slot (never a second copy of the rule).
            return Relevance(
                facts.window_closes_at, Delivery.Status.CANCELLED, "Not needed any more: the dose window closed"
            )
    elif delivery.kind == Kind.CARE_ALERT:
        # A care-team alert (AE-SERIOUS, IX-TNF) asks someone to act; it is also on the panel
        # and the patient page, so after a few days the e-mail would only be late news. Three
        # days by default carries it over a weekend-long outage of a clinic's mail server.
        until = created + timedelta(hours=settings.CARE_ALERT_RETRY_FOR_HOURS)
        return Relevance(until, Delivery.Status.FAILED, "Could not be sent while the alert was recent")
    elif delivery.kind == Kind.FRIDGE:
        if facts is not None and facts.syringe_use_by is not None:
            # PREP-24H: past the syringe's 24 hours the reminder can no longer save it.
            return Relevance(
                facts.syringe_use_by, Delivery.Status.FAILED, "Could not be sent before the syringe's 24 hours ended"
            )
    return Relevance(created + retry_for(), Delivery.Status.FAILED, "Could not be sent within a day")


def retry_delay(attempts: int) -> timedelta:
    """Capped exponential backoff after the `attempts`-th failed attempt: 30 s, 60 s, 120 s, ... up to the cap."""
    first = 30
    cap = settings.DELIVERY_RETRY_MAX_INTERVAL_SECONDS
    exponent = min(max(attempts, 1) - 1, 20)  # 30 * 2**20 s is far past any cap
    return timedelta(seconds=min(first * 2**exponent, cap))
