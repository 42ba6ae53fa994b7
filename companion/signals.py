"""What companion tells the layers above it when an account e-mail is needed.

companion imports nothing above it, so it cannot create a reminders Delivery itself. It
sends one of these signals instead, *inside* the transaction of the write (the sign-up,
the invitation), and reminders connects a receiver in its AppConfig.ready() that writes
the Delivery row in that same transaction and hands it to the worker on commit. So the
e-mail is stored if and only if the change is, and SMTP is never reached from a request.

`announce` refuses to send into the void: with no receiver connected (reminders not
installed) an e-mail would be lost silently, so it raises instead.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.dispatch import Signal

# user: the account that asked for a new password (active, with a usable password).
password_reset_requested = Signal()
# user: the account for the address typed at sign-up; existing: True when it was already a
# confirmed account (it gets "someone tried to sign up"), False when it awaits confirmation.
sign_up_requested = Signal()
# invitation: a new Invitation; its e-mail goes to invitation.email (maybe no account yet).
invitation_issued = Signal()
# patient_id: a patient whose weight changed; sent after the change commits (doses checks
# the weight-based dose in force at the new weight: DOSE-PED-RANGE, DOSE-PED-MAX).
weight_changed = Signal()
# patient: a profile just saved; time_zone_changed: whether its time zone is new. Sent inside
# the save's transaction: doses moves the doses still to come to the new local clock in that
# same transaction (SCHED-TZ) and refreshes the panel's summary once it commits (adult/child,
# the local day).
patient_profile_saved = Signal()


def announce_weight_changed_on_commit(patient_id: int) -> None:
    """Tell the layers above that a weight changed, once it is committed (never a rolled-back one)."""
    transaction.on_commit(lambda: weight_changed.send(sender=None, patient_id=patient_id))


def announce(signal: Signal, **kwargs) -> None:
    """Send `signal` to its receivers (errors propagate and roll the transaction back)."""
    if not signal.has_listeners(None):
        raise ImproperlyConfigured("No app sends account e-mail: add 'reminders' to INSTALLED_APPS.")
    signal.send(sender=None, **kwargs)
