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
