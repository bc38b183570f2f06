"""Every method's counting, checked by hand, ties included."""

import pytest
from django.core.exceptions import ValidationError

from kpiworkshop.voting import selectors, services
from kpiworkshop.voting.models import Criterion, Method, Vote


def by_name(results):
    return {r.proposal.current_revision.name: r for r in results.rows}


def test_approval_counts_yes_votes_and_ranks_them(open_ballot, proposals, people):
    agents, customers = people
    fcr, nps, aht = proposals
    ballot = open_ballot(Method.APPROVAL)
    for p in agents + customers:
        services.vote_cast(actor=p, ballot=ballot, proposal_id=fcr.pk, value=1)
    for p in agents:
        services.vote_cast(actor=p, ballot=ballot, proposal_id=aht.pk, value=1)
    for p in customers:
        services.vote_cast(actor=p, ballot=ballot, proposal_id=aht.pk, value=0)
    services.vote_cast(actor=customers[0], ballot=ballot, proposal_id=nps.pk, value=1)

    results = selectors.results_for_ballot(ballot=ballot)
    rows = by_name(results)
    assert [r.proposal.pk for r in results.rows] == [fcr.pk, aht.pk, nps.pk]
    assert rows["FCR"].value == 6
    assert rows["AHT"].value == 3
    assert rows["NPS"].value == 1
    assert rows["FCR"].divergence == 0
    # agents 3/3 yes, customers 0/3: they disagree completely
    assert rows["AHT"].divergence == 100
    assert rows["AHT"].divides
    assert results.voters == 6


def test_dots_totals_and_budget(open_ballot, proposals, people):
    agents, customers = people
    fcr, nps, aht = proposals
    ballot = open_ballot(Method.DOTS, dot_budget=5, dot_cap=3, secret=False)
    left = services.vote_cast(actor=agents[0], ballot=ballot, proposal_id=fcr.pk, value=3)
    assert left == 2
    left = services.vote_cast(actor=agents[0], ballot=ballot, proposal_id=nps.pk, value=2)
    assert left == 0
    with pytest.raises(ValidationError, match="no dots left"):
        services.vote_cast(actor=agents[0], ballot=ballot, proposal_id=aht.pk, value=1)
    with pytest.raises(ValidationError, match="At most 3"):
        services.vote_cast(actor=agents[1], ballot=ballot, proposal_id=aht.pk, value=4)
    # taking dots back frees them
    assert services.vote_cast(actor=agents[0], ballot=ballot, proposal_id=nps.pk, value=0) == 2
    services.vote_cast(actor=agents[0], ballot=ballot, proposal_id=aht.pk, value=2)
    services.vote_cast(actor=customers[0], ballot=ballot, proposal_id=aht.pk, value=3)
    rows = by_name(selectors.results_for_ballot(ballot=ballot))
    assert rows["FCR"].value == 3
    assert rows["AHT"].value == 5
    assert rows["NPS"].value == 0
    assert Vote.objects.filter(ballot=ballot, participant=agents[0], value__gt=0).count() == 2


def test_score_means_per_criterion(open_ballot, proposals, people):
    agents, _customers = people
    fcr, _nps, _aht = proposals
    ballot = open_ballot(Method.SCORE, criteria=["Actionable", "Hard to game"], secret=False)
    actionable, gaming = Criterion.objects.filter(ballot=ballot).order_by("position")
    services.vote_cast(
        actor=agents[0], ballot=ballot, proposal_id=fcr.pk, criterion_id=actionable.pk, value=5
    )
    services.vote_cast(
        actor=agents[1], ballot=ballot, proposal_id=fcr.pk, criterion_id=actionable.pk, value=4
    )
    services.vote_cast(
        actor=agents[0], ballot=ballot, proposal_id=fcr.pk, criterion_id=gaming.pk, value=2
    )
    rows = by_name(selectors.results_for_ballot(ballot=ballot))
    assert rows["FCR"].criteria == [("Actionable", 4.5), ("Hard to game", 2.0)]
    assert rows["FCR"].value == pytest.approx(11 / 3)
    with pytest.raises(ValidationError):
        services.vote_cast(
            actor=agents[0], ballot=ballot, proposal_id=fcr.pk, criterion_id=gaming.pk, value=6
        )


