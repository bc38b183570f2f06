"""Reads of the Map stage: the map itself, the coverage checks, an audience's preview.

Each function loads what its page shows in a fixed number of queries (one per kind of row:
KPIs, goals, audiences, goal links, audience links, breakdowns, comments), then assembles in
Python, so the count never grows with the number of KPIs, goals, audiences or links.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kpiworkshop.core import versions
from kpiworkshop.kpis.models import Category, LibraryKPI, Proposal
from kpiworkshop.kpis.permissions import fields_hidden
from kpiworkshop.workshops.models import Workshop
from kpiworkshop.workshops.moderation import ModeratedKind, Moderation

from . import coverage, rawsql
from . import tree as tree_mod
from .coverage import Check
from .models import (
    DEFAULT_ACT_ON_LIMIT,
    DEFAULT_AUDIENCES,
    DEFAULT_DRIVER_LIMIT,
    DEFAULT_GOALS,
    Audience,
    AudienceLink,
    BusinessGoal,
    Cadence,
    Dimension,
    GoalLink,
    LinkComment,
    LinkKind,
    LinkStanceKind,
    LinkState,
    MapSettings,
    Relation,
    ReportingBreakdown,
    Strength,
    TreeLink,
    TreeLinkStance,
)
from .permissions import FALLBACK_STATES, MAPPED_STATES

#: An audience's relations to a KPI from weakest to strongest: acting on it or being accountable
#: for it includes seeing it.
RELATION_STRENGTH = {Relation.SEES: 0, Relation.ACTS: 1, Relation.ACCOUNTABLE: 2}


def mapped_proposals(*, workshop: Workshop) -> QuerySet:
    """The KPIs on a workshop's map: the shortlist (and what came of it); when nothing was
    shortlisted, every open proposal. One query."""
    shortlist = Proposal.objects.filter(workshop=workshop, state__in=MAPPED_STATES)
    return Proposal.objects.filter(workshop=workshop).filter(
        Q(state__in=MAPPED_STATES) | (Q(state__in=FALLBACK_STATES) & ~Exists(shortlist))
    )


#: What the map and the coverage read of a KPI (not its long texts).
KPI_FIELDS = [
    "id",
    "workshop_id",
    "state",
    "internal_fields",
    "current_revision__id",
    "current_revision__number",
    "current_revision__name",
    "current_revision__category",
    "current_revision__channels",
    "current_revision__purposes",
    "current_revision__counter_metric_text",
    "current_revision__counter_metric_proposal_id",
]


def _kpis(workshop: Workshop, ids: list[int] | None = None) -> list[Proposal]:
    qs = mapped_proposals(workshop=workshop)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.select_related("current_revision").only(*KPI_FIELDS).order_by("id"))


def goals_for(*, organisation_id: int, active_only: bool = True) -> list[BusinessGoal]:
    """The organisation's goals in tree order: each top-level goal, then its sub-goals."""
    qs = BusinessGoal.objects.filter(organisation_id=organisation_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return _goal_tree(list(qs.order_by("order", "id")))


def _goal_tree(goals: list[BusinessGoal]) -> list[BusinessGoal]:
    ids = {x.pk for x in goals}
    top = [g for g in goals if g.parent_id is None or g.parent_id not in ids]
    top_ids = {g.pk for g in top}
    children = defaultdict(list)
    for g in goals:
        if g.pk not in top_ids:
            children[g.parent_id].append(g)
    ordered = []
    for g in top:
        g.depth = 0
        ordered.append(g)
        for c in children.get(g.pk, []):
            c.depth = 1
            ordered.append(c)
    return ordered


def audiences_for(*, organisation_id: int, active_only: bool = True) -> list[Audience]:
    qs = Audience.objects.filter(organisation_id=organisation_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("order", "id"))


def act_on_limit(*, workshop: Workshop) -> int:
    row = MapSettings.objects.filter(workshop=workshop).values_list("act_on_limit", flat=True)
    return next(iter(row), DEFAULT_ACT_ON_LIMIT)


def map_limits(*, workshop: Workshop) -> tuple[int, int]:
    """(most KPIs one audience acts on, most drivers one KPI has): the workshop's or the
    defaults. One query."""
    row = MapSettings.objects.filter(workshop=workshop).values_list("act_on_limit", "driver_limit")
    return next(iter(row), (DEFAULT_ACT_ON_LIMIT, DEFAULT_DRIVER_LIMIT))


# --- The map ---------------------------------------------------------------------------------


@dataclass
class KpiRow:
    proposal: Proposal
    goal_links: list[GoalLink] = field(default_factory=list)
    audience_links: list[AudienceLink] = field(default_factory=list)
    breakdowns: dict[str, list[ReportingBreakdown]] = field(default_factory=dict)
    #: Definition fields this viewer may not see (internal-only ones, for customers).
    hidden: frozenset = frozenset()

    @property
    def show_counter_metric(self) -> bool:
        return "counter_metric_text" not in self.hidden

    @property
    def revision(self):
        return self.proposal.current_revision

    @property
    def pk(self) -> int:
        return self.proposal.pk

    @property
    def has_counter_metric(self) -> bool:
        rev = self.revision
        return bool(rev.counter_metric_proposal_id or rev.counter_metric_text)

    @property
    def counter_metric_shown(self) -> str:
        rev = self.revision
        if rev.counter_metric_proposal_id:
            return getattr(rev, "counter_name", None) or f"#{rev.counter_metric_proposal_id}"
        return rev.counter_metric_text

    @property
    def primary_goal(self) -> GoalLink | None:
        return next((g for g in self.goal_links if g.strength == Strength.PRIMARY), None)

    @property
    def breakdown_list(self) -> list[tuple[str, list[ReportingBreakdown]]]:
        return [
            (Dimension(d).label, self.breakdowns[d])
            for d in Dimension.values
            if d in self.breakdowns
        ]

    def relation(self, relation: str) -> list[AudienceLink]:
        return [a for a in self.audience_links if a.relation == relation]

    @property
    def audiences_shown(self) -> list[AudienceLink]:
        """One link per audience, in the audiences' order: its strongest relation (accountable,
        then acts on, then sees). The map's card names each audience once: acting on a KPI or
        being accountable for it includes seeing it. The editor lists every link (each has its
        own cadence, comments and Remove button). Each link shown carries ``card_comments``: the
        comments on all of its audience's links to this KPI."""
        best: dict[int, AudienceLink] = {}
        comments: Counter = Counter()
        for link in self.audience_links:
            comments[link.audience_id] += getattr(link, "n_comments", 0)
            kept = best.get(link.audience_id)
            if kept is None or RELATION_STRENGTH[link.relation] > RELATION_STRENGTH[kept.relation]:
                best[link.audience_id] = link
        for audience_id, link in best.items():
            link.card_comments = comments[audience_id]
        return list(best.values())


def _comments_prefetch() -> Prefetch:
    return Prefetch(
        "comments",
        queryset=LinkComment.objects.select_related("author").order_by("created_at", "id"),
        to_attr="comment_list",
    )


def map_rows(
    *,
    workshop: Workshop,
    proposal_ids: list[int] | None = None,
    see_internal: bool = True,
    detail: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[KpiRow]:
    """Every KPI on the map with its goal links, audience links and breakdowns; each link
    carries ``n_comments``, and with ``detail`` its comments and who made it. Four to seven
    queries whatever the size; ``proposal_ids`` narrows to some KPIs, ``offset``/``limit`` to
    a page of them (in the map's order)."""
    if limit is not None:
        # The page's ids first (one narrow query), then only their rows.
        page = list(
            mapped_proposals(workshop=workshop)
            .order_by("id")
            .values_list("pk", flat=True)[offset : offset + limit]
        )
        proposal_ids = page if proposal_ids is None else [i for i in page if i in proposal_ids]
    kpis = _kpis(workshop, proposal_ids)
    ids = [p.pk for p in kpis]
    rows = {
        p.pk: KpiRow(p, hidden=fields_hidden(p.internal_fields, see_internal=see_internal))
        for p in kpis
    }
    if not ids:
        return []
    # The counter-metric proposal's name is its current revision's: one join deeper.
    counters = {
        p.current_revision.counter_metric_proposal_id
        for p in kpis
        if p.current_revision and p.current_revision.counter_metric_proposal_id
    }
    if counters:
        names = dict(
            Proposal.objects.filter(pk__in=counters).values_list("pk", "current_revision__name")
        )
        for p in kpis:
            rev = p.current_revision
            if rev and rev.counter_metric_proposal_id:
                rev.counter_name = names.get(rev.counter_metric_proposal_id)
    goal_links = (
        GoalLink.objects.filter(proposal_id__in=ids)
        .select_related("goal")
        .annotate(n_comments=Count("comments", filter=Q(comments__hidden_at__isnull=True)))
    )
    audience_links = (
        AudienceLink.objects.filter(proposal_id__in=ids)
        .select_related("audience")
        .annotate(n_comments=Count("comments", filter=Q(comments__hidden_at__isnull=True)))
        .order_by("audience__order", "relation", "id")
    )
    if detail:
        goal_links = goal_links.select_related("created_by").prefetch_related(_comments_prefetch())
        audience_links = audience_links.select_related("created_by").prefetch_related(
            _comments_prefetch()
        )
    for link in goal_links:
        rows[link.proposal_id].goal_links.append(link)
    for row in rows.values():
        row.goal_links.sort(key=lambda g: (g.strength != Strength.PRIMARY, g.goal.order, g.pk))
    for link in audience_links:
        rows[link.proposal_id].audience_links.append(link)
    for b in ReportingBreakdown.objects.filter(proposal_id__in=ids).order_by("dimension", "value"):
        rows[b.proposal_id].breakdowns.setdefault(b.dimension, []).append(b)
    return list(rows.values())


# --- Coverage ----------------------------------------------------------------------------------


@dataclass
class Coverage:
    workshop: Workshop
    kpis: list[Proposal]
    goals: list[BusinessGoal]
    audiences: list[Audience]
    #: goal id -> proposal id -> "primary" | "secondary"
    matrix: dict[int, dict[int, str]]
    #: [(goal, [mark per KPI in ``kpis`` order])]
    matrix_rows: list[tuple[BusinessGoal, list[str]]]
    #: [(goal, [(proposal, mark)])]: the phone's list instead of the matrix
    goal_lists: list
    categories: list[dict]
    checks: list[Check]
    act_on_limit: int
    act_counts: list[dict]
    breakdown_coverage: list[dict]
    driver_limit: int = DEFAULT_DRIVER_LIMIT

    @property
    def passed(self) -> int:
        return sum(1 for c in self.checks if c.ok)

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def complete(self) -> bool:
        return self.passed == self.total


def coverage_for_workshop(*, workshop: Workshop, see_internal: bool = True) -> Coverage:
    """The coverage view: the goal × KPI matrix and every check, in eight queries whatever the
    number of KPIs, goals, audiences or links. Loads the map once into ``coverage.Facts`` and
    runs the checks declared in ``coverage.CHECKS`` on it. Without ``see_internal``
    (customers) a KPI whose counter-metric is internal-only is left out of the counter-metric
    check: whether it has one is part of what is hidden."""
    kpis = _kpis(workshop)  # 1
    ids = [p.pk for p in kpis]
    limit, driver_limit = map_limits(workshop=workshop)  # 4
    facts = coverage.facts_from(
        workshop=workshop,
        kpis=kpis,
        goals=goals_for(organisation_id=workshop.organisation_id),  # 2
        audiences=audiences_for(organisation_id=workshop.organisation_id),  # 3
        act_on_limit=limit,
        driver_limit=driver_limit,
        see_internal=see_internal,
        goal_links=list(
            GoalLink.objects.filter(proposal_id__in=ids).values_list(
                "proposal_id", "goal_id", "strength"
            )
        ),  # 5
        audience_links=list(
            AudienceLink.objects.filter(proposal_id__in=ids).values_list(
                "proposal_id", "audience_id", "relation"
            )
        ),  # 6
        breakdowns=list(
            ReportingBreakdown.objects.filter(proposal_id__in=ids).values_list(
                "proposal_id", "dimension", "value"
            )
        ),  # 7
        tree_edges=list(
            TreeLink.objects.filter(
                workshop=workshop, state=LinkState.ACCEPTED, moderation=Moderation.SHOWN
            ).values_list("from_proposal_id", "to_proposal_id", "kind")
        ),  # 8
    )
    goals, matrix = facts.goals, facts.matrix
    for g in goals:
        g.measured = g.pk in facts.measured
    for p in kpis:
        p.has_goal = p.pk in facts.linked
    n = len(kpis)
    return Coverage(
        workshop=workshop,
        kpis=kpis,
        goals=goals,
        audiences=facts.audiences,
        matrix=matrix,
        matrix_rows=[(g, [matrix[g.pk].get(p.pk, "") for p in kpis]) for g in goals],
        goal_lists=[
            (g, [(p, matrix[g.pk][p.pk]) for p in kpis if p.pk in matrix[g.pk]]) for g in goals
        ],
        categories=[
            {
                "value": c.value,
                "label": c.label,
                "count": facts.by_category.get(c.value, 0),
                "share": round(100 * facts.by_category.get(c.value, 0) / n) if n else 0,
            }
            for c in Category
        ],
        checks=coverage.present(facts),
        act_on_limit=facts.act_on_limit,
        driver_limit=facts.driver_limit,
        act_counts=[
            {
                "audience": a,
                "count": facts.acts.get(a.pk, 0),
                "over": facts.acts.get(a.pk, 0) > facts.act_on_limit,
            }
            for a in facts.audiences
        ],
        breakdown_coverage=[
            {
                "dimension": Dimension(dim).label,
                "values": [
                    (v.label, v.value in facts.reported[dim])
                    for v in coverage.breakdown_values(facts, dim)
                ],
            }
            for dim in (Dimension.CHANNEL, Dimension.HANDLER, Dimension.IDENTITY)
        ],
    )


# --- One audience ------------------------------------------------------------------------------


@dataclass
class AudienceView:
    audience: Audience
    #: [(cadence label, [link, …])] for "sees" (only: not also acting or accountable), "acts on"
    sees: list[tuple[str, list[AudienceLink]]]
    acts: list[tuple[str, list[AudienceLink]]]
    accountable: list[AudienceLink]
    act_on_limit: int

    @property
    def act_count(self) -> int:
        return sum(len(links) for _c, links in self.acts)


def audience_get(*, workshop: Workshop, audience_id: int) -> Audience | None:
    return Audience.objects.filter(pk=audience_id, organisation_id=workshop.organisation_id).first()


def audience_view(*, workshop: Workshop, audience: Audience) -> AudienceView:
    """What an audience will see and must act on in this workshop's map, grouped by cadence.
    Two queries whatever the size."""
    ids = mapped_proposals(workshop=workshop).values("pk")
    links = list(
        AudienceLink.objects.filter(audience=audience, proposal_id__in=ids)
        .select_related("proposal__current_revision")
        .order_by("proposal__current_revision__name", "id")
    )
    limit = act_on_limit(workshop=workshop)
    # Acting on a KPI or being accountable for it includes seeing it: "sees" lists only what
    # the audience sees without either, so no KPI is listed twice.
    stronger = {link.proposal_id for link in links if link.relation != Relation.SEES}

    def grouped(relation: str) -> list[tuple[str, list[AudienceLink]]]:
        by_cadence: dict[str, list[AudienceLink]] = defaultdict(list)
        for link in links:
            if link.relation == relation and not (
                relation == Relation.SEES and link.proposal_id in stronger
            ):
                by_cadence[link.cadence].append(link)
        return [(c.label, by_cadence[c.value]) for c in Cadence if by_cadence.get(c.value)]

    return AudienceView(
        audience=audience,
        sees=grouped(Relation.SEES),
        acts=grouped(Relation.ACTS),
        accountable=[link for link in links if link.relation == Relation.ACCOUNTABLE],
        act_on_limit=limit,
    )


def audience_summaries(
    *, workshop: Workshop, audiences: list[Audience] | None = None
) -> list[dict]:
    """Each audience with how many KPIs it sees, acts on, is accountable for. Acting on or
    being accountable for a KPI means seeing it: ``sees`` counts every KPI the audience is
    linked to, once. Two queries (one with ``audiences`` given)."""
    if audiences is None:
        audiences = audiences_for(organisation_id=workshop.organisation_id)
    ids = mapped_proposals(workshop=workshop).values("pk")
    counts: Counter = Counter()
    seen: dict[int, set[int]] = defaultdict(set)
    for audience_id, proposal_id, relation in AudienceLink.objects.filter(
        proposal_id__in=ids
    ).values_list("audience_id", "proposal_id", "relation"):
        counts[audience_id, relation] += 1
        seen[audience_id].add(proposal_id)
    return [
        {
            "audience": a,
            "sees": len(seen.get(a.pk, ())),
            "acts": counts.get((a.pk, Relation.ACTS), 0),
            "accountable": counts.get((a.pk, Relation.ACCOUNTABLE), 0),
        }
        for a in audiences
    ]


def defaults_missing(*, goals, audiences) -> bool:
    """Whether a default goal or audience is missing among an organisation's ``goals`` and
    ``audiences`` (retired ones included): the keepers are offered to add them."""
    return not set(DEFAULT_GOALS) <= {g.key for g in goals} or not set(DEFAULT_AUDIENCES) <= {
        a.key for a in audiences
    }


def map_side_lists(*, workshop: Workshop) -> dict:
    """The map page's side lists: the active goals in tree order and each active audience with
    its counts. Three queries. The lists show what exists: the defaults are created by
    writes (the data migration, the demo, the keepers' "add the defaults"), never by a page."""
    org_id = workshop.organisation_id
    goals = list(
        BusinessGoal.objects.filter(organisation_id=org_id, is_active=True).order_by("order", "id")
    )
    audiences = list(
        Audience.objects.filter(organisation_id=org_id, is_active=True).order_by("order", "id")
    )
    return {
        "goals": _goal_tree(goals),
        "audiences": audience_summaries(workshop=workshop, audiences=audiences),
    }


def proposal_for_map(*, workshop: Workshop, proposal_id: int) -> Proposal | None:
    return (
        mapped_proposals(workshop=workshop)
        .filter(pk=proposal_id)
        .select_related("current_revision", "workshop")
        .first()
    )


def link_get(*, workshop: Workshop, kind: str, link_id: int):
    """A goal or audience link of a KPI of this workshop, or None."""
    model = GoalLink if kind == "goal" else AudienceLink
    return (
        model.objects.filter(pk=link_id, proposal__workshop=workshop)
        .select_related("proposal__workshop", "proposal__current_revision")
        .first()
    )


def link_comment_get(*, workshop: Workshop, proposal_id: int, comment_id: int):
    """A comment on a link of this workshop's KPI ``proposal_id``, or None."""
    return (
        LinkComment.objects.filter(pk=comment_id)
        .filter(
            Q(goal_link__proposal_id=proposal_id, goal_link__proposal__workshop=workshop)
            | Q(audience_link__proposal_id=proposal_id, audience_link__proposal__workshop=workshop)
        )
        .select_related("goal_link__proposal__workshop", "audience_link__proposal__workshop")
        .first()
    )


def counter_metric_choices(*, workshop: Workshop, exclude_id: int) -> list[tuple[int, str]]:
    """The workshop's other visible KPIs, by name, for the counter-metric form. One query."""
    return list(
        Proposal.objects.visible()
        .filter(workshop=workshop)
        .exclude(pk=exclude_id)
        .exclude(state="withdrawn")
        .order_by("current_revision__name")
        .values_list("pk", "current_revision__name")
    )


def mapped_ids(*, workshop: Workshop) -> list[int]:
    """The ids of every KPI on the map, in id order (a few hundred integers at most): the
    map page's slice and its count come from them, in one query."""
    return list(mapped_proposals(workshop=workshop).order_by("id").values_list("pk", flat=True))


def library_for_counter_metric():
    """The library's KPIs a counter-metric may name, by slug."""
    return LibraryKPI.objects.order_by("slug")


def goal_get(*, workshop: Workshop, goal_id: int) -> BusinessGoal | None:
    """One goal of the workshop's organisation (retired ones too), or None."""
    return BusinessGoal.objects.filter(pk=goal_id, organisation_id=workshop.organisation_id).first()


# --- The KPI tree --------------------------------------------------------------------------------


@dataclass
class TreeLinkRow:
    link: TreeLink
    from_name: str
    to_name: str
    supports: int = 0
    objections: int = 0
    #: [(display name, stance, text)]
    stances: list[tuple[str, str, str]] = field(default_factory=list)
    #: The viewer's own stance ("support", "object" or "")
    mine: str = ""

    @property
    def counts_text(self) -> str:
        """ "2 in support · 1 objection", in the reader's language."""
        supports = ngettext("%(n)s in support", "%(n)s in support", self.supports)
        objections = ngettext("%(n)s objection", "%(n)s objections", self.objections)
        return f"{supports % {'n': self.supports}} · {objections % {'n': self.objections}}"


@dataclass
class TreeView:
    tree: tree_mod.Tree
    proposed: list[TreeLinkRow]
    accepted: list[TreeLinkRow]
    declined: list[TreeLinkRow]
    #: (id, name) of every KPI on the map, by name: the proposal form's choices
    kpi_choices: list[tuple[int, str]]
    #: Counter-metrics that name another KPI of the map and are not yet a "guards" link:
    #: [(counter id, counter name, kpi id, kpi name)]
    counter_candidates: list[tuple[int, str, int, str]]


def _kpi_label(p: Proposal) -> str:
    return p.current_revision.name if p.current_revision else f"#{p.pk}"


def tree_stances_of(*, workshop: Workshop, participant_id: int | None) -> dict[int, str]:
    """The viewer's own stance on each of the workshop's links: ``{link id: stance}``. One
    query (none without a participant), hand-written (``rawsql``): every view of the tree asks
    it."""
    if participant_id is None:
        return {}
    return rawsql.tree_stances_of(workshop_id=workshop.pk, participant_id=participant_id)


def tree_for_workshop(
    *, workshop: Workshop, participant_id: int | None = None, unplaced_label: str = ""
) -> TreeView:
    """The workshop's tree (accepted and proposed links; declined ones listed apart), its links
    with their stances, and what the page's forms offer. Five queries whatever the number of
    KPIs, goals, links or stances: KPIs, goals, goal links, tree links (with who proposed them),
    stances (with who took them)."""
    kpis = list(
        mapped_proposals(workshop=workshop)
        .select_related("current_revision", "library_kpi")
        .only(*KPI_FIELDS, "library_kpi__slug", "library_kpi__counter_metric")
        .order_by("id")
    )  # 1
    names = {p.pk: _kpi_label(p) for p in kpis}
    goals = goals_for(organisation_id=workshop.organisation_id)  # 2
    goal_links = list(
        GoalLink.objects.filter(proposal__in=list(names)).values_list(
            "proposal_id", "goal_id", "strength"
        )
    )  # 3
    # Links waiting for the facilitator or hidden (moderation) reach only their proposer,
    # listed with the note, never drawn nor counted.
    room = Q(moderation=Moderation.SHOWN)
    if participant_id is not None:
        room |= Q(proposed_by_id=participant_id)
    links = list(
        TreeLink.objects.filter(room, workshop=workshop)
        .select_related("proposed_by", "decided_by")
        .order_by("id")
    )  # 4
    stances = list(
        TreeLinkStance.objects.filter(link__workshop=workshop, link__moderation=Moderation.SHOWN)
        .select_related("participant")
        .order_by("created_at", "id")
    )  # 5
    kpi_href = reverse("mapping:kpi", args=[workshop.pk, 1])[: -len("1/")]
    edges = [
        tree_mod.Edge(
            link.from_proposal_id, link.to_proposal_id, link.kind, link.state, link.why, link.pk
        )
        for link in links
        if link.state != LinkState.DECLINED and link.moderation == Moderation.SHOWN
    ]
    tree = tree_mod.tree_build(
        goals=[(g.pk, g.label) for g in goals],
        kpis=[(p.pk, names[p.pk], f"{kpi_href}{p.pk}/") for p in kpis],
        goal_links=goal_links,
        edges=edges,
        unplaced_label=unplaced_label,
    )
    rows: dict[int, TreeLinkRow] = {}
    for link in links:
        rows[link.pk] = TreeLinkRow(
            link=link,
            from_name=names.get(link.from_proposal_id, f"#{link.from_proposal_id}"),
            to_name=names.get(link.to_proposal_id, f"#{link.to_proposal_id}"),
        )
    for s in stances:
        row = rows.get(s.link_id)
        if row is None:
            continue
        if s.stance == LinkStanceKind.SUPPORT:
            row.supports += 1
        else:
            row.objections += 1
        row.stances.append((s.participant.display_name, s.stance, s.text))
        if participant_id is not None and s.participant_id == participant_id:
            row.mine = s.stance
    guards = {
        (k.from_proposal_id, k.to_proposal_id)
        for k in links
        if k.kind == LinkKind.GUARDS and k.moderation == Moderation.SHOWN
    }
    by_slug = {p.library_kpi.slug: p.pk for p in kpis if p.library_kpi_id}
    candidates = []
    for p in kpis:
        rev = p.current_revision
        counter = rev.counter_metric_proposal_id if rev else None
        if counter is None and p.library_kpi_id and p.library_kpi.counter_metric:
            counter = by_slug.get(p.library_kpi.counter_metric)
        if counter in names and counter != p.pk and (counter, p.pk) not in guards:
            candidates.append((counter, names[counter], p.pk, names[p.pk]))
    by_state = {s: [r for r in rows.values() if r.link.state == s] for s in LinkState.values}
    return TreeView(
        tree=tree,
        proposed=by_state[LinkState.PROPOSED],
        accepted=by_state[LinkState.ACCEPTED],
        declined=by_state[LinkState.DECLINED],
        kpi_choices=sorted(names.items(), key=lambda kv: kv[1].lower()),
        counter_candidates=candidates,
    )


def tree_link_get(*, workshop: Workshop, link_id: int):
    """A tree link of this workshop, or None."""
    return TreeLink.objects.filter(pk=link_id, workshop=workshop).select_related("workshop").first()


def tree_kpi_choices(*, workshop: Workshop) -> list[tuple[int, str]]:
    """(id, name) of every KPI on the map, by name: what a tree link may join. One query."""
    return sorted(
        mapped_proposals(workshop=workshop).values_list("pk", "current_revision__name"),
        key=lambda kv: (kv[1] or "").lower(),
    )


# --- Moderation of the tree links' whys (workshops/moderation.py) ---------------------------------


def _link_end(proposal: Proposal) -> str:
    return _kpi_label(proposal) if proposal.current_revision_id else f"#{proposal.pk}"


def _release_into(link: TreeLink):
    from .services import tree_link_release_into

    return tree_link_release_into(link=link)


#: The open text of this app that a workshop's moderation holds (registered from
#: AppConfig.ready): a proposed tree link's why. Deciding one moves the map's version.
MODERATED_KINDS = [
    ModeratedKind(
        key="tree_link",
        label=_("KPI tree link"),
        model_label="mapping.TreeLink",
        workshop_lookup="workshop",
        select_related=("from_proposal__current_revision", "to_proposal__current_revision"),
        text=lambda link: link.why,
        about=lambda link: f"{_link_end(link.from_proposal)} → {_link_end(link.to_proposal)}",
        url=lambda link: reverse("mapping:tree", args=[link.workshop_id]) + f"#tree-link-{link.pk}",
        author_field="proposed_by",
        version_scope=versions.MAP,
        lock_workshop=True,
        fold_on_release=_release_into,
    ),
]


def tree_links_unshown_for(*, workshop: Workshop, participant_id: int | None) -> list[TreeLinkRow]:
    """The viewer's own links the room does not see (waiting for the facilitator, or hidden
    with a reason): shown to them beside the shared tree, never in it. One query when there
    are none; the tree's five more when there are (rare: only while text is held)."""
    if participant_id is None:
        return []
    unshown = TreeLink.objects.filter(workshop=workshop, proposed_by_id=participant_id).exclude(
        moderation=Moderation.SHOWN
    )
    if not unshown.exists():
        return []
    view = tree_for_workshop(workshop=workshop, participant_id=participant_id)
    return [
        row
        for row in (*view.proposed, *view.accepted, *view.declined)
        if row.link.moderation != Moderation.SHOWN
    ]
