"""The coverage checks on hand-built workshops: each flag fires when it should and not
otherwise. And the coverage, audience and map pages cost the same number of queries with 1,
10 and 100 KPIs, goals, audiences and links."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpiworkshop.mapping.models import (
    AudienceLink,
    GoalLink,
    Handler,
    Identity,
    LinkComment,
    MapSettings,
    ReportingBreakdown,
)
from kpiworkshop.mapping.selectors import coverage_for_workshop
from tests.conftest import as_guest, login
from tests.factories import AudienceFactory, BusinessGoalFactory

from .conftest import make_kpi


def checks(workshop) -> dict[str, bool]:
    return {c.key: c.ok for c in coverage_for_workshop(workshop=workshop).checks}


def complete_map(workshop, author, goal, audience):
    """Four KPIs, one per macro-category, each fully mapped: every check passes."""
    kpis = [
        make_kpi(workshop, author, f"KPI {c}", category=c, counter_text="balanced by X")
        for c in ("technical", "economic", "customer", "employee")
    ]
    for p in kpis:
        p.current_revision.channels = ["voice"]
        p.current_revision.save()
        GoalLink.objects.create(proposal=p, goal=goal, strength="primary", created_by=author)
        for rel in ("sees", "acts", "accountable"):
            AudienceLink.objects.create(
                proposal=p, audience=audience, relation=rel, created_by=author
            )
    for value in ["voice"]:
        ReportingBreakdown.objects.create(
            proposal=kpis[0], dimension="channel", value=value, created_by=author
        )
    for value in Handler.values:
        ReportingBreakdown.objects.create(
            proposal=kpis[0], dimension="handler", value=value, created_by=author
        )
    for value in Identity.values:
        ReportingBreakdown.objects.create(
            proposal=kpis[1], dimension="identity", value=value, created_by=author
        )
    return kpis


def test_complete_map_passes_every_check(map_workshop, manager, goal, audience):
    complete_map(map_workshop, manager, goal, audience)
    cov = coverage_for_workshop(workshop=map_workshop)
    assert cov.passed == cov.total == 17
    assert cov.complete


def test_each_gap_fails_only_its_own_check(map_workshop, manager, goal, audience):
    kpis = complete_map(map_workshop, manager, goal, audience)
    # A goal nobody measures.
    lonely = BusinessGoalFactory(organisation=map_workshop.organisation, name="Lonely goal")
    result = checks(map_workshop)
    assert [k for k, ok in result.items() if not ok] == ["goals"]
    cov = coverage_for_workshop(workshop=map_workshop)
    assert cov.checks[0].items[0][0] == "Lonely goal"
    lonely.is_active = False
    lonely.save()
    assert all(checks(map_workshop).values())

    # A KPI without its primary goal (still serving a goal as secondary).
    GoalLink.objects.filter(proposal=kpis[0]).update(strength="secondary")
    assert [k for k, ok in checks(map_workshop).items() if not ok] == ["kpi_primary"]
    GoalLink.objects.filter(proposal=kpis[0]).delete()
    assert [k for k, ok in checks(map_workshop).items() if not ok] == [
        "kpi_goal",
        "kpi_primary",
        "tree_reach",  # a KPI that serves no goal and drives none reaches none
    ]
    GoalLink.objects.create(proposal=kpis[0], goal=goal, strength="primary", created_by=manager)

    # Nobody accountable, nobody acting. A "sees" link alone going changes nothing: the
    # audience that acts on the KPI sees it.
    for rel, failing in (("accountable", ["accountable"]), ("acts", ["acts"]), ("sees", [])):
        link = AudienceLink.objects.get(proposal=kpis[2], relation=rel)
        link.delete()
        assert [k for k, ok in checks(map_workshop).items() if not ok] == failing
        AudienceLink.objects.create(
            proposal=kpis[2], audience=audience, relation=rel, created_by=manager
        )
    # Nobody at all: nobody sees it either.
    AudienceLink.objects.filter(proposal=kpis[2]).delete()
    failing = [k for k, ok in checks(map_workshop).items() if not ok]
    assert failing == ["acts", "accountable", "sees"]
    for rel in ("sees", "acts", "accountable"):
        AudienceLink.objects.create(
            proposal=kpis[2], audience=audience, relation=rel, created_by=manager
        )

    # No counter-metric.
    rev = kpis[3].current_revision
    rev.counter_metric_text = ""
    rev.save()
    assert [k for k, ok in checks(map_workshop).items() if not ok] == ["counter"]
    rev.counter_metric_proposal = kpis[0]
    rev.save()
    assert all(checks(map_workshop).values())

    # Control only.
    rev.purposes = ["control"]
    rev.save()
    assert [k for k, ok in checks(map_workshop).items() if not ok] == ["control"]
    rev.purposes = ["control", "support"]
    rev.save()
    assert all(checks(map_workshop).values())


def test_empty_category_and_technical_heavy_scorecard(map_workshop, manager, goal, audience):
    kpis = complete_map(map_workshop, manager, goal, audience)
    rev = kpis[3].current_revision  # the employee one becomes technical
    rev.category = "technical"
    rev.save()
    result = checks(map_workshop)
    assert not result["categories"]
    assert result["balance"]  # 2 of 4 technical: half, not more
    rev = kpis[2].current_revision
    rev.category = "technical"
    rev.save()
    result = checks(map_workshop)
    assert not result["balance"]
    cov = coverage_for_workshop(workshop=map_workshop)
    counts = {c["value"]: c["count"] for c in cov.categories}
    assert counts == {"technical": 3, "economic": 1, "customer": 0, "employee": 0}


def test_overloaded_audience_uses_the_workshop_threshold(map_workshop, manager, goal, audience):
    complete_map(map_workshop, manager, goal, audience)
    assert checks(map_workshop)["overload"]  # 4 acts, default limit 7
    MapSettings.objects.create(workshop=map_workshop, act_on_limit=3)
    cov = coverage_for_workshop(workshop=map_workshop)
    overload = next(c for c in cov.checks if c.key == "overload")
    assert not overload.ok
    assert overload.items[0][0] == "Team leaders: 4 KPIs to act on"
    assert [k for k, ok in checks(map_workshop).items() if not ok] == ["overload"]


def test_breakdown_values_nobody_reports(map_workshop, manager, goal, audience):
    kpis = complete_map(map_workshop, manager, goal, audience)
    ReportingBreakdown.objects.filter(dimension="handler", value="outsourced_agent").delete()
    cov = coverage_for_workshop(workshop=map_workshop)
    handlers = next(c for c in cov.checks if c.key == "handlers")
    assert not handlers.ok
    assert [text for text, _url in handlers.items] == ["Outsourced agent"]
    # A channel a KPI covers but nobody breaks down by.
    rev = kpis[1].current_revision
    rev.channels = ["chat"]
    rev.save()
    assert [k for k, ok in checks(map_workshop).items() if not ok] == ["channels", "handlers"]


def test_empty_workshop_does_not_crash_and_flags_goals(map_workshop, goal):
    cov = coverage_for_workshop(workshop=map_workshop)
    assert cov.kpis == []
    result = {c.key: c.ok for c in cov.checks}
    assert not result["goals"]
    assert result["kpi_goal"] and result["balance"]


def test_flags_link_to_the_place_that_fixes_them(map_workshop, manager, goal):
    kpi = make_kpi(map_workshop, manager)
    cov = coverage_for_workshop(workshop=map_workshop)
    no_goal = next(c for c in cov.checks if c.key == "kpi_goal")
    assert no_goal.items == [
        ("First contact resolution", reverse("mapping:kpi", args=[map_workshop.pk, kpi.pk]))
    ]


def test_only_the_shortlist_is_mapped_when_there_is_one(map_workshop, manager):
    make_kpi(map_workshop, manager, "Open one", state="open")
    assert [p.current_revision.name for p in coverage_for_workshop(workshop=map_workshop).kpis] == [
        "Open one"
    ]
    make_kpi(map_workshop, manager, "Shortlisted one")
    assert [p.current_revision.name for p in coverage_for_workshop(workshop=map_workshop).kpis] == [
        "Shortlisted one"
    ]


# --- query counts ----------------------------------------------------------------------------


def build(workshop, author, n: int):
    org = workshop.organisation
    goals = [BusinessGoalFactory(organisation=org) for _ in range(min(n, 12))]
    audiences = [AudienceFactory(organisation=org) for _ in range(min(n, 10))]
    for i in range(n):
        p = make_kpi(workshop, author, f"KPI {i}", counter_text="x" if i % 2 else "")
        g = GoalLink.objects.create(
            proposal=p, goal=goals[i % len(goals)], strength="primary", created_by=author
        )
        a = AudienceLink.objects.create(
            proposal=p, audience=audiences[i % len(audiences)], relation="acts", created_by=author
        )
        ReportingBreakdown.objects.create(
            proposal=p, dimension="handler", value="chatbot", created_by=author
        )
        LinkComment.objects.create(goal_link=g, author=author, stance="concern", body="hm")
        LinkComment.objects.create(audience_link=a, author=author, stance="question", body="?")
    return audiences[0]


def count(client, url, **kw) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kw)
    assert response.status_code == 200, url
    return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])


#: Queries per page with 1, 10 or 100 KPIs: (shared fragments cached, not cached). A hit is the
#: viewer's standing (session with user, participant) and the map's version stamp.
PINNED_QUERIES = {
    # Session with its user (one statement), the participant with the workshop and its
    # versions (one statement), then the page's own reads.
    "coverage": (2, 10),
    "coverage-fragment": (2, 10),
    "audience": (2, 5),
    "audiences": (5, 5),
    "map": (2, 10),
    "map-more": (2, 7),
    "map-audiences": (2, 5),
    "kpi": (12, 12),
}


@pytest.mark.parametrize("page", list(PINNED_QUERIES))
def test_query_counts_do_not_grow(client, map_workshop, manager, page):
    from django.core.cache import cache

    hits, misses = [], []
    login(client, manager)
    for n in (1, 10, 100):
        # A fresh set each time: delete the previous KPIs' links and KPIs.
        map_workshop.proposals.all().delete()
        audience = build(map_workshop, manager, n + 20 if page == "map-more" else n)
        w = map_workshop.pk
        first = map_workshop.proposals.order_by("id").first()
        htmx = {"HTTP_HX_REQUEST": "true"}
        url, kw = {
            "coverage": (reverse("mapping:coverage", args=[w]), {}),
            "coverage-fragment": (
                reverse("mapping:coverage", args=[w]),
                htmx | {"HTTP_HX_TARGET": "coverage"},
            ),
            "audience": (reverse("mapping:audience", args=[w, audience.pk]), {}),
            "audiences": (reverse("mapping:audiences", args=[w]), {}),
            "map": (reverse("mapping:map", args=[w]), {}),
            "map-more": (
                reverse("mapping:map", args=[w]) + "?page=2",
                htmx | {"HTTP_HX_TARGET": "map-more"},
            ),
            "map-audiences": (
                reverse("mapping:map", args=[w]),
                htmx | {"HTTP_HX_TARGET": "map-audiences"},
            ),
            "kpi": (reverse("mapping:kpi", args=[w, first.pk]), {}),
        }[page]
        # The first visit of the map creates the default goals and audiences.
        client.get(reverse("mapping:map", args=[w]))
        cache.clear()
        misses.append(count(client, url, **kw))
        hits.append(count(client, url, **kw))
    assert misses[0] == misses[1] == misses[2], misses
    assert hits[0] == hits[1] == hits[2], hits
    assert (hits[0], misses[0]) == PINNED_QUERIES[page]


def test_guest_coverage_query_count(client, map_workshop, manager, guest_customer):
    as_guest(client, guest_customer)
    counts = []
    for n in (1, 10):
        map_workshop.proposals.all().delete()
        build(map_workshop, manager, n)
        counts.append(count(client, reverse("mapping:coverage", args=[map_workshop.pk])))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("htmx", [False, True])
def test_coverage_query_count_on_a_cache_miss_does_not_grow(client, map_workshop, manager, htmx):
    from django.core.cache import cache

    login(client, manager)
    kw = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "coverage"} if htmx else {}
    counts = []
    for n in (1, 10, 100):
        map_workshop.proposals.all().delete()
        build(map_workshop, manager, n)
        cache.clear()
        counts.append(count(client, reverse("mapping:coverage", args=[map_workshop.pk]), **kw))
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 14, counts


def test_cached_coverage_follows_every_change(client, map_workshop, manager, goal, audience):
    from kpiworkshop.mapping import services

    kpi = make_kpi(map_workshop, manager)
    login(client, manager)
    url = reverse("mapping:coverage", args=[map_workshop.pk])
    fragment = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "coverage"}

    def failing():
        import re

        body = client.get(url, **fragment).content.decode()
        return set(re.findall(r'data-check="(\w+)" data-ok="0"', body))

    first = failing()
    assert {"kpi_goal", "kpi_primary", "acts", "counter"} <= first
    assert failing() == first  # a hit
    hit = count(client, url, **fragment)
    link = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    assert "kpi_goal" not in failing() and "kpi_primary" in failing()
    services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk, strength="primary")
    assert "kpi_primary" not in failing()
    services.goal_link_remove(actor=manager, link=link)
    assert {"kpi_goal", "kpi_primary"} <= failing()
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="acts"
    )
    assert "acts" not in failing()
    services.counter_metric_set(actor=manager, proposal=kpi, text="Repeat contacts")
    assert "counter" not in failing()
    MapSettings.objects.create(workshop=map_workshop, act_on_limit=1)
    assert "overload" not in failing()
    second = make_kpi(map_workshop, manager, "Second")
    services.audience_link_set(
        actor=manager, proposal=second, audience_id=audience.pk, relation="acts"
    )
    assert "overload" in failing()
    # A hit costs only the stamp: fewer queries than computing.
    from django.core.cache import cache

    cache.clear()
    assert hit < count(client, url, **fragment)


def _check(workshop, key):
    return next(c for c in coverage_for_workshop(workshop=workshop).checks if c.key == key)


@pytest.mark.parametrize("relation", ["acts", "accountable"])
def test_acting_on_or_accountable_for_a_kpi_means_seeing_it(
    map_workshop, manager, audience, relation
):
    """Coverage said "1 KPI is seen by nobody" while an audience acted on it."""
    kpi = make_kpi(map_workshop, manager)
    sees = _check(map_workshop, "sees")
    assert not sees.ok and sees.detail == "1 KPI is seen by nobody."
    assert [text for text, _url in sees.items] == ["First contact resolution"]
    AudienceLink.objects.create(
        proposal=kpi, audience=audience, relation=relation, created_by=manager
    )
    assert _check(map_workshop, "sees").ok


def test_audience_summaries_count_accountable_and_every_kpi_seen(
    map_workshop, manager, audience, audience2
):
    from kpiworkshop.mapping.selectors import audience_summaries

    kpis = [make_kpi(map_workshop, manager, f"KPI {i}") for i in range(3)]
    for kpi, relations in zip(kpis, (("sees", "acts"), ("accountable",), ("acts",)), strict=True):
        for relation in relations:
            AudienceLink.objects.create(
                proposal=kpi, audience=audience, relation=relation, created_by=manager
            )
    AudienceLink.objects.create(
        proposal=kpis[0], audience=audience2, relation="sees", created_by=manager
    )
    counts = {
        s["audience"].pk: (s["sees"], s["acts"], s["accountable"])
        for s in audience_summaries(workshop=map_workshop)
    }
    # Team leaders see all three (acting on or being accountable for one is seeing it).
    assert counts[audience.pk] == (3, 2, 1)
    assert counts[audience2.pk] == (1, 0, 0)


def test_overload_and_breakdown_flags_read_as_sentences(map_workshop, manager, goal, audience):
    from django.utils import translation

    complete_map(map_workshop, manager, goal, audience)
    MapSettings.objects.create(workshop=map_workshop, act_on_limit=3)
    ReportingBreakdown.objects.filter(dimension="handler").exclude(value="chatbot").delete()
    ReportingBreakdown.objects.filter(dimension="identity", value="registered").delete()
    overload = _check(map_workshop, "overload")
    assert [text for text, _url in overload.items] == ["Team leaders: 4 KPIs to act on"]
    handlers = _check(map_workshop, "handlers")
    assert handlers.detail == "4 kinds of handler are not reported separately by any KPI."
    identity = _check(map_workshop, "identity")
    assert identity.detail == "1 kind of customer identity is not reported separately by any KPI."
    rev = ReportingBreakdown.objects.filter(dimension="channel").first().proposal.current_revision
    rev.channels = ["voice", "chat"]
    rev.save()
    channels = _check(map_workshop, "channels")
    assert channels.detail == "1 channel in use is not reported separately by any KPI."
    with translation.override("it"):
        overload = _check(map_workshop, "overload")
        handlers = _check(map_workshop, "handlers")
    assert [text for text, _url in overload.items] == ["Team leaders: 4 KPI su cui agire"]
    assert handlers.detail == "4 tipi di gestore non sono riportati a parte da nessun KPI."
