"""Moderation of the KPI tree's link whys (issue 21, item 3): while the workshop holds open text,
a link a participant proposes waits for the facilitator; the room neither sees, draws nor counts
it until let through; a hidden one shows its proposer why; only shown links are published."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.tree_snapshot import tree_snapshot
from kpiworkshop.core import versions
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.mapping import selectors, services
from kpiworkshop.mapping.models import GoalLink, LinkState, TreeLink, TreeLinkStance
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


# --- A duplicate of someone else's waiting or hidden link tells nothing of it --------------------


def _answer(client, actor, workshop, three, *, htmx: bool) -> tuple[int, str]:
    """What ``actor`` gets back for proposing repeat → cost (drives), with the ids and tokens
    that differ between any two answers made the same."""
    cost, repeat, _fcr = three
    client.logout()
    login(client, actor)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(
        reverse("mapping:tree_link_propose", args=[workshop.pk]),
        {"from_proposal": repeat.pk, "to_proposal": cost.pk, "kind": "drives", "why": "Mine"},
        follow=not htmx,
        **headers,
    )
    body = response.content.decode()
    own = TreeLink.objects.get(proposed_by=actor)
    body = body.replace(f"tree-link-{own.pk}", "tree-link-N")
    body = body.replace(f"/tree/links/{own.pk}/", "/tree/links/N/")
    body = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1T", body)
    return response.status_code, body


@pytest.mark.parametrize("htmx", [True, False])
def test_a_duplicate_of_someones_held_link_answers_as_if_ones_own_were_held(
    client, holding, three, agent, other, htmx
):
    with transaction.atomic():
        alone = _answer(client, agent, holding, three, htmx=htmx)
        transaction.set_rollback(True)
    assert not TreeLink.objects.exists()
    theirs = _propose(other, holding, three)
    assert theirs.moderation == Moderation.HELD
    duplicate = _answer(client, agent, holding, three, htmx=htmx)
    assert duplicate == alone
    assert alone[0] == 200 and "Mine" in alone[1] and WHY not in alone[1]
    assert "already" not in alone[1] and 'data-testid="tree-link-waiting"' in alone[1]
    mine = TreeLink.objects.get(proposed_by=agent)
    assert mine.moderation == Moderation.HELD and mine.pk != theirs.pk


def test_a_duplicate_of_someones_hidden_link_is_a_new_proposal(
    holding, three, agent, other, facilitator
):
    """Hidden is the facilitator's judgement of its proposer's words, not of the link: the
    next person's proposal of it is theirs, judged on its own (waiting, while text is held)."""
    theirs = _propose(other, holding, three)
    workshop_services.moderation_hide(
        actor=facilitator, workshop=holding, kind="tree_link", item_id=theirs.pk, reason="Rude"
    )
    mine = _propose(agent, holding, three)
    assert mine.pk != theirs.pk and mine.moderation == Moderation.HELD
    # Their own hidden link is still theirs: proposing it again is refused, as it is shown to
    # them with the reason.
    with pytest.raises(ValidationError, match="already been proposed"):
        _propose(other, holding, three)


def test_a_duplicate_of_a_shown_link_keeps_the_clear_message(map_workshop, three, agent, other):
    _propose(other, map_workshop, three)
    with pytest.raises(ValidationError, match=r"already been proposed \(proposed\)"):
        _propose(agent, map_workshop, three)
    assert TreeLink.objects.count() == 1


def test_letting_both_through_leaves_one_link_with_the_second_as_support(
    client, holding, three, agent, other, facilitator
):
    first = _propose(other, holding, three)
    second = services.tree_link_propose(
        actor=agent,
        workshop=holding,
        from_id=three[1].pk,
        to_id=three[0].pk,
        kind="drives",
        why="Same link, my words",
    )
    queue = workshop_selectors.moderation_queue(workshop=holding)
    assert sorted(q.item.pk for q in queue) == sorted([first.pk, second.pk])
    workshop_services.moderation_release(
        actor=facilitator, workshop=holding, kind="tree_link", item_id=first.pk
    )
    before = versions.versions_read((versions.MAP, holding.pk))
    shown = workshop_services.moderation_release(
        actor=facilitator, workshop=holding, kind="tree_link", item_id=second.pk
    )
    assert shown.pk == first.pk
    assert versions.versions_read((versions.MAP, holding.pk)) != before
    assert list(TreeLink.objects.values_list("pk", flat=True)) == [first.pk]
    (stance,) = TreeLinkStance.objects.all()
    assert (stance.link_id, stance.participant_id, stance.stance, stance.text) == (
        first.pk,
        agent.pk,
        "support",
        "Same link, my words",
    )
    assert workshop_selectors.moderation_queue(workshop=holding) == []
    page = _page(client, agent, holding)
    assert "Same link, my words" in page and 'data-testid="tree-link-waiting"' not in page
    event = AuditEvent.objects.filter(action="moderation.release").latest("id")
    assert event.details == {"kind": "tree_link", "into": first.pk}


def test_a_held_duplicate_of_a_decided_link_folds_without_a_stance(
    holding, three, agent, other, facilitator
):
    mine = _propose(agent, holding, three)
    # The facilitator's own link goes through at once, and is accepted.
    theirs = _propose(facilitator, holding, three)
    services.tree_link_decide(actor=facilitator, link=theirs, accept=True)
    assert (
        workshop_services.moderation_release(
            actor=facilitator, workshop=holding, kind="tree_link", item_id=mine.pk
        )
        == theirs
    )
    assert list(TreeLink.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert not TreeLinkStance.objects.exists()
