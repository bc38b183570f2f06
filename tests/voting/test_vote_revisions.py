"""Votes are bound to the revision they were given on (issue 20): a KPI that changes during an
open round shows its earlier voters "changed since your vote", one tap keeps the vote on the
new version, a closed round refuses it, and results say how many votes are on the current
version without letting a secret ballot's count single anyone out."""

import pytest
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.voting import revisions, selectors, services
from kpiworkshop.voting.models import Method, Vote
from kpiworkshop.workshops.models import Stage
from tests.conftest import as_guest, login
from tests.factories import ParticipantFactory

from .test_query_counts import count

HX = {"HTTP_HX_REQUEST": "true"}


def edit(proposal, author, **fields):
    """The facilitator takes the workshop back to refine, revises the KPI, and returns to the
    vote stage with the round still open (the way a definition changes under a round)."""
    workshop = proposal.workshop
    workshop.stage = Stage.REFINE
    workshop.save(update_fields=["stage"])
    proposal.refresh_from_db()
    proposal.workshop = workshop
    revision = kpi_services.proposal_revise(
        actor=author, proposal=proposal, definition=fields, change_note="Sharper."
    )
    workshop.stage = Stage.VOTE
    workshop.save(update_fields=["stage"])
    proposal.refresh_from_db()
    return revision


def test_a_vote_records_the_revision_it_was_given_on(open_ballot, proposals, people):
    ballot = open_ballot(Method.APPROVAL)
    agent = people[0][0]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    vote = Vote.objects.get(ballot=ballot, participant=agent)
    assert vote.revision_id == proposals[0].current_revision_id


@pytest.mark.parametrize("method", [Method.APPROVAL, Method.DOTS, Method.SCORE, Method.RANKING])
def test_an_edit_puts_earlier_votes_on_an_earlier_version_and_keep_moves_them(
    open_ballot, proposals, people, facilitator, method
):
    ballot = open_ballot(method)
    agent = people[0][0]
    fcr = proposals[0]
    if method == Method.RANKING:
        services.ranking_submit(actor=agent, ballot=ballot, order=[p.pk for p in proposals])
    elif method == Method.SCORE:
        criteria = list(ballot.criteria.values_list("pk", flat=True))
        services.score_card_cast(
            actor=agent, ballot=ballot, proposal_id=fcr.pk, scores={c: 4 for c in criteria}
        )
    else:
        services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=1)
    before = dict(selectors.my_votes(ballot=ballot, participant=agent))
    assert selectors.my_votes(ballot=ballot, participant=agent).earlier == {}

    old = fcr.current_revision_id
    edit(fcr, facilitator, target="80 %")
    ballot.refresh_from_db()
    mine = selectors.my_votes(ballot=ballot, participant=agent)
    assert mine.earlier == {fcr.pk: (old, fcr.current_revision_id)}
    changed = revisions.changed_since_vote(ballot=ballot, participant=agent, mine=mine)
    assert [(c.proposal_id, [d.name for d in c.diffs]) for c in changed] == [(fcr.pk, ["target"])]

    moved = revisions.vote_reconfirm(actor=agent, ballot=ballot, proposal_id=fcr.pk)
    assert moved >= 1
    mine = selectors.my_votes(ballot=ballot, participant=agent)
    assert mine.earlier == {}
    assert dict(mine) == before  # the values are kept as they were
    # A second tap changes nothing.
    assert revisions.vote_reconfirm(actor=agent, ballot=ballot, proposal_id=fcr.pk) == 0


def test_changing_the_vote_binds_it_to_the_current_version(
    open_ballot, proposals, people, facilitator
):
    ballot = open_ballot(Method.DOTS)
    agent = people[0][0]
    fcr = proposals[0]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=2)
    edit(fcr, facilitator, target="80 %")
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=1)
    assert selectors.my_votes(ballot=ballot, participant=agent).earlier == {}


def test_a_dot_taken_back_is_not_a_vote_on_an_earlier_version(
    open_ballot, proposals, people, facilitator
):
    ballot = open_ballot(Method.DOTS)
    agent = people[0][0]
    fcr = proposals[0]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=1)
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=0)
    edit(fcr, facilitator, target="80 %")
    assert selectors.my_votes(ballot=ballot, participant=agent).earlier == {}


