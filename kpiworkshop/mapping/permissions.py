"""Who may map, manage goals and audiences, and comment on links. Built on the role-by-stage
table in ``workshops.permissions`` (``Action.MAP``); these add the proposal's state and the
organisation-level objects."""

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import STAGE_ORDER, Participant, Stage, Workshop

#: Proposals that take part in the Map stage (the shortlist, and what follows it).
MAPPED_STATES = frozenset(
    {ProposalState.SHORTLISTED, ProposalState.APPROVED, ProposalState.CHANGES_REQUESTED}
)
#: When nothing was shortlisted, every open proposal is mapped instead.
FALLBACK_STATES = frozenset({ProposalState.OPEN})
#: Who keeps the organisation's goals and audiences.
CATALOGUE_KEEPERS = frozenset({Role.FACILITATOR, Role.LEADERSHIP})


def map_open(workshop: Workshop) -> bool:
    """The map, coverage and audience pages exist from the Map stage on; who may read them
    is who may see the workshop (its participants and its organisation's members)."""
    return STAGE_ORDER.index(workshop.stage) >= STAGE_ORDER.index(Stage.MAP)


def can_map(actor: Participant | None, workshop: Workshop) -> bool:
    return wp.can_map(actor, workshop)


def can_map_proposal(actor: Participant | None, proposal: Proposal) -> bool:
    return can_map(actor, proposal.workshop) and proposal.state in (MAPPED_STATES | FALLBACK_STATES)


def can_manage_goals(actor: Participant | None, workshop: Workshop) -> bool:
    """Goals and audiences belong to the organisation: its facilitators and leadership keep
    them, from any open workshop they take part in."""
    return (
        wp.can_view(actor, workshop)
        and workshop.stage != Stage.ARCHIVED
        and actor.role in CATALOGUE_KEEPERS
    )


def can_configure(actor: Participant | None, workshop: Workshop) -> bool:
    """The coverage thresholds of a workshop: its facilitator."""
    return wp.can_manage(actor, workshop)


def can_comment_on_link(actor: Participant | None, workshop: Workshop) -> bool:
    """In the Map stage anyone taking part may comment on a link, agents and customers too."""
    return wp.can_view(actor, workshop) and workshop.stage == Stage.MAP


# --- The KPI tree ---------------------------------------------------------------------------------
# A review workshop goes through the same stages, so its Map stage opens its tree the same way.


def can_propose_tree_link(actor: Participant | None, workshop: Workshop) -> bool:
    """In the Map stage anyone taking part may propose a link between two KPIs (agents and
    customers too: the tree is the argument the room has)."""
    return wp.can_view(actor, workshop) and workshop.stage == Stage.MAP


def can_take_tree_stance(actor: Participant | None, workshop: Workshop) -> bool:
    """Support or object to a proposed link: anyone taking part, in the Map stage."""
    return wp.can_view(actor, workshop) and workshop.stage == Stage.MAP


def can_decide_tree_link(actor: Participant | None, workshop: Workshop) -> bool:
    """Accept or decline a proposed link: the workshop's facilitator, in the Map stage."""
    return wp.can_manage(actor, workshop) and workshop.stage == Stage.MAP
