"""The coverage checks are declarations (``mapping.coverage.CHECKS``): the page shows exactly
those, in that order, and a declaration alone makes a check."""

from django.urls import reverse

from kpiworkshop.mapping import coverage
from kpiworkshop.mapping.selectors import coverage_for_workshop

from .conftest import make_kpi


def test_the_page_shows_the_declared_checks_in_order(map_workshop, manager):
    make_kpi(map_workshop, manager)
    keys = [spec.key for spec in coverage.CHECKS]
    assert len(keys) == len(set(keys)) == 17
    assert [c.key for c in coverage_for_workshop(workshop=map_workshop).checks] == keys


def test_a_declaration_alone_makes_a_check(map_workshop, manager):
    kpi = make_kpi(map_workshop, manager, name="Abandon rate")
    cov = coverage_for_workshop(workshop=map_workshop)
    facts = coverage.facts_from(
        workshop=map_workshop,
        kpis=cov.kpis,
        goals=[],
        audiences=[],
        act_on_limit=5,
        see_internal=True,
        goal_links=[],
        audience_links=[],
        breakdowns=[],
    )
    spec = coverage.CheckSpec(
        "named",
        lambda f: "Every KPI is named after a rate",
        lambda f: [p for p in f.kpis if "rate" in p.current_revision.name],
        lambda f, failing: f"{len(failing)} flagged",
        coverage._to_kpi,
    )
    (check,) = coverage.present(facts, [spec])
    assert (check.key, check.ok, check.detail) == ("named", False, "1 flagged")
    url = reverse("mapping:kpi", args=[map_workshop.pk, kpi.pk])
    assert check.items == [("Abandon rate", url)]
