"""The ballot admin is read-only, and never shows who voted what in a secret ballot."""

import re

import pytest

from kpiworkshop.voting import services
from kpiworkshop.voting.models import Ballot, Method, Vote


@pytest.fixture
def two_rounds(open_ballot, people, proposals):
    agents, customers = people
    secret = open_ballot(Method.APPROVAL, secret=True)
    public = open_ballot(Method.APPROVAL, secret=False)
    for p in agents + customers:
        services.vote_cast(actor=p, ballot=secret, proposal_id=proposals[0].pk, value=1)
    services.vote_cast(actor=agents[0], ballot=public, proposal_id=proposals[1].pk, value=1)
    return secret, public, agents + customers


def test_ballot_admin_lists_and_shows_counts_read_only(operator, two_rounds):
    secret, _public, _people = two_rounds
    listing = operator.get("/admin/voting/ballot/")
    assert listing.status_code == 200
    page = operator.get(f"/admin/voting/ballot/{secret.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html  # nothing to save: read-only
    assert operator.get("/admin/voting/ballot/add/").status_code == 403
    response = operator.post(f"/admin/voting/ballot/{secret.pk}/change/", {"title": "Renamed"})
    assert response.status_code == 403
    assert Ballot.objects.get(pk=secret.pk).title == secret.title
    assert (
        operator.post(f"/admin/voting/ballot/{secret.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Ballot.objects.filter(pk=secret.pk).exists()


def shows(html: str, name: str) -> bool:
    return re.search(re.escape(name) + r"\b", html) is not None


def test_vote_admin_never_shows_a_secret_ballots_votes(operator, two_rounds):
    secret, public, people = two_rounds
    names = [p.display_name for p in people]
    html = operator.get("/admin/voting/vote/").content.decode()
    assert shows(html, names[0])  # the open ballot's one vote, as its page shows
    assert not any(shows(html, name) for name in names[1:])
    filtered = operator.get(f"/admin/voting/vote/?ballot__id__exact={secret.pk}")
    assert not any(shows(filtered.content.decode(), name) for name in names)
    secret_vote = Vote.objects.filter(ballot=secret).first()
    response = operator.get(f"/admin/voting/vote/{secret_vote.pk}/change/")
    assert response.status_code == 302  # "does not exist": back to the admin index
    for name in names:
        assert (
            name not in operator.get(f"/admin/voting/ballot/{secret.pk}/change/").content.decode()
        )
    public_vote = Vote.objects.get(ballot=public)
    assert operator.get(f"/admin/voting/vote/{public_vote.pk}/change/").status_code == 200
    response = operator.post(f"/admin/voting/vote/{public_vote.pk}/change/", {"value": 0})
    assert response.status_code == 403
    assert Vote.objects.get(pk=public_vote.pk).value == 1
