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
    assert "You have 0 dots left" in response.content.decode()
    assert "HX-Trigger" not in response
    assert Vote.objects.filter(ballot=dots, participant=agent).count() == 1


@pytest.mark.parametrize(
    ("data", "message", "htmx_status"),
    [
        # Nothing that names a card of this round: no card to redraw, the message alone.
        ({}, "Choose a proposal.", 400),
        ({"proposal": "x"}, "Enter a whole number.", 400),
        ({"proposal": 999999, "value": 1}, "not part of this round", 400),
        ({"proposal": 10**25, "value": 1}, "less than or equal to", 400),
        # A card of this round with a bad value: the card comes back with the message on it.
        ({"proposal": 0, "value": "lots"}, "Enter a whole number.", 200),
        ({"proposal": 0}, "Choose a value.", 200),
        ({"proposal": 0, "value": -1}, "Dots cannot be negative.", 200),
    ],
    ids=["empty", "not-a-number", "not-on-ballot", "huge", "value-garbage", "no-value", "negative"],
)
def test_garbage_vote_posts_get_a_message_and_change_nothing(
    client, dots, people, proposals, data, message, htmx_status
):
    data = {k: (proposals[0].pk if k == "proposal" and v == 0 else v) for k, v in data.items()}
    as_guest(client, people[0][0])
    url = f"/w/{dots.workshop_id}/ballots/{dots.pk}/vote/"
    response = client.post(url, data)
    assert response.status_code == 302
    assert message in client.get(response["Location"]).content.decode()
    response = client.post(url, data, **HX)
    assert response.status_code == htmx_status
    assert message in response.content.decode()
    assert "HX-Trigger" not in response
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
    assert response.status_code == 400


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


