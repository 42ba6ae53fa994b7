"""Database sessions whose row is rewritten at most once a minute when nothing changed.

Sessions end after inactivity: SESSION_SAVE_EVERY_REQUEST makes Django save the session on
every response, which pushes its expiry forward. With the stock database backend that is an
UPDATE (in its own transaction) on every request, even when nothing in the session changed.
Here the middleware's end-of-request save is skipped while the stored expiry is less than
REFRESH_AFTER_S behind the new one. The cookie is still renewed on every response, and an
idle session still expires SESSION_COOKIE_AGE after the last activity (at most
REFRESH_AFTER_S earlier). A changed session (sign-in, sign-out, messages, a new expiry) is
written at once, and an explicit `session.save()` always writes, as before.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.backends import db
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware

REFRESH_AFTER_S = 60


class SessionStore(db.SessionStore):
    _stored_expiry = None  # the expire_date of the row as read or last written
    skip_unchanged_write = False  # set by the middleware around its end-of-request save only

    def _validate_session_key(self, key):
        # A cookie with a NUL (sent as "\000") would reach the database, and PostgreSQL refuses
        # NUL in text: such a key is no session (signed out), like one that is too short.
        return super()._validate_session_key(key) and "\x00" not in key

    def _get_session_from_db(self):
        stored = super()._get_session_from_db()
        self._stored_expiry = stored.expire_date if stored is not None else None
        return stored

    def save(self, must_create=False):
        if (
            self.skip_unchanged_write
            and not must_create
            and not self.modified
            and self.session_key is not None
            and self._stored_expiry is not None
            and self.get_expiry_date() - self._stored_expiry < timedelta(seconds=REFRESH_AFTER_S)
        ):
            return
        super().save(must_create=must_create)
        self._stored_expiry = self.get_expiry_date()


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware; its per-request save skips an unchanged, recently written row."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if not isinstance(session, SessionStore):
            return super().process_response(request, response)
        session.skip_unchanged_write = True
        try:
            return super().process_response(request, response)
        finally:
            session.skip_unchanged_write = False
