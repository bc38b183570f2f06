"""Who may decide, resubmit a KPI, write or confirm training notes and set the quorum. Pure
predicates over the role-by-stage table in ``workshops.permissions`` plus the facts a service
loads (who contributed to a KPI)."""

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


def can_confirm_notes(actor: Participant | None, proposal: Proposal) -> bool:
    """Confirm that training notes still hold against a KPI's newer revision: the facilitator,
    wherever notes can be written (the author edits them instead)."""
    return (
        actor is not None
        and wp.can_manage(actor, proposal.workshop)
        and can_write_notes(actor, proposal)
    )


def can_set_quorum(actor: Participant | None, workshop: Workshop) -> bool:
    return wp.can_manage(actor, workshop) and workshop.stage in (
        Stage.DRAFT,
        Stage.PROPOSE,
        Stage.REFINE,
        Stage.VOTE,
        Stage.MAP,
        Stage.APPROVE,
    )
