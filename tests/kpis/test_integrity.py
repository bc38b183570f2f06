"""Merging under real concurrency: threads, each with its own database connection.

PostgreSQL only (row locks, real parallel transactions); `.ci/run` runs it there. On the
default in-memory SQLite it is skipped, since its test database cannot be shared between
threads.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Stage

from .conftest import DEFINITION

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("race tests need PostgreSQL (DATABASE_URL); .ci/run runs them")


def _both_at_once(first, second) -> list:
    """Run the two callables in two threads released together; each result or exception."""
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def worker(i: int, fn) -> None:
        from django.db import connections

        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(0, first)),
        threading.Thread(target=worker, args=(1, second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_opposite_merges_at_once_merge_once_and_never_deadlock(workshop, facilitator, agent):
    rounds = []
    for i in range(20):
        workshop.stage = Stage.PROPOSE
        workshop.save()
        a = services.proposal_create(
            actor=agent, workshop=workshop, definition=DEFINITION | {"name": f"A {i}"}
        )
        b = services.proposal_create(
            actor=agent, workshop=workshop, definition=DEFINITION | {"name": f"B {i}"}
        )
        workshop.stage = Stage.REFINE
        workshop.save()
        results = _both_at_once(
            lambda a=a, b=b: services.proposal_merge(actor=facilitator, source=a, target=b),
            lambda a=a, b=b: services.proposal_merge(actor=facilitator, source=b, target=a),
        )
        rounds.append(results)
        # One merge wins; the other is told the proposal is no longer open. A deadlock would
        # show as a database error here (PostgreSQL aborts one of the two transactions).
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], ValidationError), results
        states = sorted(
            Proposal.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True)
        )
        assert states == sorted([ProposalState.MERGED, ProposalState.OPEN])
    assert len(rounds) == 20