def test_ranking_borda_with_a_tie(open_ballot, proposals, people):
    agents, customers = people
    fcr, nps, aht = proposals
    ballot = open_ballot(Method.RANKING, secret=False)
    # Borda with 3 items: 1st = 2 points, 2nd = 1, 3rd = 0.
    services.ranking_submit(actor=agents[0], ballot=ballot, order=[fcr.pk, nps.pk, aht.pk])
    services.ranking_submit(actor=customers[0], ballot=ballot, order=[nps.pk, fcr.pk, aht.pk])
    rows = by_name(selectors.results_for_ballot(ballot=ballot))
    assert rows["FCR"].value == 3
    assert rows["NPS"].value == 3  # tie
    assert rows["AHT"].value == 0
    # re-submitting replaces, never adds
    services.ranking_submit(actor=agents[0], ballot=ballot, order=[aht.pk, fcr.pk, nps.pk])
    rows = by_name(selectors.results_for_ballot(ballot=ballot))
    assert (rows["FCR"].value, rows["NPS"].value, rows["AHT"].value) == (2, 2, 2)
    with pytest.raises(ValidationError):
        services.ranking_submit(actor=agents[0], ballot=ballot, order=[fcr.pk, fcr.pk, nps.pk])


def test_equal_weight_lets_a_small_group_count_as_much_as_a_big_one(
    open_ballot, proposals, people, vote_workshop
):
    from kpiworkshop.accounts.models import Role
    from tests.factories import ParticipantFactory

    agents, customers = people
    more_agents = [
        ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True) for _ in range(6)
    ]
    fcr, nps, _aht = proposals
    ballot = open_ballot(Method.APPROVAL, secret=False)
    for p in agents + more_agents:  # 9 agents like FCR
        services.vote_cast(actor=p, ballot=ballot, proposal_id=fcr.pk, value=1)
    for p in customers:  # 3 customers like NPS
        services.vote_cast(actor=p, ballot=ballot, proposal_id=nps.pk, value=1)
    plain = selectors.results_for_ballot(ballot=ballot)
    assert plain.rows[0].proposal == fcr
    weighted = selectors.results_for_ballot(ballot=ballot, equal_weight=True)
    # each group is 100% for its own favourite: equal weights make it a tie at 50%
    assert by_name(weighted)["FCR"].equal_weight == pytest.approx(0.5)
    assert by_name(weighted)["NPS"].equal_weight == pytest.approx(0.5)


def test_secret_ballot_hides_groups_too_small_to_stay_anonymous(
    open_ballot, proposals, people, vote_workshop
):
    from kpiworkshop.accounts.models import Role
    from tests.factories import ParticipantFactory

    agents, _customers = people
    lone_manager = ParticipantFactory(workshop=vote_workshop, role=Role.MANAGER, guest=True)
    fcr = proposals[0]
    ballot = open_ballot(Method.APPROVAL, secret=True)
    for p in agents:
        services.vote_cast(actor=p, ballot=ballot, proposal_id=fcr.pk, value=1)
    services.vote_cast(actor=lone_manager, ballot=ballot, proposal_id=fcr.pk, value=0)
    results = selectors.results_for_ballot(ballot=ballot)
    # Showing the agents' line next to the overall would give the manager's vote away
    # (overall minus agents): with one group under the minimum, only the overall is shown.
    assert results.roles == []
    assert results.hidden_groups == 2
    assert not results.can_weigh_equally
    assert by_name(results)["FCR"].value == 3
    assert by_name(results)["FCR"].groups == []


def test_secret_ballot_shows_no_figure_until_enough_people_voted(open_ballot, proposals, people):
    agents, customers = people
    ballot = open_ballot(Method.APPROVAL, secret=True)
    services.vote_cast(actor=agents[0], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    services.vote_cast(actor=customers[0], ballot=ballot, proposal_id=proposals[0].pk, value=0)
    results = selectors.results_for_ballot(ballot=ballot)
    # Two voters: "1 yes" would be one of them, and each knows their own vote.
    assert results.withheld
    assert results.rows == []
    assert results.voters == 2
    services.vote_cast(actor=agents[1], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    results = selectors.results_for_ballot(ballot=ballot)
    assert not results.withheld
    assert by_name(results)["FCR"].value == 2


def test_secret_ballot_merges_small_groups_into_an_other_groups_line(
    open_ballot, proposals, people, vote_workshop
):
    from kpiworkshop.accounts.models import Role
    from tests.factories import ParticipantFactory

    agents, customers = people
    small = [
        ParticipantFactory(workshop=vote_workshop, role=role, guest=True)
        for role in (Role.MANAGER, Role.SUPERVISOR, Role.SUPERVISOR)
    ]
    ballot = open_ballot(Method.APPROVAL, secret=True)
    for p in agents + customers + small:
        services.vote_cast(actor=p, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    results = selectors.results_for_ballot(ballot=ballot)
    # 3 agents and 3 customers on their own; 1 manager + 2 supervisors together (3 voters).
    assert [key for key, _label in results.roles] == ["agent", "customer", "other"]
    other = by_name(results)["FCR"].groups[-1]
    assert other.roles == ("manager", "supervisor")
    assert other.label == "Other groups (Manager, Supervisor)"
    assert results.hidden_groups == 2
    assert results.can_weigh_equally
