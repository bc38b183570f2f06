"""The vote's own read (``voter_and_ballot``: one statement written once) loads exactly what the
ORM loads, finds the same person, and lets nobody vote in a workshop or ballot not theirs."""

from datetime import datetime

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.voting import selectors, services
from kpiworkshop.voting.models import Ballot, Method, Vote, Voter
from kpiworkshop.workshops.models import Participant
from tests.conftest import as_guest, login
from tests.factories import MembershipFactory, ParticipantFactory, WorkshopFactory

HX = {"HTTP_HX_REQUEST": "true"}


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def timed(open_ballot):
    """A round with every kind of column set: a timer (closes_at), eligible roles (JSON), a cap."""
    return open_ballot(
        Method.DOTS, dot_budget=4, dot_cap=2, duration_minutes=30, eligible_roles=[Role.AGENT]
    )


def test_voter_and_ballot_loads_what_the_orm_loads(timed, people):
    agent = people[0][0]
    found = selectors.voter_and_ballot(
        workshop_id=timed.workshop_id, ballot_id=timed.pk, user=None, guest_key=agent.guest_key
    )
    assert found is not None
    participant, ballot = found
    expected = Participant.objects.select_related("workshop__organisation").get(pk=agent.pk)
    assert fields_of(participant) == fields_of(expected)
    assert fields_of(participant.workshop) == fields_of(expected.workshop)
    assert fields_of(participant.workshop.organisation) == fields_of(expected.workshop.organisation)
    assert fields_of(ballot) == fields_of(Ballot.objects.get(pk=timed.pk))
    # Converted as the ORM converts: aware datetimes, the JSON list, booleans.
    assert isinstance(ballot.closes_at, datetime) and ballot.closes_at.tzinfo is not None
    assert ballot.eligible_roles == [Role.AGENT]
    assert participant.is_active is True and ballot.secret is True
    assert ballot.workshop is participant.workshop
    assert ballot.is_open


def test_voter_and_ballot_prefers_the_account_over_the_guest_cookie(timed, facilitator, people):
    guest = people[0][0]
    participant, _ballot = selectors.voter_and_ballot(
        workshop_id=timed.workshop_id,
        ballot_id=timed.pk,
        user=facilitator.user,
        guest_key=guest.guest_key,
    )
    assert participant.pk == facilitator.pk


def test_voter_and_ballot_finds_nobody_who_has_not_joined(timed, people, other_org_participant):
    agent = people[0][0]
    w, b = timed.workshop_id, timed.pk
    # Another organisation's member, an unknown device, no credentials at all.
    assert (
        selectors.voter_and_ballot(
            workshop_id=w, ballot_id=b, user=other_org_participant.user, guest_key=None
        )
        is None
    )
    assert (
        selectors.voter_and_ballot(workshop_id=w, ballot_id=b, user=None, guest_key="nope") is None
    )
    assert selectors.voter_and_ballot(workshop_id=w, ballot_id=b, user=None, guest_key=None) is None
    # A guest of this workshop asking through another workshop's address.
    assert (
        selectors.voter_and_ballot(
            workshop_id=other_org_participant.workshop_id,
            ballot_id=b,
            user=None,
            guest_key=agent.guest_key,
        )
        is None
    )
    # Someone who left (inactive).
    Participant.objects.filter(pk=agent.pk).update(is_active=False)
    assert (
        selectors.voter_and_ballot(workshop_id=w, ballot_id=b, user=None, guest_key=agent.guest_key)
        is None
    )


def test_a_ballot_of_another_workshop_is_not_found(client, timed, people, facilitator):
    """The ballot must belong to the workshop in the address, even of the same organisation."""
    elsewhere = WorkshopFactory(organisation=timed.workshop.organisation, stage="vote")
    stranger = ParticipantFactory(workshop=elsewhere, role=Role.AGENT, guest=True)
    found = selectors.voter_and_ballot(
        workshop_id=elsewhere.pk, ballot_id=timed.pk, user=None, guest_key=stranger.guest_key
    )
    assert found is not None and found[0].pk == stranger.pk and found[1] is None
    as_guest(client, stranger)
    response = client.post(
        f"/w/{elsewhere.pk}/ballots/{timed.pk}/vote/",
        {"proposal": timed.items.first().proposal_id, "value": 1},
        **HX,
    )
    assert response.status_code == 404
    assert not Vote.objects.exists()


def test_another_organisation_cannot_vote(client, timed, other_org_participant):
    login(client, other_org_participant)
    response = client.post(
        f"/w/{timed.workshop_id}/ballots/{timed.pk}/vote/",
        {"proposal": timed.items.first().proposal_id, "value": 1},
        **HX,
    )
    assert response.status_code == 404
    assert not Vote.objects.exists() and not Voter.objects.exists()


def test_member_who_has_not_joined_is_refused_and_nothing_is_recorded(client, timed):
    member = MembershipFactory(organisation=timed.workshop.organisation, role=Role.AGENT).user
    client.force_login(member)
    response = client.post(
        f"/w/{timed.workshop_id}/ballots/{timed.pk}/vote/",
        {"proposal": timed.items.first().proposal_id, "value": 1},
        **HX,
    )
    assert response.status_code in (200, 400)
    assert "not invited to vote" in response.content.decode()
    assert "HX-Trigger" not in response
    assert not Vote.objects.exists() and not Voter.objects.exists()


