"""A database connection that drops answers 503 "try again", not 500.

When PostgreSQL restarts, fails over or an operator terminates the app's connections
(``pg_terminate_backend``), a request already holding the connection fails with
``OperationalError`` ("server closed the connection unexpectedly"). Connections are health
checked at the start of each request (``CONN_HEALTH_CHECKS``), so only requests in flight at
that moment are hit. Those get 503 with ``Retry-After`` and a message a person understands;
htmx requests get a fragment the page shows in its ``#kpiw-retry`` slot (static/js/app.js
swaps it in). A retry is safe for the room's hot paths — a vote, a score card, joining — since
they are idempotent (the same vote cast twice is one vote). The broken connection is closed at
once, so the retry reconnects.

The same holds for SQLite's "database is locked" after its busy timeout and for PostgreSQL's
serialization failures and deadlocks: transient, worth a retry. Other database errors (a
missing table, a broken constraint) stay 500s.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connections

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
# PostgreSQL SQLSTATEs of errors a retry may get past: connection exceptions (08…), operator
# intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now),
# serialization failure and deadlock.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "57P", "40001", "40P01")
_SQLITE_BUSY_OR_LOCKED = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


def database_error_is_transient(exc: BaseException) -> bool:
    """Is ``exc`` a database failure that a retry of the same request may get past?"""
    if not isinstance(exc, DatabaseError):
        return False
    if isinstance(exc, InterfaceError):  # "connection already closed"
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if type(cause).__module__.startswith("psycopg"):
        # No SQLSTATE: the client lost the server ("server closed the connection
        # unexpectedly", "consuming input failed"), as when a query is in flight while its
        # session is terminated. A SQLSTATE: the server said why.
        state = getattr(cause, "sqlstate", None)
        return state is None or state.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_BUSY_OR_LOCKED
    text = str(exc).lower()
    if "database is locked" in text or "database table is locked" in text:
        return True
    return any(not _usable(conn) for conn in connections.all(initialized_only=True))


def _usable(conn) -> bool:
    if conn.connection is None:
        return True  # not connected: nothing broken to throw away
    try:
        return conn.is_usable()
    except Exception:
        return False


def connections_discard_broken() -> None:
    """Close every connection of this thread that no longer works, so the next query (the
    retry) opens a fresh one instead of failing on the dead socket again."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not _usable(conn):
            try:
                conn.close()
            except Exception:  # closing a dead socket may itself complain
                conn.connection = None
