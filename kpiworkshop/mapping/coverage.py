"""The coverage checks, declared one by one.

``selectors.coverage_for_workshop`` loads the map once (seven queries) into ``Facts``; each
``CheckSpec`` in ``CHECKS`` then says, from those facts alone:

- ``key`` and ``title``: what it checks;
- ``failing``: the things that fail it (goals, KPIs, categories, audiences, values), computed
  without a query;
- ``message``: the sentence under the title, given the failing things;
- ``link``: where each failing thing is fixed, as (text, url).

``present`` is the one place that turns a declaration into the ``Check`` a page shows: it calls
the titles and messages (translated in the active language) and the links (``Links`` reverses
each URL once per page). Adding a check is adding one ``CheckSpec``.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpiworkshop.kpis.models import Category, Channel, Proposal, Purpose
from kpiworkshop.kpis.permissions import fields_hidden
from kpiworkshop.workshops.models import Workshop

from . import tree
from .models import Audience, BusinessGoal, Dimension, Handler, Identity, Relation, Strength

#: above this share of technical/operational KPIs the scorecard is productivity-only
TECHNICAL_SHARE_LIMIT = 0.5


@dataclass
class Check:
    key: str
    label: str
    ok: bool
    detail: str = ""
    #: (text, url) pairs: each flag is a link to the place that fixes it.
    items: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Facts:
    """Everything the checks read, loaded once and derived once."""

    workshop: Workshop
    kpis: list[Proposal]
    goals: list[BusinessGoal]
    audiences: list[Audience]
    act_on_limit: int
    see_internal: bool
    #: goal id -> proposal id -> "primary" | "secondary"
    matrix: dict[int, dict[int, str]]
    #: ids of the goals measured by a KPI (a sub-goal's KPI counts for its parent too)
    measured: set[int]
    #: ids of the KPIs linked to a goal; of those with a primary goal
    linked: set[int]
    primary: set[int]
    #: relation -> ids of the KPIs an audience has that relation to
    relations: dict[str, set[int]]
    #: audience id -> how many KPIs it acts on
    acts: Counter
    #: category value -> how many KPIs
    by_category: Counter
    #: dimension -> the values some KPI is reported by
    reported: dict[str, set[str]]
    #: the channels the KPIs cover (all of them when none says)
    channel_values: list
    #: the KPI tree's accepted links: (from id, to id, kind)
    tree_edges: list = field(default_factory=list)
    driver_limit: int = 5


def facts_from(
    *,
    workshop: Workshop,
    kpis: list[Proposal],
    goals: list[BusinessGoal],
    audiences: list[Audience],
    act_on_limit: int,
    see_internal: bool,
    goal_links: Sequence[tuple[int, int, str]],
    audience_links: Sequence[tuple[int, int, str]],
    breakdowns: Sequence[tuple[int, str, str]],
    tree_edges: Sequence[tuple[int, int, str]] = (),
    driver_limit: int = 5,
) -> Facts:
    """Derive the facts from the loaded rows: (proposal, goal, strength), (proposal, audience,
    relation) and (proposal, dimension, value) tuples."""
    goal_ids = {g.pk for g in goals}
    matrix: dict[int, dict[int, str]] = defaultdict(dict)
    for pid, gid, strength in goal_links:
        matrix[gid][pid] = strength
    measured = {gid for gid in matrix if matrix[gid]}
    for g in goals:
        if g.pk in measured and g.parent_id in goal_ids:
            measured.add(g.parent_id)
    relations: dict[str, set[int]] = defaultdict(set)
    for pid, _a, rel in audience_links:
        relations[rel].add(pid)
    reported: dict[str, set[str]] = defaultdict(set)
    for _p, dim, value in breakdowns:
        reported[dim].add(value)
    used_channels = {c for p in kpis if p.current_revision for c in p.current_revision.channels}
    return Facts(
        workshop=workshop,
        kpis=kpis,
        goals=goals,
        audiences=audiences,
        act_on_limit=act_on_limit,
        see_internal=see_internal,
        matrix=matrix,
        measured=measured,
        linked={pid for pid, gid, _s in goal_links if gid in goal_ids},
        primary={pid for pid, gid, s in goal_links if s == Strength.PRIMARY and gid in goal_ids},
        relations=relations,
        acts=Counter(aid for _p, aid, rel in audience_links if rel == Relation.ACTS),
        by_category=Counter(p.current_revision.category for p in kpis if p.current_revision),
        reported=reported,
        channel_values=[c for c in Channel if c.value in used_channels] or list(Channel),
        tree_edges=list(tree_edges),
        driver_limit=driver_limit,
    )


# --- What each check computes ------------------------------------------------------------------


def _kpis_without(facts: Facts, ids: set[int]) -> list[Proposal]:
    return [p for p in facts.kpis if p.pk not in ids]


def _unmeasured_goals(facts: Facts) -> list[BusinessGoal]:
    return [g for g in facts.goals if g.pk not in facts.measured]


def _empty_categories(facts: Facts) -> list:
    return [c for c in Category if not facts.by_category.get(c.value, 0)]


def _technical_heavy(facts: Facts) -> list:
    technical = facts.by_category.get(Category.TECHNICAL, 0)
    heavy = bool(facts.kpis) and technical / len(facts.kpis) > TECHNICAL_SHARE_LIMIT
    return [Category.TECHNICAL] if heavy else []


def _overloaded(facts: Facts) -> list[Audience]:
    return [a for a in facts.audiences if facts.acts.get(a.pk, 0) > facts.act_on_limit]


def _unseen(facts: Facts) -> list[Proposal]:
    # Acting on a KPI or being accountable for it means seeing it: a KPI is seen by nobody
    # only when no audience is linked to it at all.
    r = facts.relations
    return _kpis_without(facts, r[Relation.SEES] | r[Relation.ACTS] | r[Relation.ACCOUNTABLE])


def _without_counter(facts: Facts) -> list[Proposal]:
    # Without ``see_internal`` (customers) a KPI whose counter-metric is internal-only is left
    # out: whether it has one is part of what is hidden.
    return [
        p
        for p in facts.kpis
        if p.current_revision
        and "counter_metric_text"
        not in fields_hidden(p.internal_fields, see_internal=facts.see_internal)
        and not (
            p.current_revision.counter_metric_proposal_id or p.current_revision.counter_metric_text
        )
    ]


def _control_only(facts: Facts) -> list[Proposal]:
    return [
        p
        for p in facts.kpis
        if p.current_revision and set(p.current_revision.purposes or []) == {Purpose.CONTROL}
    ]


def _outside_tree(facts: Facts) -> list[Proposal]:
    reached = tree.reaching_goal(facts.linked, facts.tree_edges, (p.pk for p in facts.kpis))
    return _kpis_without(facts, reached)


def _in_cycles(facts: Facts) -> list[Proposal]:
    looped = tree.in_cycles(facts.tree_edges)
    return [p for p in facts.kpis if p.pk in looped]


def _too_many_drivers(facts: Facts) -> list[Proposal]:
    counts = tree.driver_counts(facts.tree_edges)
    return [p for p in facts.kpis if counts.get(p.pk, 0) > facts.driver_limit]


def breakdown_values(facts: Facts, dimension: str) -> list:
    """The values of a dimension each of which some KPI should be reported by."""
    if dimension == Dimension.CHANNEL:
        return facts.channel_values
    return list(Handler if dimension == Dimension.HANDLER else Identity)


def _unreported(dimension: str) -> Callable[[Facts], list]:
    def failing(facts: Facts) -> list:
        reported = facts.reported[dimension]
        return [v for v in breakdown_values(facts, dimension) if v.value not in reported]

    return failing


# --- Where a flag is fixed -----------------------------------------------------------------------


class Links:
    """The URLs the flags point to, each reversed once per page."""

    def __init__(self, workshop: Workshop) -> None:
        self.map = reverse("mapping:map", args=[workshop.pk])
        self.board = reverse("kpis:board", args=[workshop.pk])
        self._kpi = reverse("mapping:kpi", args=[workshop.pk, 1])[: -len("1/")]
        self._audience = reverse("mapping:audience", args=[workshop.pk, 1])[: -len("1/")]

        self.tree = reverse("mapping:tree", args=[workshop.pk])

    def kpi(self, proposal_id: int) -> str:
        return f"{self._kpi}{proposal_id}/"

    def audience(self, audience_id: int) -> str:
        return f"{self._audience}{audience_id}/"


def _kpi_name(p: Proposal) -> str:
    return p.current_revision.name if p.current_revision else f"#{p.pk}"


def _to_kpi(p: Proposal, facts: Facts, links: Links) -> tuple[str, str]:
    return _kpi_name(p), links.kpi(p.pk)


def _to_tree(p: Proposal, facts: Facts, links: Links) -> tuple[str, str]:
    return _kpi_name(p), f"{links.tree}#node-k{p.pk}"


def _to_category(c, facts: Facts, links: Links) -> tuple[str, str]:
    return str(c.label), f"{links.board}?category={c.value}"


def _to_breakdowns(v, facts: Facts, links: Links) -> tuple[str, str]:
    return str(v.label), f"{links.map}#breakdowns"


def _to_audience(a: Audience, facts: Facts, links: Links) -> tuple[str, str]:
    n = facts.acts.get(a.pk, 0)
    # Not "<audience> acts on 9": an audience's name may be singular or plural ("CX
    # leadership", "Team leaders"), so the count carries the sentence.
    text = ngettext(
        "%(audience)s: %(n)d KPI to act on", "%(audience)s: %(n)d KPIs to act on", n
    ) % {"audience": a.label, "n": n}
    return text, links.audience(a.pk)


# --- The declarations --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckSpec:
    key: str
    #: the check's title, in the active language
    title: Callable[[Facts], str]
    #: the things that fail it (empty: it passes)
    failing: Callable[[Facts], list]
    #: the sentence under the title, given the failing things
    message: Callable[[Facts, list], str]
    #: (text, url) of one failing thing
    link: Callable[[Any, Facts, Links], tuple[str, str]]


def _count(singular: str, plural: str) -> Callable[[Facts, list], str]:
    """A message that counts the failing things, shown even when there are none."""
    return lambda facts, failing: ngettext(singular, plural, len(failing)) % {"n": len(failing)}


def _balance_message(facts: Facts, failing: list) -> str:
    if not failing:
        return ""
    return _(
        "%(n)d of %(total)d KPIs are technical/operational: balance them with "
        "customer, employee and economic ones."
    ) % {"n": facts.by_category.get(Category.TECHNICAL, 0), "total": len(facts.kpis)}


def _overload_message(facts: Facts, failing: list) -> str:
    if not failing:
        return ""
    return _(
        "Nobody can act on more than %(n)d KPIs at once: the rest are not steered, "
        "they are watched."
    ) % {"n": facts.act_on_limit}


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "goals",
        lambda f: _("Every goal is measured by at least one KPI"),
        _unmeasured_goals,
        _count("%(n)d goal has no KPI.", "%(n)d goals have no KPI."),
        lambda g, f, links: (g.label, f"{links.map}#goals"),
    ),
    CheckSpec(
        "kpi_goal",
        lambda f: _("Every KPI serves a goal"),
        lambda f: _kpis_without(f, f.linked),
        _count("%(n)d KPI serves no goal.", "%(n)d KPIs serve no goal."),
        _to_kpi,
    ),
    CheckSpec(
        "kpi_primary",
        lambda f: _("Every KPI has a primary goal"),
        lambda f: _kpis_without(f, f.primary),
        _count("%(n)d KPI has no primary goal.", "%(n)d KPIs have no primary goal."),
        _to_kpi,
    ),
    CheckSpec(
        "categories",
        lambda f: _("Every macro-category has a KPI"),
        _empty_categories,
        _count("%(n)d macro-category is empty.", "%(n)d macro-categories are empty."),
        _to_category,
    ),
    CheckSpec(
        "balance",
        lambda f: _("Not a productivity-only scorecard"),
        _technical_heavy,
        _balance_message,
        _to_category,
    ),
    CheckSpec(
        "overload",
        lambda f: _("No audience acts on more than %(n)d KPIs") % {"n": f.act_on_limit},
        _overloaded,
        _overload_message,
        _to_audience,
    ),
    CheckSpec(
        "acts",
        lambda f: _("Every KPI has someone who acts on it"),
        lambda f: _kpis_without(f, f.relations[Relation.ACTS]),
        _count("%(n)d KPI nobody acts on.", "%(n)d KPIs nobody acts on."),
        _to_kpi,
    ),
    CheckSpec(
        "accountable",
        lambda f: _("Every KPI has an accountable audience"),
        lambda f: _kpis_without(f, f.relations[Relation.ACCOUNTABLE]),
        _count("%(n)d KPI has nobody accountable.", "%(n)d KPIs have nobody accountable."),
        _to_kpi,
    ),
    CheckSpec(
        "sees",
        lambda f: _("Every KPI is seen by someone"),
        _unseen,
        _count("%(n)d KPI is seen by nobody.", "%(n)d KPIs are seen by nobody."),
        _to_kpi,
    ),
    CheckSpec(
        "counter",
        lambda f: _("Every KPI has a balancing counter-metric"),
        _without_counter,
        _count("%(n)d KPI has no counter-metric.", "%(n)d KPIs have no counter-metric."),
        _to_kpi,
    ),
    CheckSpec(
        "control",
        lambda f: _("No KPI serves control only"),
        _control_only,
        _count(
            "%(n)d KPI only controls: say how it steers work or supports people.",
            "%(n)d KPIs only control: say how they steer work or support people.",
        ),
        _to_kpi,
    ),
    # The KPI tree: only accepted links count (proposed ones are still an argument).
    CheckSpec(
        "tree_reach",
        lambda f: _("Every KPI reaches a goal through the tree"),
        _outside_tree,
        _count(
            "%(n)d KPI reaches no goal, directly or through the KPIs it drives.",
            "%(n)d KPIs reach no goal, directly or through the KPIs they drive.",
        ),
        _to_tree,
    ),
    CheckSpec(
        "tree_cycle",
        lambda f: _("No circle in the tree"),
        _in_cycles,
        _count(
            "%(n)d KPI drives itself through a circle of links.",
            "%(n)d KPIs drive themselves through a circle of links.",
        ),
        _to_tree,
    ),
    CheckSpec(
        "tree_drivers",
        lambda f: _("No KPI has more than %(n)d drivers") % {"n": f.driver_limit},
        _too_many_drivers,
        _count(
            "%(n)d KPI has too many drivers to steer by.",
            "%(n)d KPIs have too many drivers to steer by.",
        ),
        _to_tree,
    ),
    # Each value (a channel the KPIs cover, a kind of handler, a kind of customer identity)
    # should be a breakdown of at least one KPI, i.e. reported separately somewhere.
    CheckSpec(
        "channels",
        lambda f: _("Every channel in use is reported"),
        _unreported(Dimension.CHANNEL),
        _count(
            "%(n)d channel in use is not reported separately by any KPI.",
            "%(n)d channels in use are not reported separately by any KPI.",
        ),
        _to_breakdowns,
    ),
    CheckSpec(
        "handlers",
        lambda f: _("Every kind of handler is reported"),
        _unreported(Dimension.HANDLER),
        _count(
            "%(n)d kind of handler is not reported separately by any KPI.",
            "%(n)d kinds of handler are not reported separately by any KPI.",
        ),
        _to_breakdowns,
    ),
    CheckSpec(
        "identity",
        lambda f: _("Every kind of customer identity is reported"),
        _unreported(Dimension.IDENTITY),
        _count(
            "%(n)d kind of customer identity is not reported separately by any KPI.",
            "%(n)d kinds of customer identity are not reported separately by any KPI.",
        ),
        _to_breakdowns,
    ),
)


def present(facts: Facts, specs: Sequence[CheckSpec] = CHECKS) -> list[Check]:
    """Run each declared check on the facts and word it: the one place titles, messages and
    links are made."""
    links = Links(facts.workshop)
    checks = []
    for spec in specs:
        failing = spec.failing(facts)
        checks.append(
            Check(
                spec.key,
                spec.title(facts),
                not failing,
                spec.message(facts, failing),
                [spec.link(thing, facts, links) for thing in failing],
            )
        )
    return checks
