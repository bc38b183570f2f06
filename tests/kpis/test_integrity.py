"""Merging under real concurrency: threads, each with its own database connection.

PostgreSQL only (row locks, real parallel transactions); `.ci/run` runs it there. On the
default in-memory SQLite it is skipped, since its test database cannot be shared between
threads.
"""

from django.core.exceptions import ValidationError

from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Stage
from tests.races import RACE_TEST, run_at_once

from .conftest import DEFINITION

pytestmark = RACE_TEST


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
        pairs = ((a, b), (b, a))
        results = run_at_once(
            2,
            lambda i, pairs=pairs: services.proposal_merge(
                actor=facilitator, source=pairs[i][0], target=pairs[i][1]
            ),
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