def test_keeping_a_vote_after_the_round_closed_is_refused_and_changes_nothing(
    client, open_ballot, proposals, people, facilitator
):
    ballot = open_ballot(Method.APPROVAL)
    agent = people[0][0]
    fcr = proposals[0]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    ballot.refresh_from_db()
    services.ballot_close(actor=facilitator, ballot=ballot)
    as_guest(client, agent)
    url = reverse("voting:reconfirm", args=[ballot.workshop_id, ballot.pk])
    response = client.post(url, {"proposal": fcr.pk}, **HX)
    assert response.status_code == 200
    assert "This round is closed" in response.content.decode()
    vote = Vote.objects.get(ballot=ballot, participant=agent)
    assert vote.revision_id != fcr.current_revision_id
    # Without htmx: back to the page with the message.
    response = client.post(url, {"proposal": fcr.pk}, follow=True)
    assert "This round is closed" in response.content.decode()


@pytest.mark.parametrize("bad", ["", "abc", "99999999999999999999999", "-1"])
def test_keeping_a_vote_on_a_bad_proposal_is_refused_without_500(
    client, open_ballot, proposals, people, bad
):
    ballot = open_ballot(Method.APPROVAL)
    as_guest(client, people[0][0])
    url = reverse("voting:reconfirm", args=[ballot.workshop_id, ballot.pk])
    response = client.post(url, {"proposal": bad}, **HX)
    assert response.status_code == 200
    assert "not part of this round" in response.content.decode()


def test_another_organisation_cannot_keep_votes(client, open_ballot, other_org_participant):
    ballot = open_ballot(Method.APPROVAL)
    login(client, other_org_participant)
    url = reverse("voting:reconfirm", args=[ballot.workshop_id, ballot.pk])
    assert client.post(url, {"proposal": 1}).status_code in (403, 404)


def test_ballot_page_offers_keep_or_change_and_one_tap_keeps_the_vote(
    client, open_ballot, proposals, people, facilitator
):
    ballot = open_ballot(Method.APPROVAL)
    agent = people[0][0]
    fcr = proposals[0]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=1)
    as_guest(client, agent)
    page_url = reverse("voting:detail", args=[ballot.workshop_id, ballot.pk])
    assert 'data-testid="changed-since-vote"' not in client.get(page_url).content.decode()

    edit(fcr, facilitator, target="80 %")
    page = client.get(page_url).content.decode()
    assert 'data-testid="changed-since-vote"' in page
    assert "<ins>80" in page  # the diff, in its disclosure
    assert f'href="#card-{fcr.pk}"' in page  # change it: the card is on the same page

    keep = reverse("voting:reconfirm", args=[ballot.workshop_id, ballot.pk])
    fragment = client.post(keep, {"proposal": fcr.pk}, **HX)
    body = fragment.content.decode()
    assert 'data-testid="vote-kept"' in body
    assert 'data-testid="changed-since-vote"' not in body
    assert "<html" not in body
    assert "voteCast" in fragment["HX-Trigger"]
    assert 'data-testid="changed-since-vote"' not in client.get(page_url).content.decode()


def test_keep_without_javascript_redirects_with_a_message(
    client, open_ballot, proposals, people, facilitator
):
    ballot = open_ballot(Method.DOTS)
    agent = people[0][0]
    fcr = proposals[0]
    services.vote_cast(actor=agent, ballot=ballot, proposal_id=fcr.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    as_guest(client, agent)
    keep = reverse("voting:reconfirm", args=[ballot.workshop_id, ballot.pk])
    response = client.post(keep, {"proposal": fcr.pk})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your vote is kept for the current version." in page
    assert 'data-testid="changed-since-vote"' not in page


def test_ballot_page_query_count_does_not_grow_with_changed_kpis(
    client, vote_workshop, facilitator
):
    from .conftest import make_proposal

    kpis = [make_proposal(vote_workshop, facilitator, f"KPI {i}") for i in range(12)]
    ballot = services.ballot_create(
        actor=facilitator, workshop=vote_workshop, title="R", method=Method.APPROVAL
    )
    ballot = services.ballot_open(actor=facilitator, ballot=ballot)
    agent = ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True)
    for p in kpis:
        services.vote_cast(actor=agent, ballot=ballot, proposal_id=p.pk, value=1)
    as_guest(client, agent)
    url = reverse("voting:detail", args=[vote_workshop.pk, ballot.pk])
    edit(kpis[0], facilitator, target="1")
    one = count(client, "get", url)
    for p in kpis[1:]:
        edit(p, facilitator, target="1")
    twelve = count(client, "get", url)
    assert one == twelve


