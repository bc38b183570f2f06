from kpiworkshop import demo
from kpiworkshop.mapping.models import AudienceLink, BusinessGoal, GoalLink, LinkComment
from kpiworkshop.mapping.selectors import coverage_for_workshop
from kpiworkshop.workshops.models import Stage, Workshop


def test_seed_demo_maps_a_workshop_with_deliberate_gaps(db):
    result = demo.seed()
    workshop = Workshop.objects.get(organisation=result.organisation, stage=Stage.MAP)
    assert BusinessGoal.objects.filter(organisation=result.organisation, key="churn").exists()
    links = GoalLink.objects.filter(proposal__workshop=workshop).count()
    assert links >= 8
    assert LinkComment.objects.filter(audience_link__proposal__workshop=workshop).exists()
    cov = coverage_for_workshop(workshop=workshop)
    failing = {c.key for c in cov.checks if not c.ok}
    # The gaps the demo leaves on purpose, for the coverage view to show.
    assert {"kpi_goal", "counter", "control", "overload", "goals"} <= failing
    assert 0 < cov.passed < cov.total
    # Idempotent: a second run adds nothing.
    audience_links = AudienceLink.objects.count()
    demo.seed()
    assert GoalLink.objects.filter(proposal__workshop=workshop).count() == links
    assert AudienceLink.objects.count() == audience_links
    assert Workshop.objects.filter(organisation=result.organisation, stage=Stage.MAP).count() == 1


def test_seed_demo_prints_join_codes_for_the_map_workshop(db):
    from io import StringIO

    from django.core.management import call_command

    from kpiworkshop.mapping.demo import TITLE

    out = StringIO()
    call_command("seed_demo", stdout=out)
    workshop = Workshop.objects.get(title=TITLE)
    lines = [line for line in out.getvalue().splitlines() if TITLE in line]
    assert len(lines) == 2, out.getvalue()  # the agent's and the customer's, like the others
    codes = {inv.display_code for inv in workshop.invitations.usable()}
    assert all(any(code in line for code in codes) for line in lines)
    assert any("Agent" in line for line in lines) and "[Map]" in lines[0]
    # Idempotent: a second run prints the same codes and makes none.
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert [line for line in again.getvalue().splitlines() if TITLE in line] == lines
    assert workshop.invitations.count() == 3


def test_seed_demo_builds_a_three_level_tree_with_one_link_still_argued(db):
    from kpiworkshop.mapping.models import LinkState, TreeLink
    from kpiworkshop.mapping.selectors import tree_for_workshop

    result = demo.seed()
    workshop = Workshop.objects.get(organisation=result.organisation, stage=Stage.MAP)
    view = tree_for_workshop(workshop=workshop)
    goal = next(r for r in view.tree.roots if r.type == "goal" and r.children)
    depth = max(n.depth for n in view.tree.walk())
    assert depth >= 4  # goal, cost per contact, repeat contacts, FCR, its guard
    assert len(view.proposed) == 1 and view.proposed[0].objections == 1
    assert goal.label
    links = TreeLink.objects.filter(workshop=workshop).count()
    demo.seed()
    assert TreeLink.objects.filter(workshop=workshop).count() == links
    assert TreeLink.objects.filter(workshop=workshop, state=LinkState.ACCEPTED).count() == 4
