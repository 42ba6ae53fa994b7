"""Account e-mail as deliveries: password resets, sign-up e-mails and invitations.

companion sends a signal inside the transaction of its write (companion/signals.py); the
receivers here write the Delivery row in that same transaction and hand it to the worker
on commit, exactly like every other message: sent by send_delivery, claimed by the unique
constraint, retried on a temporary failure, its links built from SITE_URL when rendered.
No request ever waits for SMTP.

Not a relay (issue 12): an address gets at most ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR e-mails
of one group (resets; sign-up e-mails) an hour. The n-th e-mail of a group to an account
has subject_key "<group>:<n>", so two requests racing for the same place in the count
collide on the unique constraint and only one e-mail is written. Over the limit nothing is
written and the page answers as always (no enumeration). Invitation limits are counted by
companion.services.invite_to_circle, which can say so on the form.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from companion.models import Invitation, User

from . import dispatch
from .models import Delivery, Kind

logger = logging.getLogger(__name__)

# Rate-limit groups: the e-mails that share one count per address.
GROUPS: dict[str, tuple[str, ...]] = {
    "reset": (Kind.PASSWORD_RESET,),
    "signup": (Kind.SIGN_UP_CONFIRM, Kind.SIGN_UP_EXISTING),
}


def _enqueue_on_commit(match: Q) -> None:
    # After commit, so the worker never looks for a row that is not there yet; if the broker is
    # away the row stays queued and the minute tick (dispatch_due_reminders) sends it.
    transaction.on_commit(lambda: dispatch.enqueue_ready_deliveries(only=match))


def queue_account_mail(kind: str, user: User, group: str, *, now=None) -> bool:
    """Write one queued Delivery of `kind` to `user`, unless the address had its hourly share.

    Returns False when over the limit (nothing written).
    """
    now = now or timezone.now()
    sent_to_them = Delivery.objects.filter(kind__in=GROUPS[group], recipient=user)
    if (
        sent_to_them.filter(created_at__gt=now - timedelta(hours=1)).count()
        >= settings.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR
    ):
        logger.info("Account e-mail (%s) to user %s not sent: hourly limit reached", kind, user.pk)
        return False
    subject_key = f"{group}:{sent_to_them.count() + 1}"
    # ignore_conflicts: a request that lost the race for this place in the count writes nothing.
    Delivery.objects.bulk_create(
        [Delivery(kind=kind, recipient=user, subject_key=subject_key, created_at=now)], ignore_conflicts=True
    )
    _enqueue_on_commit(Q(kind=kind, recipient=user, subject_key=subject_key))
    return True


def queue_invitation(invitation: Invitation, *, now=None) -> None:
    """The invitation's e-mail, to its address (which may have no account), once per invitation."""
    subject_key = f"invitation:{invitation.pk}"
    Delivery.objects.bulk_create(
        [
            Delivery(
                kind=Kind.INVITATION,
                patient_id=invitation.patient_id,
                to_email=invitation.email,
                subject_key=subject_key,
                created_at=now or timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )
    _enqueue_on_commit(Q(kind=Kind.INVITATION, recipient__isnull=True, subject_key=subject_key))


# --- receivers, connected in RemindersConfig.ready() ----------------------------------


def on_password_reset_requested(sender, *, user: User, **kwargs) -> None:
    queue_account_mail(Kind.PASSWORD_RESET, user, "reset")


def on_sign_up_requested(sender, *, user: User, existing: bool, **kwargs) -> None:
    queue_account_mail(Kind.SIGN_UP_EXISTING if existing else Kind.SIGN_UP_CONFIRM, user, "signup")


def on_invitation_issued(sender, *, invitation: Invitation, **kwargs) -> None:
    queue_invitation(invitation)


def reason_not_needed(delivery: Delivery) -> str:
    """Why queued account e-mail should not go any more (empty: it should)."""
    user = delivery.recipient
    if delivery.kind == Kind.INVITATION:
        invitation = Invitation.objects.filter(pk=delivery.object_id).first()
        if invitation is None or invitation.status() != "open":
            return "The invitation was accepted, withdrawn or has expired."
    elif delivery.kind == Kind.SIGN_UP_CONFIRM:
        if not user.awaiting_confirmation:
            return "The address was confirmed already."
    elif not user.is_active:
        return "The account is not active."
    elif delivery.kind == Kind.PASSWORD_RESET and not user.has_usable_password():
        return "The account has no password to reset."
    return ""
