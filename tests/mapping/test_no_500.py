"""No 500 from anything a user can send to the Map stage: every mapping route, as anonymous, a
guest customer, an agent, a manager and the facilitator, with GET and with POSTs of missing,
garbage and hostile values; and the mapping API with huge and foreign ids."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from kpiworkshop.accounts.models import User
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.mapping.models import Audience, AudienceLink, BusinessGoal, GoalLink
from kpiworkshop.workshops.models import Participant, Stage, Workshop
from tests.conftest import as_guest

HUGE = "9" * 25
GARBAGE = [
    {},
    {"goal": "x", "strength": "tertiary", "audience": "-1", "relation": "owns", "cadence": "?"},
    {"goal": HUGE, "audience": HUGE, "counter_proposal": HUGE, "parent": HUGE, "order": HUGE},
    {"why": "<script>alert(1)</script>" * 50, "name": "\x00\x01", "body": "x" * 20000},
    {"handler": ["robot", "chatbot"], "channel": "\x00", "request_type": "," * 5000},
    {"library": "../../etc", "text": "t" * 500, "act_on_limit": "-5", "stance": "angry"},
    {"place": "moon", "place_note": "\x00", "level": "galactic", "is_active": "maybe"},
]


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    workshop = Workshop.objects.get(stage=Stage.MAP)
    proposal = Proposal.objects.filter(workshop=workshop, state="shortlisted").first()
    return workshop, {
        "pk": workshop.pk,
        "proposal_id": proposal.pk,
        "goal_id": BusinessGoal.objects.filter(organisation=workshop.organisation).first().pk,
        "audience_id": Audience.objects.filter(organisation=workshop.organisation).first().pk,
        "link_id": GoalLink.objects.filter(proposal=proposal).first().pk,
    }


def _paths(values):
    """Every mapping route with real ids, and again with ids that exist nowhere."""
    from django.urls import get_resolver

    patterns = [
        p
        for r in get_resolver().url_patterns
        if getattr(r, "namespace", None) == "mapping"
        for p in r.url_patterns
    ]
    assert len(patterns) >= 15
    out = []
    for pattern in patterns:
        keys = list(pattern.pattern.converters)
        out.append(reverse(f"mapping:{pattern.name}", kwargs={k: values[k] for k in keys}))
        out.append(reverse(f"mapping:{pattern.name}", kwargs={k: 10**17 for k in keys}))
    return out


@pytest.mark.django_db
def test_no_mapping_route_answers_500(client, demo):
    workshop, values = demo
    guest = Participant.objects.filter(workshop=workshop, role="customer").first()
    manager = Participant.objects.filter(workshop=workshop, role="manager").first().user
    failures = []
    paths = _paths(values)
    for who in ("anonymous", "guest", "agent", "manager", "facilitator"):
        client.logout()
        client.cookies.clear()
        if who == "guest":
            as_guest(client, guest)
        elif who == "agent":
            client.force_login(User.objects.get(username="agent"))
        elif who == "manager":
            client.force_login(manager)
        elif who == "facilitator":
            client.force_login(User.objects.get(username="facilitator"))
        for path in paths:
            tries = [("get", None), ("get", {"card": "\x00"})] + [("post", g) for g in GARBAGE]
            for method, data in tries:
                for hx in ({}, {"HTTP_HX_REQUEST": "true"}):
                    response = getattr(client, method)(path, data or {}, **hx)
                    if response.status_code >= 500:
                        failures.append((who, method, path, data, response.status_code))
    assert failures == []
    # The garbage linked nothing that was not there.
    assert not AudienceLink.objects.filter(place="moon").exists()


@pytest.mark.django_db
def test_mapping_api_never_answers_500(client, demo):
    workshop, _values = demo
    client.force_login(User.objects.get(username="facilitator"))
    paths = [
        f"/api/v1/workshops/{workshop.pk}/map/goals?include_retired=maybe",
        f"/api/v1/workshops/{workshop.pk}/map/audiences",
        f"/api/v1/workshops/{workshop.pk}/map/links",
        f"/api/v1/workshops/{workshop.pk}/map/coverage",
        f"/api/v1/workshops/{HUGE}/map/coverage",
        "/api/v1/workshops/abc/map/links",
    ]
    for path in paths:
        assert client.get(path).status_code < 500, path
    assert client.get(paths[3]).status_code == 200
