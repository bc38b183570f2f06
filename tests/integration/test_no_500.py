"""No 500 from anything a user can send: every route of the app, as anonymous, a guest, an
agent and a facilitator, with GET and with POSTs of missing, garbage and hostile values."""

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from kpiworkshop.accounts.models import User
from kpiworkshop.kpis.models import Comment, Proposal, Suggestion
from kpiworkshop.voting.models import Ballot
from kpiworkshop.workshops.models import Invitation, Participant, Workshop
from tests.conftest import as_guest

GARBAGE = [
    {},
    {"value": "x", "proposal": "y", "stage": "nowhere", "expected_stage": "", "role": "king"},
    {"value": "-99999999999999999999", "proposal": "99999999999999999999", "top": "0"},
    {"title": "<script>alert(1)</script>" * 50, "name": "\x00\x01", "body": "x" * 20000},
    {"order": ["a", "1", "1"], "move": "sideways:zz", "emails": "not-an-email, <x@y>"},
    {"score-1": "99", "reason": "r" * 2000, "expires_in_hours": "-5", "max_uses": "abc"},
]


#: Every query-string parameter a page reads, sent with a NUL byte (PostgreSQL refuses those).
QUERY_KEYS = ["q", "category", "channel", "state", "sort", "mine", "v", "a", "b", "k",
              "fragment", "weights", "library", "next", "code"]  # fmt: skip


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith(("admin/", "api/")):
                continue
            yield from _routes(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    workshop = Workshop.objects.get(title="Self-care and chatbot KPIs")
    values = {
        "pk": workshop.pk,
        "ballot_id": Ballot.objects.filter(workshop=workshop).first().pk,
        "proposal_id": Proposal.objects.filter(workshop=workshop).first().pk,
        "invitation_id": Invitation.objects.filter(workshop=workshop).first().pk,
        "comment_id": Comment.objects.first().pk,
        "suggestion_id": Suggestion.objects.first().pk,
        "token_id": 1,
        "code": Invitation.objects.filter(workshop=workshop).first().code,
        "uidb64": "MQ",
        "token": "bad-token",
    }
    return workshop, values


def _fill(route: str, values: dict) -> str | None:
    import re

    def repl(m):
        name = m.group(2)
        return str(values.get(name, 1))

    path = re.sub(r"<(\w+:)?(\w+)>", repl, route)
    if "(?P" in path or "^" in path:
        return None
    return "/" + path


@pytest.mark.django_db
def test_no_route_answers_500(client, demo):
    workshop, values = demo
    guest = Participant.objects.filter(workshop=workshop, guest_key__isnull=False).first()
    facilitator = User.objects.get(username="facilitator")
    agent = User.objects.get(username="agent")
    failures = []
    routes = [r for r in (_fill(r, values) for r in _routes()) if r]
    assert len(routes) > 40
    for who in ("anonymous", "guest", "agent", "facilitator"):
        client.logout()
        client.cookies.clear()
        if who == "guest":
            as_guest(client, guest)
        elif who == "agent":
            client.force_login(agent)
        elif who == "facilitator":
            client.force_login(facilitator)
        for path in routes:
            if path.endswith("/logout/"):
                continue
            hostile_query = {k: "\x00<x>" for k in QUERY_KEYS}
            tries = [("get", None), ("get", hostile_query)] + [("post", g) for g in GARBAGE]
            for method, data in tries:
                for hx in ({}, {"HTTP_HX_REQUEST": "true"}):
                    response = getattr(client, method)(path, data or {}, **hx)
                    if response.status_code >= 500:
                        failures.append((who, method, path, data, response.status_code))
    assert failures == []


@pytest.mark.django_db
def test_api_never_answers_500(client, demo):
    workshop, values = demo
    client.force_login(User.objects.get(username="facilitator"))
    huge = "9" * 25
    paths = [
        "/api/v1/workshops",
        f"/api/v1/workshops/{workshop.pk}/proposals",
        f"/api/v1/workshops/{workshop.pk}/ballots",
        f"/api/v1/workshops/{workshop.pk}/ballots/{values['ballot_id']}/results?equal_weight=maybe",
        "/api/v1/workshops/abc/proposals",
        f"/api/v1/workshops/{huge}/proposals",
        f"/api/v1/workshops/{huge}/ballots",
        f"/api/v1/workshops/{workshop.pk}/ballots/{huge}/results",
        "/api/v1/library?category=<script>&channel=%00",
    ]
    for path in paths:
        assert client.get(path).status_code < 500, path
    client.logout()
    # A wrong token is refused before anything else is looked at, even a malformed id.
    for path in paths:
        response = client.get(path, HTTP_AUTHORIZATION="Bearer kpiw_nonsense")
        assert response.status_code == 401, path
