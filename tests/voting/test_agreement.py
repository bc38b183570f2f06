"""Issue 20, item 5: where the room agrees and where it splits, across stakeholder groups, with
the secret-ballot rules of each round's own results."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.voting import permissions, services
from kpiworkshop.voting.agreement import (
    AGREES,
    MIXED,
    ONE_GROUP,
    SPLIT,
    agreement_for_workshop,
    agreement_line,
    agreement_strip,
)
from kpiworkshop.voting.models import Method, Visibility, Vote
from kpiworkshop.workshops.models import STAGE_ORDER, Stage
from tests.conftest import as_guest, login
from tests.factories import ParticipantFactory

from .conftest import make_proposal
from .test_permission_grids import ACTORS, LETTERS, actors_for

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "agreement-list"}


def _approve(ballot, voter, yes: set[int]) -> None:
    for proposal in ballot.items.all():
        services.vote_cast(
            actor=voter,
            ballot=ballot,
            proposal_id=proposal.proposal_id,
            value=int(proposal.proposal_id in yes),
        )


def _group(workshop, role, n):
    return [ParticipantFactory(workshop=workshop, role=role, guest=True) for _ in range(n)]


@pytest.fixture
def room(vote_workshop, facilitator, proposals, open_ballot):
    """An open approval round shown to everyone: three agents and three customers. First
    contact resolution: everyone says yes; NPS: agents yes, customers no; AHT: one of each."""
    fcr, nps, aht = proposals
    ballot = open_ballot(Method.APPROVAL, visibility=Visibility.ALWAYS, title="Round one")
    agents, customers = (
        _group(vote_workshop, Role.AGENT, 3),
        _group(vote_workshop, Role.CUSTOMER, 3),
    )
    for i, a in enumerate(agents):
        _approve(ballot, a, {fcr.pk, nps.pk} | ({aht.pk} if i == 0 else set()))
    for i, c in enumerate(customers):
        _approve(ballot, c, {fcr.pk} | ({aht.pk} if i == 0 else set()))
    return ballot, agents, customers


def test_kpis_ranked_by_their_least_supportive_group_with_agreed_and_split_lists(
    room, vote_workshop, facilitator, proposals
):
    fcr, nps, aht = proposals
    data = agreement_for_workshop(workshop=vote_workshop, actor=facilitator)
    assert [(r.proposal, r.agreement, r.division) for r in data.rows] == [
        (fcr, 100, 0),
        (aht, 33, 0),
        (nps, 0, 100),
    ]
    assert [r.verdict for r in data.rows] == [AGREES, MIXED, SPLIT]
    assert [r.proposal for r in data.agrees] == [fcr]
    assert [r.proposal for r in data.splits] == [nps]
    assert data.rows[2].lowest.label == "Customer"
    by_division = agreement_for_workshop(workshop=vote_workshop, actor=facilitator, sort="division")
    assert by_division.rows[0].proposal == nps
    # An unknown order is the default one, not an error.
    assert agreement_for_workshop(workshop=vote_workshop, actor=facilitator, sort="x").sort == (
        "agreement"
    )


def test_the_latest_round_that_had_a_kpi_gives_its_row(
    room, vote_workshop, facilitator, proposals, open_ballot
):
    ballot, agents, customers = room
    services.ballot_close(actor=facilitator, ballot=ballot)
    fcr, nps, _aht = proposals
    second = open_ballot(Method.APPROVAL, visibility=Visibility.ALWAYS, title="Round two")
    for a in agents:
        _approve(second, a, {nps.pk})
    for c in customers:
        _approve(second, c, {nps.pk})
    data = agreement_for_workshop(workshop=vote_workshop, actor=facilitator)
    rows = {r.proposal: r for r in data.rows}
    assert rows[nps].ballot == second and rows[nps].verdict == AGREES
    assert rows[fcr].ballot == second and rows[fcr].agreement == 0


def test_only_rounds_whose_results_the_reader_may_see(
    vote_workshop, facilitator, proposals, open_ballot
):
    ballot = open_ballot(Method.APPROVAL, visibility=Visibility.WHEN_REVEALED)
    for p in _group(vote_workshop, Role.AGENT, 3):
        _approve(ballot, p, {proposals[0].pk})
    agent = ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True)
    assert agreement_for_workshop(workshop=vote_workshop, actor=agent).ballots == []
    assert agreement_for_workshop(workshop=vote_workshop, actor=facilitator).ballots == [ballot]
    services.ballot_reveal(actor=facilitator, ballot=ballot)
    assert agreement_for_workshop(workshop=vote_workshop, actor=agent).ballots == [ballot]


# --- secrecy ------------------------------------------------------------------------------------


def _shown(workshop, actor) -> list:
    """Every figure and label the agreement view shows."""
    data = agreement_for_workshop(workshop=workshop, actor=actor)
    return [
        (
            r.proposal.pk,
            r.overall,
            r.verdict,
            [(g.key, g.label, g.percent) for g in r.groups],
            str(agreement_strip(r)),
        )
        for r in data.rows
    ] + [data.withheld]


def test_secret_round_never_shows_a_small_group_and_a_swap_with_it_changes_nothing(
    vote_workshop, facilitator, proposals, open_ballot
):
    fcr, nps, aht = proposals
    ballot = open_ballot(Method.APPROVAL, visibility=Visibility.ALWAYS, secret=True)
    agents = _group(vote_workshop, Role.AGENT, 3)
    supervisors = _group(vote_workshop, Role.SUPERVISOR, 3)
    [customer] = _group(vote_workshop, Role.CUSTOMER, 1)
    for a in agents:
        _approve(ballot, a, {fcr.pk})
    for i, s in enumerate(supervisors):
        _approve(ballot, s, {nps.pk} if i else {aht.pk})
    _approve(ballot, customer, {fcr.pk, nps.pk})
    before = _shown(vote_workshop, facilitator)
    labels = {label for row in before[:-1] for _k, label, _p in row[3]}
    # The lone customer is never a line of its own: merged with the smallest group.
    assert labels == {"Agent", "Other groups (Supervisor, Customer)"}
    # Exchanging the customer's ballot with a supervisor's changes nothing shown: neither the
    # customer's choice nor their group's total can be worked out from the view.
    mine = {v.proposal_id: v.value for v in Vote.objects.filter(participant=customer)}
    theirs = {v.proposal_id: v.value for v in Vote.objects.filter(participant=supervisors[0])}
    for pid, value in theirs.items():
        Vote.objects.filter(participant=customer, proposal_id=pid).update(value=value)
    for pid, value in mine.items():
        Vote.objects.filter(participant=supervisors[0], proposal_id=pid).update(value=value)
    assert _shown(vote_workshop, facilitator) == before


def test_secret_round_with_too_few_voters_shows_no_figure(
    vote_workshop, facilitator, proposals, open_ballot, client
):
    ballot = open_ballot(Method.APPROVAL, visibility=Visibility.ALWAYS, secret=True)
    for p in _group(vote_workshop, Role.AGENT, 2):
        _approve(ballot, p, {proposals[0].pk})
    data = agreement_for_workshop(workshop=vote_workshop, actor=facilitator)
    assert data.rows == [] and data.withheld == 3
    login(client, facilitator)
    html = client.get(reverse("voting:agreement", args=[vote_workshop.pk])).content.decode()
    assert 'data-testid="agreement-withheld"' in html and 'data-testid="agreement-row"' not in html


def test_a_single_group_line_is_listed_without_comparison(
    vote_workshop, facilitator, proposals, open_ballot
):
    ballot = open_ballot(Method.APPROVAL, visibility=Visibility.ALWAYS)
    for p in _group(vote_workshop, Role.AGENT, 3):
        _approve(ballot, p, {proposals[0].pk})
    rows = agreement_for_workshop(workshop=vote_workshop, actor=facilitator).rows
    assert {r.verdict for r in rows} == {ONE_GROUP}
    assert all(r.agreement is None and str(agreement_strip(r)) == "" for r in rows)


# --- pages --------------------------------------------------------------------------------------


def test_page_and_fragment(room, vote_workshop, client):
    _ballot, agents, _customers = room
    as_guest(client, agents[0])
    url = reverse("voting:agreement", args=[vote_workshop.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html
    assert "Where the room agrees and splits" in html
    assert html.count('data-testid="agreement-row"') == 3
    assert 'role="img"' in html
    assert "Support per group for FCR: Agent 100 %, Customer 100 %." in html
    assert 'data-testid="agreement-table"' in html
    fragment = client.get(url + "?sort=division", **HX)
    body = fragment.content.decode()
    assert "<html" not in body and body.strip().startswith('<div id="agreement-list"')
    ranked = body[body.index('data-testid="agreement-rows"') :]
    assert ranked.index("NPS") < ranked.index("FCR")
    assert "HX-Request" in fragment["Vary"]
    projector = client.get(url + "?projector=1").content.decode()
    assert 'class="projector"' in projector
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Dove la sala è d’accordo e dove si divide" in italian


def test_page_refused_before_voting_and_hidden_from_outsiders(
    workshop, facilitator, client, other_org_participant
):
    login(client, facilitator)
    url = reverse("voting:agreement", args=[workshop.pk])
    assert client.get(url).status_code == 403  # the propose stage: nothing voted yet
    client.logout()
    login(client, other_org_participant)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code in (302, 404)


def _spread_room(workshop, open_ballot, n_kpis: int, n_groups: int, n_rounds: int, author):
    from kpiworkshop.kpis.models import Proposal

    have = Proposal.objects.filter(workshop=workshop).count()
    for i in range(have, n_kpis):
        make_proposal(workshop, author, f"KPI {i}")
    roles = [Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR, Role.STAKEHOLDER, Role.MANAGER]
    for _ in range(n_rounds):
        ballot = open_ballot(Method.APPROVAL, visibility=Visibility.ALWAYS)
        for g in range(n_groups):
            for p in _group(workshop, roles[g], 3):
                _approve(ballot, p, {i.proposal_id for i in ballot.items.all()[: g + 1]})


def test_query_count_does_not_grow_with_kpis_groups_or_rounds(
    vote_workshop, facilitator, proposals, open_ballot, client
):
    login(client, facilitator)
    url = reverse("voting:agreement", args=[vote_workshop.pk])
    counts = []
    for n_kpis, n_groups, n_rounds in ((3, 2, 1), (12, 4, 3), (40, 5, 4)):
        _spread_room(vote_workshop, open_ballot, n_kpis, n_groups, n_rounds, facilitator)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count('data-testid="agreement-row"') == n_kpis
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 12, counts


#: Who may open the agreement page, per stage: everyone in the workshop, from Vote on.
AGREEMENT = {s: "" for s in STAGE_ORDER} | {
    s: " ".join(LETTERS)
    for s in (Stage.VOTE, Stage.MAP, Stage.APPROVE, Stage.PUBLISHED, Stage.ARCHIVED)
}


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_agreement_page_grid(stage, workshop):
    workshop.stage = stage
    workshop.save(update_fields=["stage"])
    actors = actors_for(workshop)
    seen = {k: permissions.can_see_agreement(a, workshop) for k, a in actors.items()}
    assert seen == {k: k in AGREEMENT[stage].split() for k in ACTORS}


# --- the catalogue's "how it was decided" --------------------------------------------------------


def test_a_catalogue_entrys_agreement_line_from_its_snapshot():
    def labels(g):
        return g["role"].title()

    split = [
        {"ballot": "R1", "groups": [{"role": "agent", "percent": 50}]},
        {
            "ballot": "R2",
            "groups": [{"role": "agent", "percent": 80}, {"role": "customer", "percent": 40}],
        },
    ]
    assert agreement_line(split, labels) == (
        "Agreement across groups: the lowest, Customer, gave it 40 %; the groups were 40 "
        "points apart: the room was split."
    )
    close = [{"groups": [{"role": "agent", "percent": 80}, {"role": "customer", "percent": 70}]}]
    assert agreement_line(close, labels).endswith("the groups were 10 points apart.")
    # A secret round with one line (or none) has nothing to compare: no line.
    assert agreement_line([{"groups": [{"role": "agent", "percent": 80}]}], labels) == ""
    assert agreement_line([], labels) == ""


def test_the_entry_page_shows_its_agreement_line(client, organisation):
    from kpiworkshop.catalog.models import CatalogEntry
    from tests.catalog.review_helpers import make_release, member

    release = make_release(organisation, names=("FCR",))
    CatalogEntry.objects.filter(release=release).update(
        votes=[
            {
                "ballot": "R",
                "method": "approval",
                "secret": True,
                "percent": 60,
                "voters": 9,
                "divergence": 30,
                "groups": [
                    {"role": "agent", "roles": ["agent"], "percent": 80},
                    {"role": "other", "roles": ["customer", "supervisor"], "percent": 50},
                ],
            }
        ]
    )
    user, _reader = member(organisation, Role.AGENT)
    client.force_login(user)
    entry = release.entries.get()
    html = client.get(
        reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    ).content.decode()
    assert (
        "the lowest, Other groups (Customer, Supervisor), gave it 50 %; the groups were 30 "
        "points apart: the room was split." in html
    )


def test_the_shared_list_is_never_served_to_a_reader_who_may_not_see_its_rounds(
    vote_workshop, facilitator, proposals, open_ballot, client
):
    ballot = open_ballot(Method.APPROVAL, visibility=Visibility.WHEN_REVEALED)
    for role in (Role.AGENT, Role.CUSTOMER):
        for p in _group(vote_workshop, role, 3):
            _approve(ballot, p, {proposals[0].pk})
    url = reverse("voting:agreement", args=[vote_workshop.pk])
    login(client, facilitator)
    with CaptureQueriesContext(connection) as miss:
        first = client.get(url, **HX).content.decode()
    assert first.count('data-testid="agreement-row"') == 3
    with CaptureQueriesContext(connection) as hit:
        again = client.get(url, **HX).content.decode()
    # From the cache: the same markup, without the tally, items and turnout queries.
    assert again == first
    assert len(hit.captured_queries) == len(miss.captured_queries) - 5
    client.logout()
    agent = ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True)
    as_guest(client, agent)
    assert 'data-testid="agreement-row"' not in client.get(url).content.decode()
    services.ballot_reveal(actor=facilitator, ballot=ballot)
    assert client.get(url).content.decode().count('data-testid="agreement-row"') == 3
