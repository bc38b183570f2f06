"""Django's PostgreSQL backend, its per-request health check made free for a healthy connection.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` before the first query of every request
(``close_if_health_check_failed``): one more round trip to the server on every page, a fifth of
the database time of a page that runs four statements (docs/benchmarks.md, "The health check
without a round trip").

An idle connection between requests has nothing to read: the server sends nothing unasked. When
PostgreSQL restarts, fails over or an operator terminates the session (``pg_terminate_backend``),
the server writes its FATAL message and closes the socket, and the socket turns readable. So the
check asks the operating system first, without waiting (``select`` with a zero timeout):

- not readable, the connection idle and not broken: healthy, no query;
- anything else (readable, a transaction left open, a state psycopg already knows is bad):
  Django's own check, ``SELECT 1``, decides, and a failed one closes the connection so the
  request reconnects.

What neither check can see is a peer that vanished without a word (a cable pulled): ``SELECT 1``
would wait on TCP as the request's own first query does. The request-time guard for a
connection that drops under a query stays ``core/dbfaults.py`` (503, never 500).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from psycopg import pq


class DatabaseWrapper(PostgresWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is None
            or self.pool
            or not self.health_check_enabled
            or self.health_check_done
        ):
            return super().close_if_health_check_failed()
        if self.connection_looks_idle_and_open():
            self.health_check_done = True
            return None
        return super().close_if_health_check_failed()

    def connection_looks_idle_and_open(self) -> bool:
        """True when psycopg knows no fault, no transaction is open and the server has sent
        nothing since the last answer (a closed socket reads as readable)."""
        conn = self.connection
        try:
            pgconn = conn.pgconn
            if conn.closed or conn.broken or pgconn.status != pq.ConnStatus.OK:
                return False
            if pgconn.transaction_status != pq.TransactionStatus.IDLE:
                return False
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except Exception:  # a socket psycopg cannot name any more: let SELECT 1 decide
            return False
        return not readable
