"""The results fragment is rendered once per ballot version and shared between viewers through
the cache: every change that should show does show at once (a vote, a revision, a close, a
reveal), and nothing crosses an organisation, a language or a secrecy rule."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Revision
from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method
from tests.conftest import as_guest, login, written_outside_services
from tests.factories import ParticipantFactory

HX = {"HTTP_HX_REQUEST": "true"}


def results_of(response) -> str:
    """The results block of a ballot page or board fragment ('' when none is shown)."""
    html = response.content.decode()
    start = html.find('data-testid="results"')
    return "" if start < 0 else html[start:]


def results_of_html(html: str) -> str:
    start = html.find('data-testid="results"')
    return "" if start < 0 else html[start:]


def dots_of(results: str, name: str) -> str:
    """'3 dots' for the proposal called ``name`` in a results block."""
    row = results[results.index(name) :]
    return re.search(r"(\d+) dots?", row).group(0)


def page(client, ballot, **kw):
    return client.get(f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/", **kw)


def board(client, ballot, **kw):
    return client.get(
        f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/board/?fragment=live", **HX, **kw
    )


def test_a_new_vote_shows_at_once_on_phones_and_the_board(client, open_ballot, people, proposals):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=False)
    (a1, a2, _a3), _customers = people
    services.vote_cast(actor=a1, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    as_guest(client, a2)
    assert dots_of(results_of(page(client, ballot)), "FCR") == "1 dot"
    assert dots_of(results_of(board(client, ballot)), "FCR") == "1 dot"
    services.vote_cast(actor=a2, ballot=ballot, proposal_id=proposals[0].pk, value=2)
    assert dots_of(results_of(page(client, ballot)), "FCR") == "3 dots"
    assert dots_of(results_of(board(client, ballot)), "FCR") == "3 dots"
    # A dot taken back (kept at 0, never deleted) shows too.
    services.vote_cast(actor=a1, ballot=ballot, proposal_id=proposals[0].pk, value=0)
    assert dots_of(results_of(page(client, ballot)), "FCR") == "2 dots"


def test_a_new_revision_renames_the_proposal_in_cached_results(
    client, open_ballot, people, proposals, facilitator
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=False)
    services.vote_cast(actor=people[0][1], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    as_guest(client, people[0][0])
    assert "FCR" in results_of(page(client, ballot))
    proposal = proposals[0]
    revision = Revision.objects.create(
        proposal=proposal,
        number=2,
        author=facilitator,
        name="First contact resolution",
        measures="Share of contacts solved at once",
        category=proposal.current_revision.category,
    )
    proposal.current_revision = revision
    proposal.save(update_fields=["current_revision"])
    written_outside_services("BOARD", proposal.workshop_id)
    assert "First contact resolution" in results_of(page(client, ballot))
    assert "First contact resolution" in results_of(board(client, ballot))


def test_the_facilitators_early_results_never_reach_a_participant_before_the_reveal(
    client, open_ballot, people, proposals, facilitator
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, secret=False)  # shown when revealed
    agent = people[0][0]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=proposals[1].pk, value=2)
    login(client, facilitator)
    assert dots_of(results_of(page(client, ballot)), "NPS") == "2 dots"  # cached now
    client.logout()
    as_guest(client, agent)
    assert results_of(page(client, ballot)) == ""
    board_html = board(client, ballot).content.decode()
    assert "NPS" not in board_html and "2 dots" not in board_html
    services.ballot_close(actor=facilitator, ballot=ballot)
    assert results_of(page(client, ballot)) == ""  # closed, still not revealed
    services.ballot_reveal(actor=facilitator, ballot=ballot)
    assert dots_of(results_of(page(client, ballot)), "NPS") == "2 dots"
    assert dots_of(results_of(board(client, ballot)), "NPS") == "2 dots"


def test_closing_the_round_refreshes_the_cached_page(client, open_ballot, people, facilitator):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=False)
    as_guest(client, people[0][0])
    assert "Open" in page(client, ballot).content.decode()
    services.ballot_close(actor=facilitator, ballot=ballot)
    html = page(client, ballot).content.decode()
    assert "This round is closed." in html and results_of(page(client, ballot))


def test_a_secret_ballot_hides_a_small_group_for_every_viewer_even_from_the_cache(
    client, open_ballot, vote_workshop, people, proposals, facilitator
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always")  # secret
    agents, _customers = people
    lone = [ParticipantFactory(workshop=vote_workshop, role=Role.SUPERVISOR, guest=True)]
    for voter in [*agents, *lone]:
        services.vote_cast(actor=voter, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    login(client, facilitator)
    for_facilitator = results_of(page(client, ballot))
    assert "4 dots" in for_facilitator and "role-supervisor" not in for_facilitator
    client.logout()
    as_guest(client, agents[0])
    shown = results_of(page(client, ballot))
    assert "4 dots" in shown and "role-supervisor" not in shown
    assert "role-supervisor" not in results_of(board(client, ballot))


def test_results_follow_the_readers_language(client, open_ballot, people):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=False)
    as_guest(client, people[0][0])
    assert "Dot voting: dots received" in results_of(page(client, ballot))
    italian = results_of(page(client, ballot, HTTP_ACCEPT_LANGUAGE="it"))
    assert "Voto a punti: punti ricevuti" in italian
    assert "Dot voting" in results_of(page(client, ballot, HTTP_ACCEPT_LANGUAGE="en"))


def test_a_shared_fragment_saves_the_tally_queries_for_the_next_phone(
    client, open_ballot, people, proposals
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=False)
    (a1, a2, a3), _customers = people
    services.vote_cast(actor=a1, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    as_guest(client, a2)
    with CaptureQueriesContext(connection) as first:
        page(client, ballot)
    as_guest(client, a3)
    with CaptureQueriesContext(connection) as second:
        assert dots_of(results_of(page(client, ballot)), "FCR") == "1 dot"
    # The next phone reads only its participant with the ballot (its version, whether this
    # person voted and their own votes), in one statement: the tally, the turnout, the
    # proposals and the cards come from the shared fragments.
    assert len(first) > 1
    assert len(second) == 1, [q["sql"][:80] for q in second.captured_queries]
    assert not any('SUM("voting_vote".' in q["sql"] for q in second.captured_queries)


def test_a_warm_facilitators_page_reuses_the_shared_results_and_shortlist(
    client, open_ballot, people, proposals, facilitator, monkeypatch
):
    """The facilitator's page of a secret round with results visible (the benchmark's "ballot
    page (facilitator, results)"): once warm, the results, turnout and shortlist rows come from
    the manager's shared fragment, so the page costs the session with the user, then the
    participant with the workshop, the ballot with its version and the facilitator's own votes
    in one statement: nothing is tallied, rendered from the results template or listed for
    the shortlist again."""
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=True)
    (a1, a2, a3), _customers = people
    for voter in (a1, a2, a3):
        services.vote_cast(actor=voter, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    login(client, facilitator)
    first = page(client, ballot).content.decode()
    assert "Shortlist the top proposals" in first

    from kpiworkshop.voting import selectors

    def not_again(**_kw):
        raise AssertionError("recomputed on a warm facilitator page")

    monkeypatch.setattr(selectors, "results_for_ballot", not_again)
    monkeypatch.setattr(selectors, "turnout", not_again)
    monkeypatch.setattr(selectors, "individual_votes", not_again)
    monkeypatch.setattr(selectors, "reasons_for_ballot", not_again)
    with CaptureQueriesContext(connection) as warm:
        again = page(client, ballot).content.decode()
    queries = [q["sql"] for q in warm.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(queries) == 2, [q[:80] for q in queries]
    assert not any('SUM("voting_vote".' in q for q in queries), queries
    assert dots_of(results_of_html(first), "FCR") == "3 dots"
    # The same results, up to the shortlist form (its CSRF token is masked afresh each time).
    same = results_of_html(again).split("csrfmiddlewaretoken")[0]
    assert same == results_of_html(first).split("csrfmiddlewaretoken")[0]
    assert "Shortlist the top proposals" in again


def test_every_vote_moves_the_results_version_in_its_own_transaction(
    open_ballot, people, proposals, vote_workshop
):
    """No lifetime hedge: each vote (a dot given, a dot taken back, a refused one not) moves
    the version, because it bumps its voter's counter in the vote's transaction."""
    from kpiworkshop.voting import selectors

    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=True)

    def version():
        return selectors.ballot_version(
            ballot=selectors.ballot_get(
                workshop=vote_workshop, ballot_id=ballot.pk, with_activity=True
            )
        )

    seen = [version()]
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    seen.append(version())
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=proposals[0].pk, value=0)
    seen.append(version())
    services.vote_cast(actor=people[1][0], ballot=ballot, proposal_id=proposals[0].pk, value=2)
    seen.append(version())
    assert len(set(seen)) == 4
    with pytest.raises(ValidationError):  # over the budget: nothing written, nothing moved
        services.vote_cast(actor=people[1][0], ballot=ballot, proposal_id=proposals[1].pk, value=2)
    assert version() == seen[-1]
