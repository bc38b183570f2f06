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
