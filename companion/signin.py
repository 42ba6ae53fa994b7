"""Sign-in protection helpers used by settings (django-axes)."""

from __future__ import annotations


def axes_username(request, credentials) -> str | None:
    """The account a sign-in attempt is for, as axes counts it.

    Lower-cased, so "Alice@Example.org" and "alice@example.org" share one failure count:
    changing the case of an address must not reset the lockout.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") if source else None
    return value.strip().lower() if isinstance(value, str) else value