# --- results ---------------------------------------------------------------------------------


def _voters(workshop, n, role=Role.AGENT):
    return [ParticipantFactory(workshop=workshop, role=role, guest=True) for _ in range(n)]


def test_open_round_results_say_how_many_votes_are_on_the_current_version(
    vote_workshop, open_ballot, proposals, facilitator
):
    ballot = open_ballot(Method.APPROVAL, secret=False, visibility="always")
    fcr = proposals[0]
    early, late = _voters(vote_workshop, 3), _voters(vote_workshop, 2)
    for v in early:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    for v in late:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=0)
    revisions.vote_reconfirm(actor=early[0], ballot=ballot, proposal_id=fcr.pk)
    ballot.refresh_from_db()
    results = selectors.results_for_ballot(ballot=ballot)
    row = next(r for r in results.rows if r.proposal.pk == fcr.pk)
    assert row.on_current == (5, 3)


def test_no_change_during_the_round_says_nothing_and_costs_no_query(
    vote_workshop, open_ballot, proposals, django_assert_num_queries
):
    ballot = open_ballot(Method.APPROVAL, secret=False)
    for v in _voters(vote_workshop, 3):
        services.vote_cast(actor=v, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    items = selectors.ballot_items(ballot=ballot)
    with django_assert_num_queries(0):
        found = revisions.currency_for_ballot(ballot=ballot, items=items, voters=3, minimum=3)
    assert found is None


@pytest.mark.parametrize("behind", [0, 1, 2])
def test_secret_round_withholds_the_count_alike_for_none_one_or_two_voters_behind(
    vote_workshop, open_ballot, proposals, facilitator, behind
):
    """Secrecy by arithmetic: in a secret round only one overall figure is ever shown, and
    not while fewer than K (3) voters are on either side. With 0, 1 or 2 voters behind, the
    result is the same withheld line, so the one person who voted before the edit cannot be
    found out (not even that they voted for the KPI that changed)."""
    ballot = open_ballot(Method.DOTS, secret=True, visibility="always")
    fcr, nps = proposals[0], proposals[1]
    early = _voters(vote_workshop, 3)
    # Everyone votes before the edit, then all but ``behind`` of them vote on NPS only.
    for i, v in enumerate(early):
        target = fcr if i < behind else nps
        services.vote_cast(actor=v, ballot=ballot, proposal_id=target.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    late = _voters(vote_workshop, 3)
    for v in late:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    ballot.refresh_from_db()
    results = selectors.results_for_ballot(ballot=ballot)
    currency = results.currency
    assert currency.secret and currency.withheld
    assert (currency.voters, currency.current) == (0, 0)
    assert all(r.on_current is None for r in results.rows)
    from django.template.loader import render_to_string

    html = render_to_string("voting/_results.html", {"ballot": ballot, "results": results})
    # The same words whatever ``behind`` is (only the K stated).
    note = html[html.index('data-testid="on-current"') :].split("</p>")[0]
    assert "at least 3 voters are on each side" in note


def _secret_round_three_behind_four_current(vote_workshop, open_ballot, proposals, facilitator):
    """A secret dot round: 3 voters before an edit of the first KPI, 4 after (both sides reach
    K = 3)."""
    ballot = open_ballot(Method.DOTS, secret=True, visibility="always")
    fcr = proposals[0]
    early, late = _voters(vote_workshop, 3), _voters(vote_workshop, 4)
    for v in early:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    for v in late:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    ballot.refresh_from_db()
    return ballot, fcr, early


def test_secret_round_shows_one_overall_figure_once_both_sides_reach_k(
    vote_workshop, open_ballot, proposals, facilitator
):
    ballot, fcr, early = _secret_round_three_behind_four_current(
        vote_workshop, open_ballot, proposals, facilitator
    )
    results = selectors.results_for_ballot(ballot=ballot)
    assert (results.currency.voters, results.currency.current) == (7, 4)
    assert not results.currency.withheld
    assert all(r.on_current is None for r in results.rows)  # never per KPI in a secret round
    # One voter keeps their vote: 2 would be behind, under K: the figure is withheld again.
    revisions.vote_reconfirm(actor=early[0], ballot=ballot, proposal_id=fcr.pk)
    ballot.refresh_from_db()
    assert selectors.results_for_ballot(ballot=ballot).currency.withheld


def test_projector_board_shows_the_count_for_an_open_round(
    client, vote_workshop, open_ballot, proposals, facilitator
):
    ballot = open_ballot(Method.APPROVAL, secret=False, visibility="always")
    fcr = proposals[0]
    voters = _voters(vote_workshop, 2)
    for v in voters:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    login(client, facilitator)
    page = client.get(reverse("voting:board", args=[vote_workshop.pk, ballot.pk])).content
    assert "0 of 2 voters on the current version" in page.decode()


# --- supports ----------------------------------------------------------------------------------


def test_a_support_on_an_earlier_version_is_shown_and_kept(client, workshop, agent, facilitator):
    from kpiworkshop.kpis.models import Support

    from .conftest import make_proposal

    workshop.stage = Stage.REFINE
    workshop.save(update_fields=["stage"])
    fcr = make_proposal(workshop, facilitator, "FCR")
    kpi_services.proposal_support(actor=agent, proposal=fcr)
    assert Support.objects.get().revision_id == fcr.current_revision_id
    login(client, agent)
    url = reverse("kpis:detail", args=[workshop.pk, fcr.pk])
    assert 'data-testid="support-earlier"' not in client.get(url).content.decode()
    kpi_services.proposal_revise(actor=facilitator, proposal=fcr, definition={"target": "9"})
    assert 'data-testid="support-earlier"' in client.get(url).content.decode()
    support_url = reverse("kpis:support", args=[workshop.pk, fcr.pk])
    fragment = client.post(support_url, {"keep": "1"}, **HX).content.decode()
    assert 'data-testid="support-earlier"' not in fragment
    assert "You support this" in fragment
    fcr.refresh_from_db()
    assert Support.objects.get().revision_id == fcr.current_revision_id


def test_a_kpi_changed_after_the_round_closed_is_not_reported(
    vote_workshop, open_ballot, proposals, facilitator
):
    ballot = open_ballot(Method.APPROVAL, secret=False, visibility="always")
    fcr = proposals[0]
    for v in _voters(vote_workshop, 2):
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    ballot.refresh_from_db()
    services.ballot_close(actor=facilitator, ballot=ballot)
    edit(fcr, facilitator, target="80 %")
    ballot.refresh_from_db()
    assert selectors.results_for_ballot(ballot=ballot).currency is None


# --- the results API (the same figures as the results page) -----------------------------------


def _api_results(client, ballot) -> dict:
    url = f"/api/v1/workshops/{ballot.workshop_id}/ballots/{ballot.pk}/results"
    response = client.get(url)
    assert response.status_code == 200
    return response.json()


def test_results_api_says_per_kpi_how_many_votes_are_on_the_current_version(
    client, vote_workshop, open_ballot, proposals, facilitator, agent
):
    ballot = open_ballot(Method.APPROVAL, secret=False, visibility="always")
    fcr, nps = proposals[0], proposals[1]
    early, late = _voters(vote_workshop, 3), _voters(vote_workshop, 2)
    for v in early:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
        services.vote_cast(actor=v, ballot=ballot, proposal_id=nps.pk, value=1)
    login(client, agent)
    body = _api_results(client, ballot)
    assert body["currency"] is None  # nothing changed: nothing said
    assert all(r["on_current"] is None for r in body["rows"])
    edit(fcr, facilitator, target="80 %")
    for v in late:
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=0)
    revisions.vote_reconfirm(actor=early[0], ballot=ballot, proposal_id=fcr.pk)
    ballot.refresh_from_db()
    page_row = next(
        r for r in selectors.results_for_ballot(ballot=ballot).rows if r.proposal.pk == fcr.pk
    )
    body = _api_results(client, ballot)
    rows = {r["proposal_id"]: r for r in body["rows"]}
    assert rows[fcr.pk]["on_current"] == {"voters": 5, "current": 3}
    assert tuple(rows[fcr.pk]["on_current"].values()) == page_row.on_current
    assert rows[nps.pk]["on_current"] is None  # unchanged: every vote is on its version
    assert body["currency"] == {
        "secret": False, "withheld": False, "voters": None, "current": None, "minimum": None,
    }  # fmt: skip


@pytest.mark.parametrize("behind", [0, 1, 2])
def test_results_api_withholds_a_secret_rounds_count_exactly_as_the_page(
    client, vote_workshop, open_ballot, proposals, facilitator, behind
):
    """The API's currency is the page's: in a secret round no per-KPI figure, and while fewer
    than K voters are on either side, the same withheld answer (nulls, not zeros) whether 0,
    1 or 2 voters are behind."""
    ballot = open_ballot(Method.DOTS, secret=True, visibility="always")
    fcr, nps = proposals[0], proposals[1]
    for i, v in enumerate(_voters(vote_workshop, 3)):
        target = fcr if i < behind else nps
        services.vote_cast(actor=v, ballot=ballot, proposal_id=target.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    for v in _voters(vote_workshop, 3):
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    ballot.refresh_from_db()
    assert selectors.results_for_ballot(ballot=ballot).currency.withheld  # the page withholds
    login(client, facilitator)
    body = _api_results(client, ballot)
    assert body["currency"] == {
        "secret": True, "withheld": True, "voters": None, "current": None, "minimum": 3,
    }  # fmt: skip
    assert all(r["on_current"] is None for r in body["rows"])
    assert body["individual_votes"] is None


def test_results_api_gives_a_secret_rounds_one_overall_figure_once_both_sides_reach_k(
    client, vote_workshop, open_ballot, proposals, facilitator
):
    ballot, fcr, early = _secret_round_three_behind_four_current(
        vote_workshop, open_ballot, proposals, facilitator
    )
    login(client, facilitator)
    body = _api_results(client, ballot)
    assert body["currency"] == {
        "secret": True, "withheld": False, "voters": 7, "current": 4, "minimum": 3,
    }  # fmt: skip
    assert all(r["on_current"] is None for r in body["rows"])  # never per KPI when secret
    revisions.vote_reconfirm(actor=early[0], ballot=ballot, proposal_id=fcr.pk)
    ballot.refresh_from_db()
    body = _api_results(client, ballot)
    assert body["currency"]["withheld"] and body["currency"]["current"] is None


def test_results_api_says_nothing_of_a_withheld_secret_round(
    client, vote_workshop, open_ballot, proposals, facilitator
):
    """Fewer than K voters in all: no rows, and no currency either (as the page)."""
    ballot = open_ballot(Method.APPROVAL, secret=True, visibility="always")
    fcr = proposals[0]
    for v in _voters(vote_workshop, 2):
        services.vote_cast(actor=v, ballot=ballot, proposal_id=fcr.pk, value=1)
    edit(fcr, facilitator, target="80 %")
    ballot.refresh_from_db()
    login(client, facilitator)
    body = _api_results(client, ballot)
    assert (body["withheld"], body["rows"], body["currency"]) == (True, [], None)


def test_openapi_documents_the_votes_on_the_current_version():
    from kpiworkshop.api import api

    schemas = api.get_openapi_schema()["components"]["schemas"]
    assert "on_current" in schemas["RowOut"]["properties"]
    assert "currency" in schemas["ResultsOut"]["properties"]
    assert set(schemas["CurrencyOut"]["properties"]) == {
        "secret", "withheld", "voters", "current", "minimum",
    }  # fmt: skip
    assert "small-group minimum" in schemas["CurrencyOut"]["properties"]["minimum"]["description"]
