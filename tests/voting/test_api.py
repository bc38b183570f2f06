from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method
from tests.conftest import login


def test_results_api_respects_visibility_and_secrecy(
    client, open_ballot, facilitator, agent, people, proposals
):
    ballot = open_ballot(Method.APPROVAL, secret=True)
    for p in people[0]:
        services.vote_cast(actor=p, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    url = f"/api/v1/workshops/{ballot.workshop_id}/ballots/{ballot.pk}/results"
    login(client, agent)
    assert client.get(url).status_code == 403  # not revealed yet
    client.logout()
    login(client, facilitator)
    body = client.get(url).json()
    assert body["rows"][0]["value"] == 3
    assert body["individual_votes"] is None  # secret: never who voted what
    names = [p.display_name for p in people[0]]
    assert not any(n in client.get(url).content.decode() for n in names)


def test_open_ballot_shows_individual_votes_to_the_facilitator_only(
    client, open_ballot, facilitator, agent, people, proposals
):
    ballot = open_ballot(Method.APPROVAL, secret=False, visibility="always")
    voter = people[0][0]
    services.vote_cast(actor=voter, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    url = f"/api/v1/workshops/{ballot.workshop_id}/ballots/{ballot.pk}/results"
    login(client, facilitator)
    votes = client.get(url).json()["individual_votes"]
    assert [v["participant"] for v in votes] == [voter.display_name]
    client.logout()
    login(client, agent)
    body = client.get(url).json()
    assert body["individual_votes"] is None
    assert body["rows"][0]["value"] == 1


def test_ballots_api_is_404_for_another_organisation(client, open_ballot, other_org_participant):
    ballot = open_ballot(Method.DOTS)
    login(client, other_org_participant)
    assert client.get(f"/api/v1/workshops/{ballot.workshop_id}/ballots").status_code == 404


def test_results_api_applies_the_small_group_rule(
    client, open_ballot, facilitator, vote_workshop, people, proposals
):
    from kpiworkshop.accounts.models import Role
    from tests.factories import ParticipantFactory

    agents, _customers = people
    ballot = open_ballot(Method.APPROVAL, secret=True, visibility="always")
    url = f"/api/v1/workshops/{ballot.workshop_id}/ballots/{ballot.pk}/results"
    login(client, facilitator)
    for p in agents[:2]:
        services.vote_cast(actor=p, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    body = client.get(url).json()
    assert (body["withheld"], body["rows"], body["voters"]) == (True, [], 2)
    services.vote_cast(actor=agents[2], ballot=ballot, proposal_id=proposals[0].pk, value=0)
    stakeholder = ParticipantFactory(workshop=vote_workshop, role=Role.STAKEHOLDER, guest=True)
    services.vote_cast(actor=stakeholder, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    for query in ("", "?equal_weight=true"):
        body = client.get(url + query).json()
        # 3 agents + 1 stakeholder: the agents' line would give the stakeholder away
        assert body["withheld"] is False
        assert body["hidden_groups"] == 2
        assert all(row["groups"] == [] for row in body["rows"])
        first = next(r for r in body["rows"] if r["proposal_id"] == proposals[0].pk)
        assert first["value"] == 3
        assert first["equal_weight"] == first["normalised"]
