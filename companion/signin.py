"""Sign-in helpers used by settings: django-axes' username, and the password hasher."""

from __future__ import annotations

from django.contrib.auth import hashers

from .database import recheck_connections


def axes_username(request, credentials) -> str | None:
    """The account a sign-in attempt is for, as axes counts it.

    Lower-cased, so "Alice@Example.org" and "alice@example.org" share one failure count:
    changing the case of an address must not reset the lockout.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") if source else None
    return value.strip().lower() if isinstance(value, str) else value


class PBKDF2PasswordHasher(hashers.PBKDF2PasswordHasher):
    """Django's default hasher (same algorithm and stored format), then a fresh health check.

    The hash is deliberately slow (~0.5-2 s) and runs between the query that found the account
    and the next one (the sign-in itself, or axes counting a failure). A database connection
    that died during it failed that next query: every sign-in of a run was a 500 while
    PostgreSQL backends were being killed (issue 12, point 6). Rechecking after the hash lets
    Django replace such a connection, as it does between requests.
    """

    def verify(self, password, encoded):
        try:
            return super().verify(password, encoded)
        finally:
            recheck_connections()

    def encode(self, password, salt, iterations=None):
        # Also the dummy hash for an unknown address, which keeps its timing the same.
        try:
            return super().encode(password, salt, iterations)
        finally:
            recheck_connections()
