"""Moderation of the KPI tree's link whys (issue 21, item 3): while the workshop holds open text,
a link a participant proposes waits for the facilitator; the room neither sees, draws nor counts
it until let through; a hidden one shows its proposer why; only shown links are published."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.tree_snapshot import tree_snapshot
from kpiworkshop.core import versions
from kpiworkshop.mapping import selectors, services
from kpiworkshop.mapping.models import GoalLink, LinkState, TreeLink
from kpiworkshop.workshops import selectors as workshop_selectors
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.moderation import Moderation, moderated_kind
from tests.conftest import login
from tests.factories import ParticipantFactory

from .conftest import make_kpi

pytestmark = pytest.mark.django_db
WHY = "Repeat calls cost us twice"


@pytest.fixture
def three(map_workshop, manager, goal):
    cost = make_kpi(map_workshop, manager, "Cost to serve")
    repeat = make_kpi(map_workshop, manager, "Repeat contacts")
    fcr = make_kpi(map_workshop, manager, "First contact resolution")
    GoalLink.objects.create(proposal=cost, goal=goal, strength="primary", created_by=manager)
    return cost, repeat, fcr


@pytest.fixture
def holding(map_workshop, facilitator):
    workshop_services.workshop_set_hold_open_text(
        actor=facilitator, workshop=map_workshop, hold=True
    )
    map_workshop.refresh_from_db()
    return map_workshop


@pytest.fixture
def other(map_workshop):
    return ParticipantFactory(workshop=map_workshop, role=Role.AGENT)


def _propose(actor, workshop, three):
    cost, repeat, _fcr = three
    return services.tree_link_propose(
        actor=actor, workshop=workshop, from_id=repeat.pk, to_id=cost.pk, kind="drives", why=WHY
    )


def _page(client, actor, workshop) -> str:
    client.logout()
    login(client, actor)
    return client.get(reverse("mapping:tree", args=[workshop.pk])).content.decode()


def test_a_link_goes_straight_through_while_nothing_is_held(map_workshop, three, agent):
    assert _propose(agent, map_workshop, three).moderation == Moderation.SHOWN


def test_the_facilitators_own_link_goes_through_while_held(holding, three, facilitator):
    assert _propose(facilitator, holding, three).moderation == Moderation.SHOWN


def test_a_held_link_is_invisible_to_the_room_and_waits_for_its_proposer(
    client, holding, three, agent, other, facilitator
):
    link = _propose(agent, holding, three)
    assert link.moderation == Moderation.HELD
    for viewer in (other, facilitator):
        page = _page(client, viewer, holding)
        assert WHY not in page and f'id="tree-link-{link.pk}"' not in page
        assert "edge k-drives" not in page
    page = _page(client, agent, holding)
    assert WHY in page and 'data-testid="tree-link-waiting"' in page
    assert "Waiting for the facilitator" in page
    assert "edge k-drives" not in page  # listed for its proposer, not drawn
    view = selectors.tree_for_workshop(workshop=holding, participant_id=other.pk)
    assert view.proposed == [] and view.tree.extra == []


def test_a_held_link_takes_no_stance_and_no_decision(holding, three, agent, other, facilitator):
    link = _propose(agent, holding, three)
    with pytest.raises(ValidationError):
        services.tree_link_stance_set(actor=other, link=link, stance="support")
    with pytest.raises(ValidationError):
        services.tree_link_decide(actor=facilitator, link=link, accept=True)
    assert TreeLink.objects.get().state == LinkState.PROPOSED


def test_a_released_link_is_drawn_for_everyone_and_moves_the_maps_version(
    client, holding, three, agent, other, facilitator
):
    link = _propose(agent, holding, three)
    before = versions.versions_read((versions.MAP, holding.pk))
    workshop_services.moderation_release(
        actor=facilitator, workshop=holding, kind="tree_link", item_id=link.pk
    )
    assert versions.versions_read((versions.MAP, holding.pk)) != before
    page = _page(client, other, holding)
    assert WHY in page and "edge k-drives proposed" in page
    assert 'data-testid="tree-link-waiting"' not in page
    services.tree_link_decide(actor=facilitator, link=link, accept=True)
    accepted = selectors.tree_for_workshop(workshop=holding).accepted
    assert [r.link.pk for r in accepted] == [link.pk]


def test_a_hidden_link_shows_its_reason_to_its_proposer_only(
    client, holding, three, agent, other, facilitator
):
    link = _propose(agent, holding, three)
    workshop_services.moderation_hide(
        actor=facilitator, workshop=holding, kind="tree_link", item_id=link.pk, reason="Off topic"
    )
    page = _page(client, agent, holding)
    assert "Hidden by the facilitator: Off topic" in page
    page = _page(client, other, holding)
    assert WHY not in page and "Off topic" not in page


def test_only_shown_links_are_published(holding, three, agent, facilitator):
    cost, _repeat, fcr = three
    held = _propose(agent, holding, three)
    shown = services.tree_link_propose(
        actor=facilitator, workshop=holding, from_id=fcr.pk, to_id=cost.pk, kind="drives", why="x"
    )
    services.tree_link_decide(actor=facilitator, link=shown, accept=True)
    # Even accepted by a write behind the services' back, a held link is not published.
    TreeLink.objects.filter(pk=held.pk).update(state=LinkState.ACCEPTED)
    entries = [{"kpi_uid": f"u{p.pk}", "proposal_id": p.pk} for p in three]
    tree = tree_snapshot(workshop=holding, entries=entries, previous_tree=[], by_entry_id={})
    assert [(t["from"], t["to"]) for t in tree] == [(f"u{fcr.pk}", f"u{cost.pk}")]


def test_the_queue_lists_a_link_with_its_why(client, holding, three, agent, facilitator):
    link = _propose(agent, holding, three)
    queue = workshop_selectors.moderation_queue(workshop=holding)
    assert [(q.kind.key, q.item.pk) for q in queue] == [("tree_link", link.pk)]
    assert queue[0].text == WHY
    assert queue[0].about == "Repeat contacts → Cost to serve"
    assert moderated_kind("tree_link").model is TreeLink
    login(client, facilitator)
    page = client.get(reverse("workshops:moderation", args=[holding.pk])).content.decode()
    assert WHY in page and "Repeat contacts → Cost to serve" in page
