"""The board's cards are rendered once per board version and shared between viewers: every
change a card shows appears at once, "my proposals" stays personal, and a cached board costs
fewer queries than a fresh one."""

import re

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.kpis import services
from tests.conftest import as_guest, login
from tests.factories import ParticipantFactory

from .conftest import DEFINITION


def board(client, workshop, query="") -> str:
    response = client.get(f"/w/{workshop.pk}/proposals/{query}")
    assert response.status_code == 200
    return response.content.decode()


def count(html: str, label: str) -> int:
    return int(re.search(rf"{label}: (\d+)", html).group(1))


def test_every_change_a_card_shows_appears_at_once(client, workshop, agent, proposal, supervisor):
    login(client, agent)
    html = board(client, workshop)
    assert DEFINITION["name"] in html and count(html, "Concerns") == 0
    services.comment_create(actor=supervisor, proposal=proposal, body="Too slow", stance="concern")
    html = board(client, workshop)
    assert count(html, "Concerns") == 1
    services.proposal_support(actor=supervisor, proposal=proposal)
    assert "</span>1</span>" in board(client, workshop)  # supporters
    services.proposal_support(actor=supervisor, proposal=proposal)  # taken back
    assert "</span>0</span>" in board(client, workshop)
    services.proposal_revise(
        actor=agent, proposal=proposal, definition={"name": "Repeat contacts, digital"}
    )
    assert "Repeat contacts, digital" in board(client, workshop)
    services.proposal_create(
        actor=supervisor, workshop=workshop, definition=dict(DEFINITION, name="Average wait")
    )
    assert "Average wait" in board(client, workshop)
    # A write outside the services (here: a rename) bumps the scope it changes itself.
    with transaction.atomic():
        supervisor.display_name = "Sara B."
        supervisor.save(update_fields=["display_name", "updated_at"])
        versions.version_bump(versions.ROSTER, workshop.pk)
    assert "by Sara B." in board(client, workshop)


def test_my_proposals_are_never_shared_between_people(client, workshop, agent, proposal):
    other = ParticipantFactory(workshop=workshop, role=Role.AGENT, guest=True)
    services.proposal_create(
        actor=other, workshop=workshop, definition=dict(DEFINITION, name="Other's KPI")
    )
    login(client, agent)
    mine = board(client, workshop, "?mine=on")
    assert DEFINITION["name"] in mine and "Other&#x27;s KPI" not in mine
    client.logout()
    as_guest(client, other)
    theirs = board(client, workshop, "?mine=on")
    assert "Other&#x27;s KPI" in theirs and DEFINITION["name"] not in theirs


def test_filters_and_languages_get_their_own_cards(client, workshop, agent, proposal):
    login(client, agent)
    assert DEFINITION["name"] in board(client, workshop)
    assert "No proposals match yet." in board(client, workshop, "?q=nothing-like-this")
    italian = client.get(f"/w/{workshop.pk}/proposals/", HTTP_ACCEPT_LANGUAGE="it")
    assert "Perplessità" in italian.content.decode()
    assert "Concerns" in board(client, workshop)


def test_a_shared_board_costs_fewer_queries_than_a_fresh_one(client, workshop, agent, proposal):
    login(client, agent)
    with CaptureQueriesContext(connection) as fresh:
        board(client, workshop)
    with CaptureQueriesContext(connection) as shared:
        board(client, workshop)
    assert len(shared) < len(fresh)


def test_a_shared_board_costs_the_same_at_1_10_and_100_proposals(client, workshop, agent):
    login(client, agent)
    counts = []
    made = 0
    for n in (1, 10, 100):
        for i in range(n - made):
            services.proposal_create(
                actor=agent, workshop=workshop, definition=dict(DEFINITION, name=f"KPI {made + i}")
            )
        made = n
        board(client, workshop)  # renders and shares the cards
        with CaptureQueriesContext(connection) as shared:
            html = board(client, workshop)
        assert html.count('data-testid="proposal-card"') == min(n, 30)
        counts.append(len(shared))
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 6, counts
