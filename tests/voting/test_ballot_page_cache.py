"""The ballot page's card list and the live board are rendered once per ballot version and
shared through the cache; each person's own votes, dots left and CSRF token are filled in per
request. These tests prove that nothing personal crosses from one phone to another, that the
shared parts follow every change that should show (a vote, a join, a revision, a shortlisting,
opening, closing, a reveal, a stage move), that nothing crosses an organisation or a role, and
that the page keeps working when the cache is down."""

import re

import pytest
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Revision
from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.models import Stage, new_guest_key
from tests.conftest import as_guest, login, written_outside_services
from tests.factories import OrganisationFactory, ParticipantFactory, WorkshopFactory

from .conftest import make_proposal

HX = {"HTTP_HX_REQUEST": "true"}


def page(client, ballot, **kw) -> str:
    response = client.get(f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/", **kw)
    assert response.status_code == 200
    return response.content.decode()


def board(client, ballot, **kw):
    return client.get(
        f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/board/?fragment=live", **HX, **kw
    )


def controls(html: str, pid: int) -> str:
    """One card's vote controls (buttons and inputs, in order), without the CSRF token."""
    start = html.index(f'id="controls-{pid}"')
    end = html.index('<div aria-live="polite">', start)
    tags = re.findall(r"<(?:button|input)\b[^>]*>", html[start:end])
    return "\n".join(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", t) for t in tags)


def csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_my_dots_never_appear_on_your_page(client, open_ballot, people, proposals):
    ballot = open_ballot(Method.DOTS, dot_budget=5, visibility="when_revealed")
    (a1, a2, _a3), _customers = people
    services.vote_cast(actor=a1, ballot=ballot, proposal_id=proposals[0].pk, value=3)
    as_guest(client, a1)
    mine = page(client, ballot)  # renders and shares the card list
    assert "Dots left: <strong data-budget-remaining>2</strong>" in mine
    assert f'value="4" id="plus-{proposals[0].pk}"' in mine
    assert "●●●" in mine and "3 dots" in mine
    client.cookies.clear()
    as_guest(client, a2)
    yours = page(client, ballot)
    assert "Dots left: <strong data-budget-remaining>5</strong>" in yours
    assert "●" not in yours
    assert f'value="1" id="plus-{proposals[0].pk}"' in yours
    assert f'value="-1" disabled id="minus-{proposals[0].pk}"' in yours
    assert "3 dots" not in yours
    # and back: a2's votes do not reach a1's page either
    services.vote_cast(actor=a2, ballot=ballot, proposal_id=proposals[1].pk, value=1)
    client.cookies.clear()
    as_guest(client, a1)
    again = page(client, ballot)
    assert f'value="-1" disabled id="minus-{proposals[1].pk}"' in again
    assert f'value="2" id="minus-{proposals[0].pk}"' in again


@pytest.mark.parametrize("method", [Method.APPROVAL, Method.SCORE])
def test_approval_and_score_cards_show_only_the_viewers_own_votes(
    client, open_ballot, people, proposals, method
):
    ballot = open_ballot(method, visibility="when_revealed")
    (a1, a2, _a3), _customers = people
    pid = proposals[0].pk
    if method == Method.APPROVAL:
        services.vote_cast(actor=a1, ballot=ballot, proposal_id=pid, value=1)
        services.vote_cast(actor=a2, ballot=ballot, proposal_id=pid, value=0)
    else:
        crit = list(ballot.criteria.order_by("position"))
        services.score_card_cast(actor=a1, ballot=ballot, proposal_id=pid, scores={crit[0].pk: 5})
        services.score_card_cast(actor=a2, ballot=ballot, proposal_id=pid, scores={crit[0].pk: 2})
    as_guest(client, a1)
    first = controls(page(client, ballot), pid)
    client.cookies.clear()
    as_guest(client, a2)
    second = controls(page(client, ballot), pid)
    if method == Method.APPROVAL:
        assert 'btn-success" type="submit" name="value" value="1" aria-pressed="true"' in first
        assert first.count('aria-pressed="true"') == second.count('aria-pressed="true"') == 1
        assert 'btn-secondary" type="submit" name="value" value="0" aria-pressed="true"' in second
        assert 'value="1" aria-pressed="false"' in second
    else:
        c = crit[0].pk
        assert f'id="s-{pid}-{c}-5" value="5" checked>' in first
        assert f'id="s-{pid}-{c}-2" value="2">' in first
        assert f'id="s-{pid}-{c}-2" value="2" checked>' in second
        assert f'id="s-{pid}-{c}-5" value="5">' in second
        assert first.count("checked") == second.count("checked") == 1


@pytest.mark.parametrize("method", [Method.APPROVAL, Method.DOTS, Method.SCORE])
def test_a_card_on_the_page_is_drawn_as_the_vote_response_draws_it(
    client, open_ballot, people, proposals, method
):
    """The shared card list with its slots filled in and the vote response's partial give the
    same controls for the same vote."""
    ballot = open_ballot(method, dot_budget=5, visibility="when_revealed")
    voter = people[0][0]
    pid = proposals[1].pk
    as_guest(client, voter)
    page(client, ballot)  # the shared list exists before the vote
    data = {"proposal": pid, "value": 1}
    if method == Method.SCORE:
        crit = ballot.criteria.order_by("position").first()
        data = {"proposal": pid, f"score-{crit.pk}": 4}
    elif method == Method.DOTS:
        data["value"] = 2
    response = client.post(f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/vote/", data, **HX)
    assert response.status_code == 200
    after_tap = controls(response.content.decode(), pid)
    assert controls(page(client, ballot), pid) == after_tap
    shown = {
        Method.APPROVAL: 'value="1" aria-pressed="true"',
        Method.DOTS: 'value="1" id="minus-',
        Method.SCORE: 'value="4" checked>',
    }[method]
    assert shown in after_tap


def test_each_page_carries_its_own_csrf_token(open_ballot, people, proposals):
    """The shared card list is rendered without the request: each page's forms carry that
    person's token, and a tap with it is accepted (a shared token would be refused)."""
    ballot = open_ballot(Method.DOTS, dot_budget=5, visibility="when_revealed")
    (a1, a2, _a3), _customers = people
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    as_guest(first, a1)
    as_guest(second, a2)
    html1, html2 = page(first, ballot), page(second, ballot)
    tokens1, tokens2 = csrf_tokens(html1), csrf_tokens(html2)
    assert tokens1 and tokens2
    secret1 = first.cookies["csrftoken"].value
    secret2 = second.cookies["csrftoken"].value
    assert secret1 != secret2
    assert {_unmask_cipher_token(t) for t in tokens1} == {secret1}
    assert {_unmask_cipher_token(t) for t in tokens2} == {secret2}
    token = sorted(tokens2)[0]
    response = second.post(
        f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/vote/",
        {"proposal": proposals[0].pk, "value": 1, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302  # accepted: back to the page


def test_the_cards_follow_a_revision_and_the_round_opening(
    client, vote_workshop, facilitator, proposals, people
):
    ballot = services.ballot_create(
        actor=facilitator, workshop=vote_workshop, title="R", method=Method.APPROVAL
    )
    as_guest(client, people[0][0])
    draft = page(client, ballot)
    assert "has not opened yet" in draft and 'id="yes-' not in draft
    services.ballot_open(actor=facilitator, ballot=ballot)
    opened = page(client, ballot)
    assert f'id="yes-{proposals[0].pk}"' in opened
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
    assert "First contact resolution" in page(client, ballot)


def test_a_stage_move_and_a_close_take_the_cards_away(
    client, open_ballot, people, facilitator, vote_workshop
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="after_close")
    as_guest(client, people[0][0])
    assert "Dots left" in page(client, ballot)
    vote_workshop.stage = Stage.MAP
    vote_workshop.save(update_fields=["stage"])
    moved = page(client, ballot)
    assert 'id="plus-' not in moved and "Voting happens in the Vote stage" in moved
    vote_workshop.stage = Stage.VOTE
    vote_workshop.save(update_fields=["stage"])
    assert 'id="plus-' in page(client, ballot)
    services.ballot_close(actor=facilitator, ballot=ballot)
    closed = page(client, ballot)
    assert 'id="plus-' not in closed and "This round is closed." in closed


def test_a_role_that_does_not_vote_never_gets_the_voters_cards(
    client, open_ballot, people, proposals
):
    ballot = open_ballot(Method.APPROVAL, eligible_roles=[Role.AGENT])
    agents, customers = people
    as_guest(client, agents[0])
    assert f'id="yes-{proposals[0].pk}"' in page(client, ballot)
    client.cookies.clear()
    as_guest(client, customers[0])
    html = page(client, ballot)
    assert 'id="yes-' not in html and "your role does not vote in it" in html


def test_the_shortlist_form_never_reaches_a_participant_and_follows_a_shortlisting(
    client, open_ballot, people, proposals, facilitator
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always")
    agents, customers = people
    for voter in agents:
        services.vote_cast(actor=voter, ballot=ballot, proposal_id=proposals[2].pk, value=1)
    login(client, facilitator)
    managed = page(client, ballot)
    assert 'name="proposals"' in managed and "shortlisted</span>" not in managed
    client.logout()
    as_guest(client, customers[0])
    seen = page(client, ballot)
    assert "3 dots" in seen and 'name="proposals"' not in seen
    client.cookies.clear()
    login(client, facilitator)
    services.ballot_shortlist(
        actor=facilitator, ballot=ballot, proposal_ids=[proposals[2].pk], top=None
    )
    shortlisted = page(client, ballot)
    row = shortlisted[shortlisted.index(f'id="sl-{proposals[2].pk}"') :]
    assert row.index("shortlisted</span>") < row.index("</div>")


def test_the_board_follows_a_vote_a_join_and_a_reveal(
    client, open_ballot, people, proposals, facilitator, vote_workshop
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="when_revealed", secret=False)
    agent = people[0][0]
    as_guest(client, agent)
    first = board(client, ballot)
    etag = first["ETag"]
    assert "Voted: 0 of 6" in first.content.decode()
    assert board(client, ballot, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # A join moves the ETag and the "of N" (it did not: the count stayed stale).
    invitation = workshop_services.invitation_create(
        actor=facilitator, workshop=vote_workshop, role=Role.AGENT
    )
    workshop_services.participant_join_guest(
        invitation=invitation, guest_key=new_guest_key(), display_name="Late"
    )
    joined = board(client, ballot, HTTP_IF_NONE_MATCH=etag)
    assert joined.status_code == 200 and joined["ETag"] != etag
    assert "Voted: 0 of 7" in joined.content.decode()
    etag = joined["ETag"]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=proposals[0].pk, value=2)
    voted = board(client, ballot, HTTP_IF_NONE_MATCH=etag)
    assert voted.status_code == 200 and "Voted: 1 of 7" in voted.content.decode()
    assert "Results will be shown when the facilitator reveals them." in voted.content.decode()
    services.ballot_reveal(actor=facilitator, ballot=ballot)
    revealed = board(client, ballot, HTTP_IF_NONE_MATCH=voted["ETag"]).content.decode()
    assert "2 dots" in revealed and "reveals them" not in revealed


def test_a_participant_leaving_moves_the_board(client, open_ballot, people):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always")
    agents, customers = people
    as_guest(client, agents[0])
    before = board(client, ballot)
    assert "Voted: 0 of 6" in before.content.decode()
    customers[0].is_active = False
    customers[0].save()
    written_outside_services("ROSTER", customers[0].workshop_id)
    after = board(client, ballot, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and "Voted: 0 of 5" in after.content.decode()


def test_cards_never_cross_organisations(client, facilitator, vote_workshop, open_ballot, people):
    ours = open_ballot(Method.APPROVAL)
    other_ws = WorkshopFactory(organisation=OrganisationFactory(), stage=Stage.VOTE)
    other_fac = ParticipantFactory(workshop=other_ws, role=Role.FACILITATOR)
    make_proposal(other_ws, other_fac, "Their secret KPI")
    theirs = services.ballot_open(
        actor=other_fac,
        ballot=services.ballot_create(
            actor=other_fac, workshop=other_ws, title="T", method=Method.APPROVAL
        ),
    )
    as_guest(client, people[0][0])
    mine = page(client, ours)
    assert "FCR" in mine and "Their secret KPI" not in mine
    stranger = ParticipantFactory(workshop=other_ws, role=Role.AGENT, guest=True)
    client.cookies.clear()
    as_guest(client, stranger)
    html = page(client, theirs)
    assert "Their secret KPI" in html and "FCR" not in html and "NPS" not in html
    # and neither page is reachable from the other organisation
    assert client.get(f"/w/{ours.workshop_id}/ballots/{ours.pk}/").status_code == 404


def test_the_cards_and_the_board_follow_the_language(client, open_ballot, people):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="when_revealed")
    as_guest(client, people[0][0])
    assert "0 dots" in page(client, ballot)
    italian = page(client, ballot, HTTP_ACCEPT_LANGUAGE="it")
    assert "0 punti" in italian and "Details" not in italian
    assert "Dettagli" not in page(client, ballot, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        "Hanno votato: 0 su 6" in board(client, ballot, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    )
    assert "Voted" in board(client, ballot, HTTP_ACCEPT_LANGUAGE="en").content.decode()


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}})
def test_without_a_cache_every_page_still_shows_the_viewers_own_votes(
    client, open_ballot, people, proposals
):
    ballot = open_ballot(Method.DOTS, dot_budget=5, visibility="always")
    voter = people[0][0]
    services.vote_cast(actor=voter, ballot=ballot, proposal_id=proposals[0].pk, value=2)
    as_guest(client, voter)
    html = page(client, ballot)
    assert f'value="1" id="minus-{proposals[0].pk}"' in html and "2 dots" in html
    assert "Voted: 1 of 6" in board(client, ballot).content.decode()


def test_a_warm_phone_page_costs_one_query_and_a_board_poll_two(
    client, open_ballot, people, proposals, facilitator
):
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always")
    agents, _customers = people
    services.vote_cast(actor=agents[0], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    as_guest(client, agents[0])
    page(client, ballot)
    board(client, ballot)
    client.cookies.clear()
    as_guest(client, agents[1])
    with CaptureQueriesContext(connection) as phone:
        page(client, ballot)
    with CaptureQueriesContext(connection) as poll:
        board(client, ballot)
    # One statement: the participant with the workshop, the ballot with its version, "have I
    # voted" and my own votes. The board: the participant with the workshop and the ballot
    # (the vote's statement), then the ballot with its version.
    assert len(phone) == 1, [q["sql"][:60] for q in phone.captured_queries]
    assert len(poll) == 2, [q["sql"][:60] for q in poll.captured_queries]
    client.cookies.clear()
    login(client, facilitator)
    page(client, ballot)
    with CaptureQueriesContext(connection) as managed:
        page(client, ballot)
    # the session with its user (one statement), then as a phone
    assert len(managed) == 2, [q["sql"][:60] for q in managed.captured_queries]


def test_an_open_view_is_never_served_for_a_secret_ballot(
    client, open_ballot, vote_workshop, people, proposals
):
    """Even if the secrecy flag changed without anything else moving (no updated_at), the
    shared results and board are never the open ballot's: their keys carry the rule."""
    ballot = open_ballot(Method.DOTS, dot_budget=3, visibility="always", secret=False)
    agents, _customers = people
    lone = ParticipantFactory(workshop=vote_workshop, role=Role.SUPERVISOR, guest=True)
    for voter in [*agents, lone]:
        services.vote_cast(actor=voter, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    as_guest(client, agents[0])

    def results(html: str) -> str:
        return html[html.index('data-testid="results"') :]

    first = board(client, ballot)
    assert "role-supervisor" in results(first.content.decode())
    assert "role-supervisor" in results(page(client, ballot))
    type(ballot).objects.filter(pk=ballot.pk).update(secret=True)
    again = board(client, ballot, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert "4 dots" in results(again.content.decode())
    assert "role-supervisor" not in results(again.content.decode())
    assert "role-supervisor" not in results(page(client, ballot))
