"""Each write the Map stage's shared fragments show moves their version, in its transaction
(``core.versions``): links, comments, settings, goals, a KPI's counter-metric; a write
outside them does not."""

from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.mapping import fragments, services
from kpiworkshop.mapping.models import GoalLink, TreeLink, TreeLinkStance
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.access import WorkshopAccess
from tests.conftest import login, written_outside_services
from tests.factories import InvitationFactory, ParticipantFactory

from .conftest import make_kpi


def key(workshop):
    fresh = type(workshop).objects.get(pk=workshop.pk)  # a new request's workshop
    return fragments.map_cards.key(
        WorkshopAccess(fresh, None, None), workshop=fresh, page=1, more=False
    )


def test_every_mapping_write_moves_the_map_version(map_workshop, facilitator, kpi, goal, audience):
    seen = [key(map_workshop)]
    link = services.goal_link_set(actor=facilitator, proposal=kpi, goal_id=goal.pk)
    seen.append(key(map_workshop))
    services.link_comment_create(actor=facilitator, goal_link=link, stance="concern", body="Hm")
    seen.append(key(map_workshop))
    services.audience_link_set(
        actor=facilitator, proposal=kpi, audience_id=audience.pk, relation="sees"
    )
    seen.append(key(map_workshop))
    services.map_settings_update(actor=facilitator, workshop=map_workshop, act_on_limit=3)
    seen.append(key(map_workshop))
    services.goal_save(actor=facilitator, workshop=map_workshop, goal=goal, name="Loyalty, renamed")
    seen.append(key(map_workshop))
    services.goal_link_remove(actor=facilitator, link=link)
    seen.append(key(map_workshop))
    assert len(set(seen)) == len(seen)


def test_a_read_does_not_move_it(map_workshop, facilitator, kpi):
    assert key(map_workshop) == key(map_workshop)


# --- Names in the tree's shared markup (issue 20) ----------------------------------------------


def _tree_page(client, workshop) -> str:
    return client.get(reverse("mapping:tree", args=[workshop.pk])).content.decode()


def _a_tree(workshop, author, goal):
    cost = make_kpi(workshop, author, "Cost to serve")
    repeat = make_kpi(workshop, author, "Repeat contacts")
    GoalLink.objects.create(proposal=cost, goal=goal, strength="primary", created_by=author)
    link = TreeLink.objects.create(
        workshop=workshop,
        from_proposal=repeat,
        to_proposal=cost,
        kind="drives",
        why="Calls cost",
        proposed_by=author,
    )
    TreeLinkStance.objects.create(link=link, participant=author, stance="support")
    written_outside_services("MAP", workshop.pk)


def test_renaming_the_workshop_renames_it_in_the_tree(
    client, map_workshop, facilitator, agent, goal
):
    _a_tree(map_workshop, agent, goal)
    login(client, agent)
    assert "KPI tree of Old title" not in _tree_page(client, map_workshop)
    workshop_services.workshop_update(
        actor=facilitator, workshop=map_workshop, title="Old title", purpose=""
    )
    assert "KPI tree of Old title" in _tree_page(client, map_workshop)
    workshop_services.workshop_update(
        actor=facilitator, workshop=map_workshop, title="New title", purpose=""
    )
    page = _tree_page(client, map_workshop)
    assert "KPI tree of New title" in page and "Old title" not in page


def test_a_participant_renaming_themselves_is_renamed_in_the_tree(
    client, map_workshop, agent, goal
):
    """A guest joining again from the same device with another name: their link and their
    stance show the new name to everyone, at once."""
    guest = ParticipantFactory(workshop=map_workshop, guest=True, display_name="Gina Old")
    _a_tree(map_workshop, guest, goal)
    login(client, agent)
    assert "Gina Old" in _tree_page(client, map_workshop)
    workshop_services.participant_join_guest(
        invitation=InvitationFactory(workshop=map_workshop, role=Role.AGENT),
        guest_key=guest.guest_key,
        display_name="Gina New",
    )
    page = _tree_page(client, map_workshop)
    assert "Gina New" in page and "Gina Old" not in page
