"""The KPI tree: proposing, taking stances on and deciding links; what is refused (nothing
stored); the tree built from the links; the coverage checks it adds."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis.models import ProposalState
from kpiworkshop.mapping import selectors, services, tree
from kpiworkshop.mapping.models import GoalLink, LinkState, TreeLink, TreeLinkStance
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory

from .conftest import make_kpi

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis(map_workshop, manager):
    return {
        name: make_kpi(map_workshop, manager, name)
        for name in ("Cost to serve", "Repeat contacts", "First contact resolution", "AHT")
    }


def _propose(actor, workshop, a, b, kind="drives", why="because"):
    return services.tree_link_propose(
        actor=actor, workshop=workshop, from_id=a.pk, to_id=b.pk, kind=kind, why=why
    )


def _accept(facilitator, link):
    return services.tree_link_decide(actor=facilitator, link=link, accept=True)


def test_anyone_proposes_a_link_and_the_facilitator_accepts_it(
    map_workshop, kpis, agent, facilitator
):
    link = _propose(agent, map_workshop, kpis["Repeat contacts"], kpis["Cost to serve"])
    assert link.state == LinkState.PROPOSED and link.proposed_by == agent
    _accept(facilitator, link)
    link.refresh_from_db()
    assert link.state == LinkState.ACCEPTED and link.decided_by == facilitator
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"tree_link.propose", "tree_link.accept"} <= actions


def test_declining_needs_a_reason(map_workshop, kpis, agent, facilitator):
    link = _propose(agent, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    with pytest.raises(ValidationError):
        services.tree_link_decide(actor=facilitator, link=link, accept=False, reason=" ")
    services.tree_link_decide(actor=facilitator, link=link, accept=False, reason="Not causal")
    link.refresh_from_db()
    assert link.state == LinkState.DECLINED and link.decline_reason == "Not causal"


def test_only_the_facilitator_decides(map_workshop, kpis, agent):
    link = _propose(agent, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    with pytest.raises(PermissionDenied):
        _accept(agent, link)
    assert TreeLink.objects.get(pk=link.pk).state == LinkState.PROPOSED


def test_a_decided_link_is_not_decided_again(map_workshop, kpis, agent, facilitator):
    link = _propose(agent, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    _accept(facilitator, link)
    with pytest.raises(ValidationError):
        _accept(facilitator, link)
    services.tree_link_decide(actor=facilitator, link=link, accept=False, reason="x")
    for accept in (True, False):
        with pytest.raises(ValidationError):
            services.tree_link_decide(actor=facilitator, link=link, accept=accept, reason="y")


def test_an_accepted_link_is_taken_out_of_the_tree_with_a_reason(
    map_workshop, kpis, agent, facilitator
):
    """A review workshop starts from the release's accepted links: the room takes one out by
    declining it, with a reason, and the tree no longer holds it."""
    link = _propose(agent, map_workshop, kpis["Repeat contacts"], kpis["Cost to serve"])
    _accept(facilitator, link)
    with pytest.raises(ValidationError):
        services.tree_link_decide(actor=facilitator, link=link, accept=False, reason=" ")
    assert TreeLink.objects.get(pk=link.pk).state == LinkState.ACCEPTED
    services.tree_link_decide(
        actor=facilitator, link=link, accept=False, reason="No longer how we work"
    )
    link.refresh_from_db()
    assert link.state == LinkState.DECLINED
    assert link.decline_reason == "No longer how we work"


@pytest.mark.parametrize(
    ("from_name", "to_name", "kind", "why"),
    [
        ("AHT", "AHT", "drives", "itself"),  # self-link
        ("AHT", "Cost to serve", "causes", "bad kind"),
        ("AHT", "Cost to serve", "drives", "   "),  # no why
        ("AHT", "Cost to serve", "drives", "x" * 201),
    ],
)
def test_bad_links_are_refused_and_nothing_is_stored(
    map_workshop, kpis, agent, from_name, to_name, kind, why
):
    with pytest.raises(ValidationError):
        _propose(agent, map_workshop, kpis[from_name], kpis[to_name], kind=kind, why=why)
    assert not TreeLink.objects.exists()


def test_the_same_link_twice_is_refused(map_workshop, kpis, agent, manager):
    _propose(agent, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    with pytest.raises(ValidationError, match="already"):
        _propose(manager, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    assert TreeLink.objects.count() == 1


@pytest.mark.parametrize("state", [ProposalState.WITHDRAWN, ProposalState.REJECTED])
def test_a_withdrawn_or_rejected_kpi_cannot_be_linked(map_workshop, kpis, agent, state):
    kpis["AHT"].state = state
    kpis["AHT"].save()
    with pytest.raises(ValidationError, match="not on this workshop"):
        _propose(agent, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    assert not TreeLink.objects.exists()


def test_another_organisations_kpi_cannot_be_linked(map_workshop, kpis, agent):
    other = WorkshopFactory(stage=Stage.MAP)
    foreign = make_kpi(other, ParticipantFactory(workshop=other), "Foreign")
    with pytest.raises(ValidationError):
        _propose(agent, map_workshop, foreign, kpis["Cost to serve"])
    with pytest.raises(ValidationError):
        _propose(agent, map_workshop, kpis["Cost to serve"], foreign)
    assert not TreeLink.objects.exists()


def test_a_link_that_closes_a_cycle_is_refused(map_workshop, kpis, agent, facilitator):
    a, b, c = kpis["First contact resolution"], kpis["Repeat contacts"], kpis["Cost to serve"]
    _accept(facilitator, _propose(agent, map_workshop, a, b))
    _accept(facilitator, _propose(agent, map_workshop, b, c, kind="part_of"))
    with pytest.raises(ValidationError, match="circle"):
        _propose(agent, map_workshop, c, a)
    assert TreeLink.objects.count() == 2


def test_accepting_the_second_of_two_opposite_links_is_refused(
    map_workshop, kpis, agent, manager, facilitator
):
    a, b = kpis["AHT"], kpis["Cost to serve"]
    one = _propose(agent, map_workshop, a, b)
    other = _propose(manager, map_workshop, b, a)  # an argument the room may have
    _accept(facilitator, one)
    with pytest.raises(ValidationError, match="circle"):
        _accept(facilitator, other)
    assert TreeLink.objects.get(pk=other.pk).state == LinkState.PROPOSED


def test_two_counter_metrics_may_guard_each_other(map_workshop, kpis, agent, facilitator):
    a, b = kpis["AHT"], kpis["First contact resolution"]
    _accept(facilitator, _propose(agent, map_workshop, a, b, kind="guards"))
    _accept(facilitator, _propose(agent, map_workshop, b, a, kind="guards"))
    assert TreeLink.objects.filter(state=LinkState.ACCEPTED).count() == 2


@pytest.mark.parametrize("stage", [Stage.VOTE, Stage.APPROVE])
def test_links_are_proposed_only_in_the_map_stage(map_workshop, kpis, agent, stage):
    map_workshop.stage = stage
    map_workshop.save()
    with pytest.raises(PermissionDenied):
        _propose(agent, map_workshop, kpis["AHT"], kpis["Cost to serve"])


def test_one_stance_per_participant_and_it_can_change(map_workshop, kpis, agent, manager):
    link = _propose(manager, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    services.tree_link_stance_set(actor=agent, link=link, stance="support")
    services.tree_link_stance_set(actor=agent, link=link, stance="object", text="Not for us")
    row = TreeLinkStance.objects.get()
    assert (row.stance, row.text) == ("object", "Not for us")
    with pytest.raises(ValidationError):
        services.tree_link_stance_set(actor=agent, link=link, stance="maybe")


def test_no_stance_on_a_decided_link(map_workshop, kpis, agent, facilitator):
    link = _propose(agent, map_workshop, kpis["AHT"], kpis["Cost to serve"])
    _accept(facilitator, link)
    with pytest.raises(ValidationError):
        services.tree_link_stance_set(actor=agent, link=link, stance="support")
    assert not TreeLinkStance.objects.exists()


# --- the tree as data ----------------------------------------------------------------------------


def test_tree_three_levels_from_a_goal(map_workshop, kpis, agent, facilitator, goal, manager):
    cost, repeat, fcr = (
        kpis["Cost to serve"],
        kpis["Repeat contacts"],
        kpis["First contact resolution"],
    )
    GoalLink.objects.create(proposal=cost, goal=goal, strength="primary", created_by=manager)
    _accept(facilitator, _propose(agent, map_workshop, repeat, cost))
    _accept(facilitator, _propose(agent, map_workshop, fcr, repeat))
    _propose(agent, map_workshop, kpis["AHT"], fcr, kind="guards")  # proposed: dashed
    view = selectors.tree_for_workshop(workshop=map_workshop)
    (root,) = view.tree.roots
    assert root.label == goal.name
    level1 = root.children[0]
    level2 = level1.children[0]
    level3 = level2.children[0]
    assert (level1.label, level2.label, level3.label) == (
        "Cost to serve",
        "Repeat contacts",
        "First contact resolution",
    )
    guard = level3.children[0]
    assert guard.label == "AHT" and guard.dashed and guard.kind == "guards"
    assert view.tree.depth == 4 and view.tree.kpi_count == 4


def test_a_kpi_with_two_parents_is_drawn_once_and_lists_the_other():
    t = tree.tree_build(
        goals=[(1, "G")],
        kpis=[(10, "A", ""), (11, "B", ""), (12, "C", "")],
        goal_links=[(10, 1, "primary"), (11, 1, "primary")],
        edges=[tree.Edge(12, 10, "drives"), tree.Edge(12, 11, "drives", LinkState.PROPOSED)],
    )
    labels = [n.label for n in t.walk()]
    assert labels.count("C") == 1
    c = next(n for n in t.walk() if n.label == "C")
    assert c.also_shown == [("drives", True, "B")]
    assert len(t.extra) == 1


def test_kpis_outside_the_tree_hang_under_their_own_root():
    t = tree.tree_build(
        goals=[(1, "G")],
        kpis=[(10, "A", ""), (11, "B", ""), (12, "C", "")],
        goal_links=[(10, 1, "primary")],
        edges=[tree.Edge(12, 11, "part_of")],
        unplaced_label="Not linked",
    )
    assert [r.label for r in t.roots] == ["G", "Not linked"]
    rest = t.roots[1]
    assert [n.label for n in rest.children] == ["B"]
    assert [n.label for n in rest.children[0].children] == ["C"]


def test_a_cycle_with_no_way_in_is_still_shown_once():
    t = tree.tree_build(
        goals=[],
        kpis=[(10, "A", ""), (11, "B", "")],
        goal_links=[],
        edges=[tree.Edge(10, 11, "drives"), tree.Edge(11, 10, "drives")],
    )
    assert sorted(n.label for n in t.walk() if n.type == "kpi") == ["A", "B"]


def test_cycle_reach_and_driver_helpers():
    edges = [(1, 2, "drives"), (2, 3, "drives"), (3, 1, "part_of"), (4, 1, "guards")]
    assert tree.in_cycles(edges) == {1, 2, 3}
    assert tree.in_cycles([(1, 2, "guards"), (2, 1, "guards")]) == set()
    assert tree.closes_cycle([(1, 2, "drives")], (2, 1))
    assert not tree.closes_cycle([(1, 2, "drives")], (1, 3))
    assert tree.reaching_goal({3}, edges, [1, 2, 3, 4, 5]) == {1, 2, 3, 4}
    assert tree.driver_counts(edges) == {2: 1, 3: 1}


# --- coverage ------------------------------------------------------------------------------------


def _check(workshop, key):
    cov = selectors.coverage_for_workshop(workshop=workshop)
    return next(c for c in cov.checks if c.key == key)


def test_coverage_flags_kpis_that_reach_no_goal(
    map_workshop, kpis, agent, facilitator, goal, manager
):
    cost, repeat = kpis["Cost to serve"], kpis["Repeat contacts"]
    GoalLink.objects.create(proposal=cost, goal=goal, strength="primary", created_by=manager)
    check = _check(map_workshop, "tree_reach")
    assert not check.ok and len(check.items) == 3
    _accept(facilitator, _propose(agent, map_workshop, repeat, cost))
    check = _check(map_workshop, "tree_reach")
    assert [text for text, _url in check.items] == ["First contact resolution", "AHT"]
    assert "/tree/#node-k" in check.items[0][1]


def test_coverage_flags_a_cycle_that_got_in(map_workshop, kpis, facilitator):
    # The services refuse cycles; one written around them (the admin, an import) is still seen.
    a, b = kpis["AHT"], kpis["Cost to serve"]
    for x, y in ((a, b), (b, a)):
        TreeLink.objects.create(
            workshop=map_workshop,
            from_proposal=x,
            to_proposal=y,
            kind="drives",
            why="w",
            proposed_by=facilitator,
            state=LinkState.ACCEPTED,
        )
    assert not _check(map_workshop, "tree_cycle").ok
    assert len(_check(map_workshop, "tree_cycle").items) == 2


def test_coverage_flags_too_many_drivers_with_the_facilitators_limit(
    map_workshop, manager, agent, facilitator
):
    top = make_kpi(map_workshop, manager, "Top")
    for i in range(3):
        _accept(
            facilitator,
            _propose(agent, map_workshop, make_kpi(map_workshop, manager, f"D{i}"), top),
        )
    assert _check(map_workshop, "tree_drivers").ok  # default limit 5
    services.map_settings_update(
        actor=facilitator, workshop=map_workshop, act_on_limit=7, driver_limit=2
    )
    check = _check(map_workshop, "tree_drivers")
    assert not check.ok and check.items[0][0] == "Top" and "2" in check.label
    with pytest.raises(ValidationError):
        services.map_settings_update(
            actor=facilitator, workshop=map_workshop, act_on_limit=7, driver_limit=0
        )


def test_a_driver_that_also_serves_the_goal_hangs_under_the_kpi_it_drives():
    t = tree.tree_build(
        goals=[(1, "Cost")],
        kpis=[(10, "Cost per contact", ""), (11, "FCR", "")],
        goal_links=[(10, 1, "primary"), (11, 1, "primary")],
        edges=[tree.Edge(11, 10, "drives")],
    )
    (root,) = t.roots
    assert [n.label for n in root.children] == ["Cost per contact"]
    fcr = root.children[0].children[0]
    assert fcr.label == "FCR" and fcr.also_shown == [("primary goal", False, "Cost")]
