import pytest

from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method, Vote
from tests.conftest import as_guest, login

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def dots(open_ballot):
    return open_ballot(Method.DOTS, dot_budget=3, secret=False)


def test_phone_taps_a_dot_and_gets_the_card_back_with_the_budget_event(
    client, dots, people, proposals
):
    agent = people[0][0]
    as_guest(client, agent)
    url = f"/w/{dots.workshop_id}/ballots/{dots.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Dots left" in page.content.decode()
    response = client.post(url + "vote/", {"proposal": proposals[0].pk, "value": 1}, **HX)
    assert response.status_code == 200
    assert f'id="controls-{proposals[0].pk}"' in response.content.decode()
    assert '"remaining": 2' in response["HX-Trigger"]
    assert Vote.objects.get(ballot=dots, participant=agent).value == 1


def test_overspending_shows_a_message_and_changes_nothing(client, dots, people, proposals):
    agent = people[0][0]
    as_guest(client, agent)
    url = f"/w/{dots.workshop_id}/ballots/{dots.pk}/vote/"
    client.post(url, {"proposal": proposals[0].pk, "value": 3}, **HX)
    response = client.post(url, {"proposal": proposals[1].pk, "value": 1}, **HX)
    assert "no dots left" in response.content.decode()
    assert "HX-Trigger" not in response
    assert Vote.objects.filter(ballot=dots, participant=agent).count() == 1


def test_garbage_vote_posts_never_500(client, dots, people, proposals):
    as_guest(client, people[0][0])
    url = f"/w/{dots.workshop_id}/ballots/{dots.pk}/vote/"
    for data in (
        {},
        {"proposal": "x"},
        {"proposal": proposals[0].pk, "value": "lots"},
        {"proposal": 999999, "value": 1},
    ):
        assert client.post(url, data).status_code in (302, 400)
        assert client.post(url, data, **HX).status_code in (200, 400)
    assert not Vote.objects.exists()


def test_other_organisation_cannot_see_the_ballot(client, dots, other_org_participant):
    login(client, other_org_participant)
    assert client.get(f"/w/{dots.workshop_id}/ballots/{dots.pk}/").status_code == 404
    assert client.get(f"/w/{dots.workshop_id}/ballots/{dots.pk}/board/").status_code == 404


def test_board_poll_answers_304_when_nothing_changed(client, dots, facilitator, people, proposals):
    login(client, facilitator)
    url = f"/w/{dots.workshop_id}/ballots/{dots.pk}/board/?fragment=live"
    first = client.get(url, **HX)
    assert first.status_code == 200
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag, **HX).status_code == 304
    services.vote_cast(actor=people[0][0], ballot=dots, proposal_id=proposals[0].pk, value=1)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag, **HX)
    assert changed.status_code == 200
    assert "1 of" in changed.content.decode()


def test_results_hidden_from_the_room_until_revealed(client, dots, facilitator, people, proposals):
    agent = people[0][0]
    services.vote_cast(actor=agent, ballot=dots, proposal_id=proposals[0].pk, value=2)
    as_guest(client, agent)
    page = client.get(f"/w/{dots.workshop_id}/ballots/{dots.pk}/").content.decode()
    assert 'data-testid="results"' not in page
    board = client.get(f"/w/{dots.workshop_id}/ballots/{dots.pk}/board/").content.decode()
    assert 'data-testid="results"' not in board
    services.ballot_reveal(actor=facilitator, ballot=dots)
    board = client.get(f"/w/{dots.workshop_id}/ballots/{dots.pk}/board/").content.decode()
    assert 'data-testid="results"' in board
    assert "2 dots" in board


def test_out_of_range_ids_are_404_not_500(client, dots, facilitator):
    login(client, facilitator)
    huge = 10**25
    w = dots.workshop_id
    for url in (
        f"/w/{w}/ballots/{huge}/",
        f"/w/{w}/ballots/{huge}/board/",
        f"/w/{w}/proposals/{huge}/",
    ):
        assert client.get(url).status_code == 404
    response = client.post(f"/w/{w}/ballots/{dots.pk}/vote/", {"proposal": huge, "value": 1}, **HX)
    assert response.status_code in (200, 400)


def test_ballot_page_follows_the_round_opening_and_closing(
    client, vote_workshop, facilitator, people, proposals
):
    ballot = services.ballot_create(
        actor=facilitator, workshop=vote_workshop, title="R", method=Method.APPROVAL
    )
    as_guest(client, people[0][0])
    base = f"/w/{vote_workshop.pk}/ballots/{ballot.pk}/"
    page = client.get(base).content.decode()
    key = page.split("status/?k=")[1].split('"')[0]
    assert client.get(base + f"status/?k={key}", **HX).status_code == 204
    services.ballot_open(actor=facilitator, ballot=ballot)
    response = client.get(base + f"status/?k={key}", **HX)
    assert response["HX-Refresh"] == "true"
    assert client.get(base + f"status/?k={key}").status_code == 302


def test_facilitator_shortlists_the_top_and_takes_one_off_again(
    client, open_ballot, facilitator, people, proposals
):
    from kpiworkshop.kpis.models import Proposal

    ballot = open_ballot(Method.APPROVAL, secret=False)
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=proposals[1].pk, value=1)
    login(client, facilitator)
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/shortlist/"
    client.post(url, {"top": 2})
    states = dict(Proposal.objects.values_list("pk", "state"))
    assert states[proposals[1].pk] == "shortlisted"
    assert sum(1 for s in states.values() if s == "shortlisted") == 2
    client.post(url, {"top": 2, "proposals": [proposals[1].pk], "action": "remove"})
    assert Proposal.objects.get(pk=proposals[1].pk).state == "open"
    assert Proposal.objects.filter(state="shortlisted").count() == 1
