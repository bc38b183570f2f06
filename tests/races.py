"""Shared by the race tests: PostgreSQL only (row locks, real parallel transactions; `.ci/run`
runs them there), skipped on the default in-memory SQLite, whose test database cannot be shared
between threads."""

import threading

import pytest

#: The marks of a race-test module: ``pytestmark = RACE_TEST``.
RACE_TEST = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres_only"),
]


def run_at_once(n: int, fn) -> list:
    """Run ``fn(i)`` in n threads released together; return each result or exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