def test_dots_refusal_states_the_dots_left_as_the_counter_does(client, dots, people, proposals):
    agent = people[0][0]
    as_guest(client, agent)
    base = f"/w/{dots.workshop_id}/ballots/{dots.pk}/"
    client.post(base + "vote/", {"proposal": proposals[0].pk, "value": 2}, **HX)
    client.post(base + "vote/", {"proposal": proposals[1].pk, "value": 1}, **HX)
    assert (
        "Dots left: <strong data-budget-remaining>0</strong> of 3"
        in client.get(base).content.decode()
    )
    # A second dot on the proposal that has one: 0 left, as the counter says (not "only 1").
    refused = client.post(base + "vote/", {"proposal": proposals[1].pk, "value": 2}, **HX)
    assert "You have 0 dots left" in refused.content.decode()
    assert "HX-Trigger" not in refused
    italian = client.post(
        base + "vote/", {"proposal": proposals[2].pk, "value": 1}, HTTP_ACCEPT_LANGUAGE="it", **HX
    ).content.decode()
    assert "Ti restano 0 punti" in italian
    page = client.get(base, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Punti rimasti: <strong data-budget-remaining>0</strong> su 3" in page
    # Take one back: 1 left, and a 3-dot jump elsewhere is refused with that figure.
    client.post(base + "vote/", {"proposal": proposals[0].pk, "value": 1}, **HX)
    refused = client.post(base + "vote/", {"proposal": proposals[2].pk, "value": 3}, **HX)
    assert "You have 1 dot left." in refused.content.decode()
    assert sorted(Vote.objects.filter(participant=agent).values_list("value", flat=True)) == [1, 1]


@pytest.fixture
def score_card(open_ballot):
    ballot = open_ballot(Method.SCORE, criteria=["Actionable", "Hard to game"], secret=False)
    return ballot, list(ballot.criteria.order_by("position"))


def test_score_card_with_one_invalid_score_saves_nothing(client, score_card, people, proposals):
    ballot, (actionable, gaming) = score_card
    agent = people[0][0]
    as_guest(client, agent)
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/vote/"
    for bad in ("9", "0", "lots"):
        data = {"proposal": proposals[0].pk, f"score-{actionable.pk}": 4, f"score-{gaming.pk}": bad}
        response = client.post(url, data, **HX)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Give a score from 1 to 5." in html
        assert 'data-testid="vote-saved"' not in html
        assert "HX-Trigger" not in response
    assert not Vote.objects.filter(ballot=ballot).exists()
    assert not ballot.voters.exists()


def test_score_card_with_another_ballots_criterion_saves_nothing(
    client, score_card, open_ballot, people, proposals
):
    ballot, (actionable, _gaming) = score_card
    other = open_ballot(Method.SCORE, criteria=["Elsewhere"])
    as_guest(client, people[0][0])
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/vote/"
    foreign = other.criteria.get().pk
    data = {"proposal": proposals[0].pk, f"score-{actionable.pk}": 4, f"score-{foreign}": 3}
    response = client.post(url, data, **HX)
    assert "not part of this round" in response.content.decode()
    assert not Vote.objects.exists()


def test_empty_score_card_is_refused_without_saved_or_event(client, score_card, people, proposals):
    ballot, _criteria = score_card
    as_guest(client, people[0][0])
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/vote/"
    response = client.post(url, {"proposal": proposals[0].pk}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose a score for at least one criterion." in html
    assert 'data-testid="vote-saved"' not in html
    assert "HX-Trigger" not in response
    assert not ballot.voters.exists()
    # Without JavaScript: the page again with the error, not "Vote saved."
    response = client.post(url, {"proposal": proposals[0].pk}, follow=True)
    html = response.content.decode()
    assert "Choose a score for at least one criterion." in html
    assert "Vote saved." not in html


def test_full_score_card_saves_every_score_and_shows_them(client, score_card, people, proposals):
    ballot, (actionable, gaming) = score_card
    agent = people[0][0]
    as_guest(client, agent)
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/vote/"
    data = {"proposal": proposals[0].pk, f"score-{actionable.pk}": 4, f"score-{gaming.pk}": 2}
    response = client.post(url, data, **HX)
    html = response.content.decode()
    assert 'data-testid="vote-saved"' in html
    assert f'id="s-{proposals[0].pk}-{gaming.pk}-2" value="2" checked' in html
    assert dict(
        Vote.objects.filter(ballot=ballot, participant=agent).values_list("criterion_id", "value")
    ) == {actionable.pk: 4, gaming.pk: 2}


def test_results_shown_after_voting_appear_after_the_first_vote_without_a_reload(
    client, open_ballot, people, proposals
):
    ballot = open_ballot(Method.APPROVAL, secret=False, visibility="after_voting")
    agent = people[0][0]
    as_guest(client, agent)
    base = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/"
    page = client.get(base).content.decode()
    assert 'data-testid="results"' not in page
    assert 'hx-trigger="voteCast from:body"' in page  # the results section waits for a vote
    response = client.post(base + "vote/", {"proposal": proposals[0].pk, "value": 1}, **HX)
    assert "voteCast" in response["HX-Trigger"]
    fragment = client.get(base + "?fragment=results", **HX).content.decode()
    assert fragment.strip().startswith('<div id="results-section"')
    assert 'data-testid="results"' in fragment
    assert "voteCast from:body" not in fragment  # voted: it stops listening
    assert "<html" not in fragment


@pytest.mark.parametrize("method", [Method.SCORE, Method.RANKING])
def test_score_and_ranking_saves_announce_the_vote(client, open_ballot, people, proposals, method):
    ballot = open_ballot(method, secret=False)
    as_guest(client, people[0][0])
    base = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/"
    if method == Method.SCORE:
        crit = ballot.criteria.first()
        response = client.post(
            base + "vote/", {"proposal": proposals[0].pk, f"score-{crit.pk}": 3}, **HX
        )
    else:
        response = client.post(base + "rank/", {"order": [p.pk for p in proposals]}, **HX)
    assert response.status_code == 200
    assert "voteCast" in response["HX-Trigger"]


def test_member_who_has_not_joined_is_offered_to_join_from_the_ballot(client, dots):
    # An agent of the organisation opens the round's link before joining: the page used to
    # show only the title and "Open", with no vote controls and no word on why.
    from kpiworkshop.accounts.models import Role
    from tests.factories import MembershipFactory

    member = MembershipFactory(organisation=dots.workshop.organisation, role=Role.AGENT).user
    client.force_login(member)
    url = f"/w/{dots.workshop_id}/ballots/{dots.pk}/"
    html = client.get(url).content.decode()
    join = f'action="/w/{dots.workshop_id}/join/"'
    assert join in html
    assert f'name="next" value="{url}"' in html
    response = client.post(f"/w/{dots.workshop_id}/join/", {"next": url})
    assert response["Location"] == url
    html = client.get(url).content.decode()
    assert join not in html
    assert "Dots left" in html
