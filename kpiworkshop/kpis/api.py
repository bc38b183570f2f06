"""Read endpoints: a workshop's proposals with their current revision, and the KPI library."""

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from kpiworkshop.accounts.models import Role
from kpiworkshop.accounts.selectors import membership_for
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops import selectors as workshop_selectors

from . import selectors
from .models import DEFINITION_FIELDS

router = Router(tags=["kpis"])


class ProposalOut(Schema):
    id: int
    state: str
    kind: str
    author: str
    created_at: datetime
    revision: int
    supporters: int
    comments: int
    library_kpi_id: int | None
    merged_into: int | None
    #: The current revision's definition; internal-only fields are left out for customers.
    definition: dict


class LibraryKPIOut(Schema):
    slug: str
    category: str
    channels: list[str]
    direction: str
    frequency: str
    purposes: list[str]
    breakdowns: list[str]
    counter_metric: str
    name: str
    texts: dict


@router.get(
    "/workshops/{workshop_id}/proposals",
    response=list[ProposalOut],
    summary="A workshop's KPI proposals",
)
def list_proposals(request: HttpRequest, workshop_id: int):
    """The proposals on a workshop's board, each with its current revision. Only for members
    of the workshop's organisation and its participants (404 for everyone else)."""
    user = request.auth
    workshop = workshop_selectors.workshop_get(workshop_id=workshop_id)
    if workshop is None:
        raise Http404
    actor = workshop_selectors.participant_for(workshop=workshop, user=user, guest_key=None)
    membership = membership_for(user=user, organisation_id=workshop.organisation_id)
    if actor is None and membership is None:
        raise Http404
    if actor is not None:
        see_internal = wp.can_see_internal(actor, workshop)
    else:
        see_internal = membership.role != Role.CUSTOMER
    out = []
    for p in selectors.proposals_for_board(workshop=workshop, actor=actor):
        hidden = set() if see_internal else set(p.internal_fields or [])
        rev = p.current_revision
        out.append(
            ProposalOut(
                id=p.pk,
                state=p.state,
                kind=p.kind,
                author=p.author.display_name,
                created_at=p.created_at,
                revision=rev.number,
                supporters=p.supporter_count,
                comments=p.comment_count,
                library_kpi_id=p.library_kpi_id,
                merged_into=p.merged_into_id,
                definition={f: getattr(rev, f) for f in DEFINITION_FIELDS if f not in hidden},
            )
        )
    return out


@router.get("/library", response=list[LibraryKPIOut], summary="The built-in KPI library")
def list_library(request: HttpRequest, category: str = "", channel: str = "", q: str = ""):
    """Ready-made KPIs, texts in the language of the request (English or Italian)."""
    return [
        LibraryKPIOut(
            slug=k.slug,
            category=k.category,
            channels=k.channels,
            direction=k.direction,
            frequency=k.frequency,
            purposes=k.purposes,
            breakdowns=k.breakdowns,
            counter_metric=k.counter_metric,
            name=k.name,
            texts=k.texts(),
        )
        for k in selectors.library_kpis(category=category, channel=channel, q=q)
    ]
