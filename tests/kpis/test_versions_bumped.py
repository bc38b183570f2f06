"""Each write the board's cards show moves the board's version in its transaction
(``core.versions``); a refused write moves nothing."""

import pytest
from django.core.exceptions import PermissionDenied

from kpiworkshop.kpis import fragments, services
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.access import WorkshopAccess
from kpiworkshop.workshops.models import new_guest_key

from .conftest import DEFINITION


def key(workshop):
    fresh = type(workshop).objects.get(pk=workshop.pk)
    return fragments.board_cards.key(
        WorkshopAccess(fresh, None, None),
        workshop=fresh,
        filters={"category": "", "channel": "", "state": "", "q": "", "sort": ""},
        author=None,
        page=1,
        next_query="page=2",
    )


def test_every_write_a_card_shows_moves_the_board_version(
    workshop, agent, supervisor, proposal, invitation
):
    seen = [key(workshop)]
    services.comment_create(actor=supervisor, proposal=proposal, body="Slow", stance="concern")
    seen.append(key(workshop))
    services.proposal_support(actor=supervisor, proposal=proposal)
    seen.append(key(workshop))
    services.proposal_support(actor=supervisor, proposal=proposal)  # taken back
    seen.append(key(workshop))
    services.proposal_revise(actor=agent, proposal=proposal, definition={"name": "Repeat, digital"})
    seen.append(key(workshop))
    services.proposal_create(
        actor=supervisor, workshop=workshop, definition=dict(DEFINITION, name="Average wait")
    )
    seen.append(key(workshop))
    # A join changes the roster (the authors' names the cards show come from it).
    workshop_services.participant_join_guest(
        invitation=invitation, guest_key=new_guest_key(), display_name="Nina"
    )
    seen.append(key(workshop))
    services.proposal_withdraw(actor=agent, proposal=proposal)
    seen.append(key(workshop))
    assert len(set(seen)) == len(seen)


def test_a_refused_write_moves_nothing(workshop, guest_customer, proposal):
    before = key(workshop)
    with pytest.raises(PermissionDenied):
        services.proposal_withdraw(actor=guest_customer, proposal=proposal)
    assert key(workshop) == before
