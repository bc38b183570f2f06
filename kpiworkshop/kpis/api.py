"""Read endpoints: a workshop's proposals with their current revision, and the KPI library."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from kpiworkshop.workshops.access import api_access

from . import permissions, selectors
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
    #: Issue 20: how often the data are collected (``frequency`` is how often it is reported)
    #: and whether it is a leading or lagging indicator; the other new fields are in ``texts``.
    collection_frequency: str
    lead_lag: str


@router.get(
    "/workshops/{workshop_id}/proposals",
    response=list[ProposalOut],
    summary="A workshop's KPI proposals",
)
def list_proposals(request: HttpRequest, workshop_id: int):
    """The proposals on a workshop's board, each with its current revision. Only for members
    of the workshop's organisation and its participants (404 for everyone else)."""
    access = api_access(request, workshop_id)
    workshop, actor = access.workshop, access.participant
    see_internal = permissions.can_see_internal(actor, workshop, access.membership)
    out = []
    for p in selectors.proposals_for_board(workshop=workshop, actor=actor):
        hidden = permissions.fields_hidden(p.internal_fields, see_internal=see_internal)
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
            collection_frequency=k.collection_frequency,
            lead_lag=k.lead_lag,
        )
        for k in selectors.library_kpis(category=category, channel=channel, q=q)
    ]
