"""Read endpoints of the Map stage: the organisation's goals and audiences, a workshop's links
and its coverage. Same rules as the pages: only the workshop's participants and the members of
its organisation (404 for everyone else); links and coverage from the Map stage on; fields a
facilitator marked internal-only are left out for customers."""

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from kpiworkshop.kpis import permissions as kp
from kpiworkshop.workshops.access import api_access

from . import permissions, selectors

router = Router(tags=["mapping"])


class GoalOut(Schema):
    id: int
    key: str
    name: str
    description: str
    parent_id: int | None
    order: int
    is_active: bool


class AudienceOut(Schema):
    id: int
    key: str
    name: str
    description: str
    level: str
    order: int
    is_active: bool


class GoalLinkOut(Schema):
    id: int
    goal_id: int
    strength: str
    why: str


class AudienceLinkOut(Schema):
    id: int
    audience_id: int
    relation: str
    cadence: str
    place: str
    place_note: str


class KpiMapOut(Schema):
    proposal_id: int
    name: str
    category: str
    goal_links: list[GoalLinkOut]
    audience_links: list[AudienceLinkOut]
    #: dimension -> values
    breakdowns: dict[str, list[str]]
    counter_metric_proposal_id: int | None
    counter_metric_text: str


class CheckOut(Schema):
    key: str
    label: str
    ok: bool
    detail: str
    items: list[str]


class CellOut(Schema):
    goal_id: int
    proposal_id: int
    strength: str


class CoverageOut(Schema):
    passed: int
    total: int
    checks: list[CheckOut]
    categories: dict[str, int]
    matrix: list[CellOut]
    act_on_limit: int
    acts_on: dict[int, int]


def _access(request: HttpRequest, workshop_id: int, *, map_open: bool = False):
    """The workshop and whether the caller may see internal-only fields; 404 for strangers
    (and, with ``map_open``, before the Map stage)."""
    access = api_access(request, workshop_id)
    if map_open and not permissions.map_open(access.workshop):
        raise Http404
    return access.workshop, kp.can_see_internal(
        access.participant, access.workshop, access.membership
    )


@router.get(
    "/workshops/{workshop_id}/map/goals",
    response=list[GoalOut],
    summary="The organisation's business goals",
)
def list_goals(request: HttpRequest, workshop_id: int, include_retired: bool = False):
    workshop, _see = _access(request, workshop_id)
    return [
        GoalOut(
            id=g.pk,
            key=g.key,
            name=g.label,
            description=g.description_shown,
            parent_id=g.parent_id,
            order=g.order,
            is_active=g.is_active,
        )
        for g in selectors.goals_for(
            organisation_id=workshop.organisation_id, active_only=not include_retired
        )
    ]


@router.get(
    "/workshops/{workshop_id}/map/audiences",
    response=list[AudienceOut],
    summary="The organisation's audiences",
)
def list_audiences(request: HttpRequest, workshop_id: int, include_retired: bool = False):
    workshop, _see = _access(request, workshop_id)
    return [
        AudienceOut(
            id=a.pk,
            key=a.key,
            name=a.label,
            description=a.description_shown,
            level=a.level,
            order=a.order,
            is_active=a.is_active,
        )
        for a in selectors.audiences_for(
            organisation_id=workshop.organisation_id, active_only=not include_retired
        )
    ]


@router.get(
    "/workshops/{workshop_id}/map/links",
    response=list[KpiMapOut],
    summary="Each mapped KPI's goal and audience links, breakdowns and counter-metric",
)
def list_links(request: HttpRequest, workshop_id: int):
    workshop, see_internal = _access(request, workshop_id, map_open=True)
    out = []
    for row in selectors.map_rows(workshop=workshop, see_internal=see_internal):
        rev = row.revision
        hidden = row.hidden
        out.append(
            KpiMapOut(
                proposal_id=row.pk,
                name=rev.name if "name" not in hidden else f"#{row.pk}",
                category=rev.category,
                goal_links=[
                    GoalLinkOut(id=g.pk, goal_id=g.goal_id, strength=g.strength, why=g.why)
                    for g in row.goal_links
                ],
                audience_links=[
                    AudienceLinkOut(
                        id=a.pk,
                        audience_id=a.audience_id,
                        relation=a.relation,
                        cadence=a.cadence,
                        place=a.place,
                        place_note=a.place_note,
                    )
                    for a in row.audience_links
                ],
                breakdowns={d: [b.value for b in bs] for d, bs in row.breakdowns.items()},
                counter_metric_proposal_id=rev.counter_metric_proposal_id
                if "counter_metric_text" not in hidden
                else None,
                counter_metric_text=rev.counter_metric_text
                if "counter_metric_text" not in hidden
                else "",
            )
        )
    return out


@router.get(
    "/workshops/{workshop_id}/map/coverage",
    response=CoverageOut,
    summary="How complete a workshop's map is: the checks, the goal × KPI matrix",
)
def coverage(request: HttpRequest, workshop_id: int):
    workshop, see_internal = _access(request, workshop_id, map_open=True)
    cov = selectors.coverage_for_workshop(workshop=workshop, see_internal=see_internal)
    return CoverageOut(
        passed=cov.passed,
        total=cov.total,
        checks=[
            CheckOut(
                key=c.key,
                label=str(c.label),
                ok=c.ok,
                detail=str(c.detail) if not c.ok else "",
                items=[str(text) for text, _url in c.items],
            )
            for c in cov.checks
        ],
        categories={c["value"]: c["count"] for c in cov.categories},
        matrix=[
            CellOut(goal_id=gid, proposal_id=pid, strength=strength)
            for gid, row in cov.matrix.items()
            for pid, strength in row.items()
        ],
        act_on_limit=cov.act_on_limit,
        acts_on={row["audience"].pk: row["count"] for row in cov.act_counts},
    )