def test_dots_a_tap_records_role_time_and_turnout(client, timed, people, proposals):
    """What the fixed statements write: the voter's role on the vote and the turnout row, the
    time of the change, and a second tap replacing the first (one row, new value)."""
    agent = people[0][0]
    as_guest(client, agent)
    url = f"/w/{timed.workshop_id}/ballots/{timed.pk}/vote/"
    assert (
        '"remaining": 3'
        in client.post(url, {"proposal": proposals[0].pk, "value": 1}, **HX)["HX-Trigger"]
    )
    first = Vote.objects.get(ballot=timed, participant=agent)
    assert (
        '"remaining": 2'
        in client.post(url, {"proposal": proposals[0].pk, "value": 2}, **HX)["HX-Trigger"]
    )
    again = client.post(url, {"proposal": proposals[0].pk, "value": 2}, **HX)
    # The redrawn controls post to the vote URL, and still work without JavaScript.
    assert f'method="post" action="{url}" hx-post="{url}"' in again.content.decode()
    vote = Vote.objects.get(ballot=timed, participant=agent)
    assert (vote.pk, vote.value, vote.role) == (first.pk, 2, Role.AGENT)
    assert vote.updated_at >= first.updated_at and vote.updated_at.tzinfo is not None
    voter = Voter.objects.get(ballot=timed, participant=agent)
    assert voter.role == Role.AGENT and voter.first_voted_at <= vote.updated_at
    # The cap (2 on one proposal) and the budget (4) still hold.
    capped = client.post(url, {"proposal": proposals[0].pk, "value": 3}, **HX)
    assert "At most 2 dots" in capped.content.decode()
    client.post(url, {"proposal": proposals[1].pk, "value": 2}, **HX)
    over = client.post(url, {"proposal": proposals[2].pk, "value": 1}, **HX)
    assert "You have 0 dots left" in over.content.decode()
    assert sum(Vote.objects.filter(ballot=timed).values_list("value", flat=True)) == 4


def test_a_role_that_does_not_vote_in_this_round_is_refused(client, timed, people, proposals):
    customer = people[1][0]  # the round admits agents only
    as_guest(client, customer)
    url = f"/w/{timed.workshop_id}/ballots/{timed.pk}/vote/"
    response = client.post(url, {"proposal": proposals[0].pk, "value": 1}, **HX)
    assert "not invited to vote" in response.content.decode()
    assert not Vote.objects.exists()


def test_score_card_and_ranking_still_write_through_the_fixed_statements(
    open_ballot, people, proposals
):
    agent = people[0][0]
    scores = open_ballot(Method.SCORE)
    card = {c.pk: 1 + i % 5 for i, c in enumerate(scores.criteria.all())}
    services.score_card_cast(actor=agent, ballot=scores, proposal_id=proposals[0].pk, scores=card)
    assert dict(Vote.objects.filter(ballot=scores).values_list("criterion_id", "value")) == card
    ranking = open_ballot(Method.RANKING)
    order = [p.pk for p in reversed(proposals)]
    services.ranking_submit(actor=agent, ballot=ranking, order=order)
    ranks = dict(Vote.objects.filter(ballot=ranking).values_list("proposal_id", "value"))
    assert ranks == {pid: i for i, pid in enumerate(order, start=1)}
    assert Voter.objects.filter(participant=agent).count() == 2


def test_the_status_poll_reads_the_phone_and_the_round_in_one_query(
    client, timed, people, other_org_participant
):
    """Every phone asks every few seconds: unchanged is one query and an empty 204; the answer
    still follows the round, and strangers, other organisations and other workshops' ballots
    are 404 as on the page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kpiworkshop.voting.views import _phase_key

    base = f"/w/{timed.workshop_id}/ballots/{timed.pk}/status/"
    key = _phase_key(timed)
    as_guest(client, people[0][0])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{base}?k={key}", **HX)
    assert response.status_code == 204 and response.content == b""
    assert len(queries) == 1
    assert client.get(f"{base}?k=draft-0-0", **HX)["HX-Refresh"] == "true"
    assert client.get(f"{base}?k={key}").status_code == 302
    assert (
        client.get(f"/w/{timed.workshop_id}/ballots/{timed.pk + 999}/status/", **HX).status_code
        == 404
    )
    # A member of the organisation who has not joined still follows the round (by membership).
    member = MembershipFactory(organisation=timed.workshop.organisation, role=Role.AGENT)
    client.cookies.clear()
    client.force_login(member.user)
    assert client.get(f"{base}?k={key}", **HX).status_code == 204
    # Another organisation's participant, and nobody at all: not found.
    login(client, other_org_participant)
    assert client.get(f"{base}?k={key}", **HX).status_code == 404
    client.logout()
    assert client.get(f"{base}?k={key}", **HX).status_code == 404
    # The guest's own workshop's address with another organisation's ballot id: not found.
    as_guest(client, people[0][0])
    other_ballot = Ballot.objects.create(
        workshop=other_org_participant.workshop, title="Theirs", method=Method.APPROVAL
    )
    url = f"/w/{timed.workshop_id}/ballots/{other_ballot.pk}/status/"
    assert client.get(url, **HX).status_code == 404
