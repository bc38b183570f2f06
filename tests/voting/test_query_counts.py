"""The vote, ballot and board pages cost the same number of queries with 1, 10 and 100
proposals and voters (the tally is one grouped query, never a loop over votes)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpiworkshop.accounts.models import Role
from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method
from tests.conftest import as_guest, login
from tests.factories import ParticipantFactory

from .conftest import make_proposal

HX = {"HTTP_HX_REQUEST": "true"}


def build(workshop, facilitator, n: int, method=Method.DOTS):
    for i in range(n):
        make_proposal(workshop, facilitator, f"KPI {i}")
    ballot = services.ballot_create(
        actor=facilitator,
        workshop=workshop,
        title="Round",
        method=method,
        visibility="always",
        dot_budget=100,
    )
    ballot = services.ballot_open(actor=facilitator, ballot=ballot)
    items = list(ballot.items.values_list("proposal_id", flat=True))
    roles = [Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER]
    voters = [
        ParticipantFactory(workshop=workshop, role=roles[i % 4], guest=True) for i in range(n)
    ]
    for v in voters:
        for pid in items[:3]:
            services.vote_cast(actor=v, ballot=ballot, proposal_id=pid, value=1)
    return ballot, voters, items


def real(ctx) -> list[dict]:
    """Queries without SAVEPOINT/RELEASE: tests run inside a transaction, so a service's atomic
    block shows up as savepoints; in production it is BEGIN/COMMIT, not queries."""
    return [q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def count(client, method, url, **kw) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, **kw)
    assert response.status_code == 200, response.status_code
    return len(real(ctx))


@pytest.mark.parametrize("method", [Method.DOTS, Method.SCORE, Method.RANKING])
def test_pages_cost_the_same_at_1_10_and_100(client, vote_workshop, facilitator, method):
    counts = {}
    for n in (1, 10, 100):
        # each size in its own workshop of the same organisation
        from tests.factories import WorkshopFactory

        w = WorkshopFactory(organisation=vote_workshop.organisation, stage="vote")
        fac = ParticipantFactory(workshop=w, role=Role.FACILITATOR, user=facilitator.user)
        ballot, voters, items = build(w, fac, n, Method.DOTS)
        if method != Method.DOTS:
            ballot = services.ballot_create(
                actor=fac, workshop=w, title="R2", method=method, visibility="always"
            )
            ballot = services.ballot_open(actor=fac, ballot=ballot)
        base = f"/w/{w.pk}/ballots/{ballot.pk}/"
        client.logout()
        as_guest(client, voters[0])
        page = count(client, "get", base)
        board = count(client, "get", base + "board/?fragment=live", **HX)
        # Again, from the shared fragments (the next phone of the room): one statement for the
        # participant, the ballot with its version and my votes; a ranking also reads the
        # proposals to order them.
        warm = (
            count(client, "get", base),
            count(client, "get", base + "board/?fragment=live", **HX),
        )
        assert warm == ((3, 2) if method == Method.RANKING else (1, 2)), warm
        if method == Method.RANKING:
            vote = count(client, "post", base + "rank/", data={"order": items, "save": "1"}, **HX)
        else:
            data = {"proposal": items[-1], "value": 1}
            if method == Method.SCORE:
                crit = ballot.criteria.first()
                data = {"proposal": items[-1], f"score-{crit.pk}": 4}
            vote = count(client, "post", base + "vote/", data=data, **HX)
        client.cookies.clear()
        login(client, fac)
        manage = count(client, "get", base)
        counts[n] = (page, board, vote, manage)
    assert counts[1] == counts[10] == counts[100], counts
    page, board, vote, manage = counts[100]
    assert page <= 12 and board <= 12 and manage <= 12, counts
    assert vote <= 12, counts


def test_the_vote_itself_is_four_queries(vote_workshop, facilitator):
    """The shared-locked ballot read, the turnout row (the budget's lock), the dots spent, the
    upsert."""
    ballot, voters, items = build(vote_workshop, facilitator, 10)
    with CaptureQueriesContext(connection) as ctx:
        services.vote_cast(actor=voters[0], ballot=ballot, proposal_id=items[5], value=2)
    assert len(real(ctx)) == 4, [q["sql"][:80] for q in real(ctx)]


def test_a_dot_tap_is_five_queries_whatever_the_size(client, vote_workshop, facilitator):
    """The whole request: the voter with the workshop and the ballot in one query, then the
    vote's four. The card comes back from the value just saved, without another query."""
    ballot, voters, items = build(vote_workshop, facilitator, 30)
    as_guest(client, voters[0])
    url = f"/w/{vote_workshop.pk}/ballots/{ballot.pk}/vote/"
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, {"proposal": items[-1], "value": 1}, **HX)
    assert response.status_code == 200 and "HX-Trigger" in response
    assert len(real(ctx)) == 5, [q["sql"][:80] for q in real(ctx)]


def test_a_five_criteria_score_card_is_three_queries(vote_workshop, facilitator):
    """One shared-locked read of the ballot and its criteria, the turnout row, one upsert of
    all five scores (it was three queries per criterion, each in its own transaction)."""
    make_proposal(vote_workshop, facilitator, "FCR")
    ballot = services.ballot_create(
        actor=facilitator, workshop=vote_workshop, title="Scores", method=Method.SCORE
    )
    ballot = services.ballot_open(actor=facilitator, ballot=ballot)
    voter = ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True)
    scores = {c.pk: 1 + i % 5 for i, c in enumerate(ballot.criteria.all())}
    assert len(scores) == 5
    proposal_id = ballot.items.get().proposal_id
    with CaptureQueriesContext(connection) as ctx:
        services.score_card_cast(actor=voter, ballot=ballot, proposal_id=proposal_id, scores=scores)
    assert len(real(ctx)) == 3, [q["sql"][:80] for q in real(ctx)]
    assert ballot.votes.count() == 5
