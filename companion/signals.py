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
from django.dispatch import Signal

# user: the account that asked for a new password (active, with a usable password).
password_reset_requested = Signal()
# user: the account for the address typed at sign-up; existing: True when it was already a
# confirmed account (it gets "someone tried to sign up"), False when it awaits confirmation.
sign_up_requested = Signal()
# invitation: a new Invitation; its e-mail goes to invitation.email (maybe no account yet).
invitation_issued = Signal()


def announce(signal: Signal, **kwargs) -> None:
    """Send `signal` to its receivers (errors propagate and roll the transaction back)."""
    if not signal.has_listeners(None):
        raise ImproperlyConfigured("No app sends account e-mail: add 'reminders' to INSTALLED_APPS.")
    signal.send(sender=None, **kwargs)
