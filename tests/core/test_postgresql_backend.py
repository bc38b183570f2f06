"""The PostgreSQL backend's health check (kpiworkshop/core/postgresql/base.py): no round trip
for a healthy idle connection; a terminated session is still found and replaced before the
request's first query."""

from unittest import mock

import pytest
from django.db import connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


@pytest.fixture
def other():
    """A second connection to the test database, outside the test's transaction (a request's
    connection is idle between requests)."""
    conn = connections.create_connection("default")
    conn.settings_dict["CONN_HEALTH_CHECKS"] = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
    yield conn
    conn.close()


def _next_request(conn):
    """What Django does between two requests (``request_started`` → ``close_old_connections``)."""
    conn.close_if_unusable_or_obsolete()
    assert conn.health_check_done is False


def _pid(conn) -> int:
    return conn.connection.info.backend_pid


def test_the_backend_is_ours_on_postgresql():
    assert connection.settings_dict["ENGINE"] == "kpiworkshop.core.postgresql"
    assert connection.vendor == "postgresql"


def test_a_healthy_idle_connection_is_checked_without_a_query(other):
    pid = _pid(other)
    _next_request(other)
    no_select_1 = mock.patch.object(
        type(other), "is_usable", side_effect=AssertionError("SELECT 1")
    )
    # The request's first query runs the check.
    with no_select_1, other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == pid
    assert other.health_check_done is True


def test_a_terminated_session_is_replaced_before_the_first_query(other):
    old = _pid(other)
    _next_request(other)
    with connection.cursor() as cursor:  # the operator, from another session
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [old])
        assert cursor.fetchone()[0] is True
    djangos = PostgresWrapper.is_usable
    spy = mock.patch.object(type(other), "is_usable", autospec=True, side_effect=djangos)
    # No OperationalError: the check found the closed socket and reconnected.
    with spy as usable, other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        new = cursor.fetchone()[0]
    assert new != old
    assert usable.call_count == 1  # the socket was readable: SELECT 1 decided (and failed)


def test_a_connection_left_in_a_transaction_gets_django_s_own_check(other):
    _next_request(other)
    other.connection.execute("BEGIN")  # psycopg's own: Django does not know
    with mock.patch.object(type(other), "is_usable", return_value=True) as usable:
        other.close_if_health_check_failed()
    assert usable.call_count == 1
    other.connection.execute("ROLLBACK")


def test_the_check_runs_once_per_request(other):
    _next_request(other)
    with mock.patch.object(
        type(other), "connection_looks_idle_and_open", return_value=True
    ) as probe:
        for _ in range(3):
            with other.cursor() as cursor:
                cursor.execute("SELECT 1")
    assert probe.call_count == 1
