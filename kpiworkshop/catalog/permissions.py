"""Who may decide, write training notes, publish, and read the catalogue. Pure predicates over
the role-by-stage table in ``workshops.permissions`` plus the facts a service loads (who
contributed to a KPI, how a reader belongs to the organisation)."""

from dataclasses import dataclass

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Stage, Workshop


def is_contributor(actor: Participant | None, contributor_ids: frozenset[int]) -> bool:
    """An author, co-author (author of a revision) or credited suggester of the KPI."""
    return actor is not None and actor.pk in contributor_ids


def can_decide(
    actor: Participant | None, proposal: Proposal, contributor_ids: frozenset[int]
) -> bool:
    """Approve, pilot, request changes or reject: an approver (``Action.APPROVE``) in the
    approve stage, on a shortlisted KPI they did not write (no self-approval)."""
    return (
        wp.can_approve(actor, proposal.workshop)
        and proposal.state == ProposalState.SHORTLISTED
        and not is_contributor(actor, contributor_ids)
    )


def can_resubmit(actor: Participant | None, proposal: Proposal) -> bool:
    """Revise a KPI whose changes were requested: its author or the facilitator, while the
    workshop is in the approve stage."""
    workshop = proposal.workshop
    if not wp.can_view(actor, workshop) or workshop.stage != Stage.APPROVE:
        return False
    if proposal.state != ProposalState.CHANGES_REQUESTED:
        return False
    return actor.pk == proposal.author_id or actor.is_facilitator


def can_write_notes(actor: Participant | None, proposal: Proposal) -> bool:
    """Training notes: the facilitator or the KPI's author, in the approve stage, for a
    shortlisted or approved KPI."""
    workshop = proposal.workshop
    if not wp.can_view(actor, workshop) or workshop.stage != Stage.APPROVE:
        return False
    if proposal.state not in (ProposalState.SHORTLISTED, ProposalState.APPROVED):
        return False
    return actor.is_facilitator or actor.pk == proposal.author_id


def can_set_quorum(actor: Participant | None, workshop: Workshop) -> bool:
    return wp.can_manage(actor, workshop) and workshop.stage in (
        Stage.DRAFT,
        Stage.PROPOSE,
        Stage.REFINE,
        Stage.VOTE,
        Stage.MAP,
        Stage.APPROVE,
    )


def can_publish(actor: Participant | None, workshop: Workshop) -> bool:
    return wp.can_manage(actor, workshop) and workshop.stage == Stage.APPROVE


@dataclass(frozen=True)
class Reader:
    """How someone belongs to an organisation, for reading its catalogue: an active member
    (by their membership role) or a participant of one of its workshops (guests included)."""

    organisation_id: int
    role: str


def can_read_catalogue(reader: Reader | None, organisation_id: int) -> bool:
    return reader is not None and reader.organisation_id == organisation_id


def can_see_internal(reader: Reader | None) -> bool:
    """Customers never see fields marked internal-only."""
    return reader is not None and reader.role != Role.CUSTOMER
