"""The database connection seen from a request: a connection lost on the way, or no database at all.

Django's health checks (CONN_HEALTH_CHECKS) test a reused connection once per request, at
its first query, and replace it if it died while idle between requests. Two gaps remain,
both found by killing PostgreSQL backends under gunicorn (issue 12, point 6):

- Hashing a password takes ~0.5-2 s with no query. A connection that died during the hash
  (a restart, a failover, an idle-connection reaper) failed the very next query: every
  sign-in of a run was a 500. `recheck_connections` asks for a fresh health check after
  that work (companion/signin.py's hasher calls it).
- A connection that dies in the middle of a page, or a database that is really down, is
  answered with a page that says so (`database_unreachable`, views.server_error) instead
  of a bare 500; a page that only reads is tried once more first (`RetryReadOnLostConnection`).
"""

from __future__ import annotations

from django.contrib.messages.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, connections

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The page asks browsers (and people) to wait this long before trying again.
RETRY_AFTER_SECONDS = 60


def recheck_connections() -> None:
    """Health-check each open connection again at its next query, as at the start of a request.

    Outside a transaction only: inside one, replacing the connection would silently drop the
    transaction's earlier work, so a lost connection there must fail the block instead.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def _usable(conn) -> bool:
    if conn.connection is None:
        return False
    try:
        return conn.is_usable()
    except DatabaseError:
        return False


def database_unreachable(exc: BaseException | None) -> bool:
    """True when `exc` came from a connection that is gone (killed, refused, timed out),
    rather than from a query the database refused (a constraint, a bad value, a timeout)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    return not all(_usable(conn) for conn in connections.all(initialized_only=True))


class RetryReadOnLostConnection:
    """A page that only reads is run once more on a fresh connection when its connection was lost.

    views.server_error marks the request when it answers a lost connection. Only safe methods
    are repeated: a POST may have been half done, so it gets the "not saved" page instead
    (its changes were rolled back with the request's transaction, see companion/audit.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in SAFE_METHODS and getattr(request, "database_unreachable", False):
            request.database_unreachable = False
            for conn in connections.all(initialized_only=True):
                conn.close()
            # Messages read by the failed attempt are read again from their cookie or session.
            if hasattr(request, "_messages"):
                request._messages = default_storage(request)
            response = self.get_response(request)
        return response
