"""Internal-only fields: the proposal page, the diff, the forms and the API apply one rule
(``kpis.permissions.can_see_internal``), so nobody sees on one what another hides."""

import pytest
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import services
from tests.conftest import login
from tests.factories import MembershipFactory, ParticipantFactory

from .conftest import DEFINITION

SECRET = "Ops lead Rossi"


@pytest.fixture
def marked(workshop, agent, facilitator):
    p = services.proposal_create(
        actor=agent, workshop=workshop, definition=DEFINITION | {"owner": SECRET}
    )
    services.proposal_set_internal_fields(actor=facilitator, proposal=p, fields=["owner"])
    return p


def _page_and_api(client, workshop, proposal) -> tuple[bool, bool]:
    html = client.get(reverse("kpis:detail", args=[workshop.pk, proposal.pk])).content.decode()
    data = client.get(f"/api/v1/workshops/{workshop.pk}/proposals").json()
    return SECRET in html, "owner" in data[0]["definition"]


@pytest.mark.parametrize("role", Role.values)
def test_page_and_api_agree_for_a_member_who_has_not_joined(client, workshop, marked, role):
    member = MembershipFactory(organisation=workshop.organisation, role=role)
    client.force_login(member.user)
    on_page, in_api = _page_and_api(client, workshop, marked)
    assert on_page == in_api == (role != Role.CUSTOMER)


@pytest.mark.parametrize("role", Role.values)
def test_page_and_api_agree_for_participants(client, workshop, marked, role):
    participant = ParticipantFactory(workshop=workshop, role=role)
    login(client, participant)
    on_page, in_api = _page_and_api(client, workshop, marked)
    assert on_page == in_api == (role != Role.CUSTOMER)


def test_a_customer_author_cannot_change_a_field_hidden_from_them(workshop, facilitator):
    """The service, not the view, keeps the hidden fields: whatever the caller sends."""
    customer = ParticipantFactory(workshop=workshop, role=Role.CUSTOMER)
    p = services.proposal_create(
        actor=customer, workshop=workshop, definition=DEFINITION | {"owner": SECRET}
    )
    services.proposal_set_internal_fields(actor=facilitator, proposal=p, fields=["owner"])
    revision = services.proposal_revise(
        actor=customer, proposal=p, definition=DEFINITION | {"name": "Renamed", "owner": "Me"}
    )
    assert (revision.name, revision.owner) == ("Renamed", SECRET)


def test_a_suggestion_never_carries_a_field_hidden_from_its_author(workshop, marked):
    from kpiworkshop.workshops.models import Stage

    workshop.stage = Stage.REFINE
    workshop.save()
    customer = ParticipantFactory(workshop=workshop, role=Role.CUSTOMER)
    suggestion = services.suggestion_create(
        actor=customer, proposal=marked, changes={"measures": "Other words.", "owner": "Me"}
    )
    assert suggestion.changes == {"measures": "Other words."}
