"""Sessions end after inactivity; an unchanged session row is rewritten at most once a minute.

SESSION_SAVE_EVERY_REQUEST would make Django's session middleware save the session on every
response to push its expiry forward: with the database backend an UPDATE (in its own
transaction) on every request, even when nothing in the session changed. Instead this
middleware keeps the time of the session's last write under LAST_WRITE_KEY and sets it again
once it is TOUCH_EVERY_S old. The session is then modified, so Django's own middleware saves
it, which renews its expiry (SESSION_COOKIE_AGE from now) and the cookie's. An idle session
therefore expires SESSION_COOKIE_AGE after the last activity, at most TOUCH_EVERY_S earlier.
A session that changes for another reason (sign-in, messages) is saved at once, as always,
and carries the new time in the same write; a signed-out (emptied) session is left alone.
Signing in records the time too (user_logged_in, connected in companion/apps.py), so a session
started by any route, the sign-in page or a test client's force_login, is not rewritten by the
request that follows.
"""

from __future__ import annotations

from django.utils import timezone

LAST_WRITE_KEY = "last_write"
TOUCH_EVERY_S = 60


class RenewActiveSessionMiddleware:
    """After django.contrib.sessions' middleware: its response phase runs just before that one saves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No key: no session was sent or it was just flushed (sign-out); nothing to renew.
        if session is None or session.session_key is None:
            return response
        # Loading is one SELECT, which the authentication middleware has nearly always done.
        # A cookie for a session that has expired or never existed loads as empty: touching
        # it would store a new session for an anonymous visitor.
        if not any(key != LAST_WRITE_KEY for key in session.keys()):
            return response
        now = int(timezone.now().timestamp())
        last_write = session.get(LAST_WRITE_KEY)
        stale = not isinstance(last_write, int) or not 0 <= now - last_write < TOUCH_EVERY_S
        if stale or session.modified:
            session[LAST_WRITE_KEY] = now
        return response


def note_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in: the session is about to be written under its new key; that write counts."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_WRITE_KEY] = int(timezone.now().timestamp())
