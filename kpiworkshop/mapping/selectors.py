"""Reads of the Map stage: the map itself, the coverage checks, an audience's preview."""

from django.db.models import Exists, Q, QuerySet

from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops.models import Workshop

from .permissions import FALLBACK_STATES, MAPPED_STATES


def mapped_proposals(*, workshop: Workshop) -> QuerySet:
    """The KPIs on a workshop's map: the shortlist (and what came of it); when nothing was
    shortlisted, every open proposal. One query."""
    shortlist = Proposal.objects.filter(workshop=workshop, state__in=MAPPED_STATES)
    return Proposal.objects.filter(workshop=workshop).filter(
        Q(state__in=MAPPED_STATES) | (Q(state__in=FALLBACK_STATES) & ~Exists(shortlist))
    )
