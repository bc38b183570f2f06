"""Vote integrity under real concurrency: threads, each with its own database connection.

These need PostgreSQL (row locks, real parallel transactions); `.ci/run` runs the whole suite
on it. On the default in-memory SQLite they are skipped, since its test database cannot be
shared between threads.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from kpiworkshop.accounts.models import Role
from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method, Vote
from tests.factories import ParticipantFactory
from tests.races import RACE_TEST, run_at_once

from .conftest import make_proposal

pytestmark = RACE_TEST


def test_fifty_identical_concurrent_votes_leave_one_vote(open_ballot, proposals, people):
    agent = people[0][0]
    ballot = open_ballot(Method.APPROVAL)
    results = run_at_once(
        50,
        lambda i: services.vote_cast(
            actor=agent, ballot=ballot, proposal_id=proposals[0].pk, value=1
        ),
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert Vote.objects.filter(ballot=ballot, participant=agent).count() == 1


def test_concurrent_dot_spending_never_exceeds_the_budget(
    open_ballot, vote_workshop, facilitator, people
):
    agent = people[0][0]
    extra = [make_proposal(vote_workshop, facilitator, f"KPI {i}") for i in range(17)]
    ballot = open_ballot(Method.DOTS, dot_budget=5)
    items = list(ballot.items.values_list("proposal_id", flat=True))
    assert len(items) == 20 and extra
    results = run_at_once(
        20, lambda i: services.vote_cast(actor=agent, ballot=ballot, proposal_id=items[i], value=1)
    )
    ok = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(ok) == 5
    assert len(refused) == 15
    assert Vote.objects.filter(ballot=ballot, participant=agent).aggregate(s=Sum("value"))["s"] == 5


def test_a_vote_racing_the_close_is_counted_or_refused_never_half(
    open_ballot, vote_workshop, facilitator, proposals
):
    voters = [
        ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True) for _ in range(30)
    ]
    ballot = open_ballot(Method.APPROVAL)

    def act(i: int):
        if i == 15:
            return services.ballot_close(actor=facilitator, ballot=ballot)
        return services.vote_cast(
            actor=voters[i], ballot=ballot, proposal_id=proposals[0].pk, value=1
        )

    results = run_at_once(30, act)
    unexpected = [
        r
        for r in results
        if isinstance(r, Exception) and not isinstance(r, ValidationError | PermissionDenied)
    ]
    assert unexpected == []
    counted = sum(1 for i, r in enumerate(results) if i != 15 and not isinstance(r, Exception))
    ballot.refresh_from_db()
    assert ballot.state == "closed"
    assert Vote.objects.filter(ballot=ballot).count() == counted
    # nothing recorded after the close
    assert not Vote.objects.filter(ballot=ballot, updated_at__gt=ballot.closed_at).exists()
