"""The board's filter form is rendered once per language and query and shared: it always
shows the filters of the request it answers, offers "Only mine" only to participants, and a
shared board for a facilitator costs a pinned number of queries."""

from django.test import Client

from kpiworkshop.accounts.models import Role
from tests.conftest import as_guest, login
from tests.factories import ParticipantFactory, WorkshopFactory


def board(client, workshop, query="", **headers) -> str:
    response = client.get(f"/w/{workshop.pk}/proposals/{query}", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_form_shows_the_filters_of_each_request(client, workshop, agent, proposal):
    login(client, agent)
    assert 'value="voice" selected' not in board(client, workshop)
    html = board(client, workshop, "?channel=voice&q=churn")
    assert 'value="voice" selected' in html and 'value="churn"' in html
    html = board(client, workshop, "?channel=chat")
    assert 'value="chat" selected' in html and 'value="voice" selected' not in html
    assert 'value="churn"' not in html
    assert "checked" not in board(client, workshop, "?q=churn")
    assert 'id="id_mine" value="on" checked' in board(client, workshop, "?mine=on")


def test_only_mine_is_offered_to_participants_alone(client, workshop, agent, proposal):
    login(client, agent)
    assert 'id="id_mine"' in board(client, workshop)  # shared for participants
    member = ParticipantFactory(
        role=Role.AGENT, workshop=WorkshopFactory(organisation=workshop.organisation)
    )
    html = board(login(Client(), member), workshop)
    assert 'id="id_mine"' not in html and 'name="category"' in html


def test_the_form_follows_the_language(client, workshop, guest_customer, proposal):
    as_guest(client, guest_customer)
    assert "All categories" in board(client, workshop)
    italian = board(client, workshop, HTTP_ACCEPT_LANGUAGE="it")
    assert "All categories" not in italian and "Tutte le categorie" in italian


def test_the_form_links_to_its_own_workshop(client, workshop, agent, other_org_participant):
    login(client, agent)
    board(client, workshop)
    other = other_org_participant.workshop
    html = board(login(Client(), other_org_participant), other)
    assert f'action="/w/{other.pk}/proposals/"' in html
    assert f'action="/w/{workshop.pk}/proposals/"' not in html


def test_a_shared_board_for_a_facilitator_costs_pinned_queries(
    client, workshop, facilitator, proposal, django_assert_num_queries
):
    login(client, facilitator)
    board(client, workshop)
    # Session with its user (one statement), participant with workshop and its board version
    # (one statement).
    with django_assert_num_queries(2):
        board(client, workshop)
