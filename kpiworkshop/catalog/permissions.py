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


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------

#: The organisation roles that stand for a default audience (``mapping.DEFAULT_AUDIENCES``),
#: for who may enter the values of a KPI an audience is accountable for.
AUDIENCE_ROLES: dict[str, frozenset[str]] = {
    "agents": frozenset({Role.AGENT}),
    "team_leaders": frozenset({Role.SUPERVISOR}),
    "cc_managers": frozenset({Role.MANAGER}),
    "cx_leadership": frozenset({Role.LEADERSHIP}),
    "planning": frozenset({Role.MANAGER, Role.STAKEHOLDER}),
    "digital": frozenset({Role.MANAGER, Role.STAKEHOLDER}),
    "outsourced": frozenset({Role.SUPERVISOR, Role.MANAGER}),
    "customers": frozenset(),
}


def can_give_feedback(reader: Reader | None, organisation_id: int, *, is_current: bool) -> bool:
    """Answer "Is this KPI helping you?": anyone of the organisation, on the current release
    (an older release's answers are history)."""
    return can_read_catalogue(reader, organisation_id) and is_current


def can_moderate_feedback(reader: Reader | None, organisation_id: int) -> bool:
    """Hide a comment (with a reason): the organisation's facilitators."""
    return can_read_catalogue(reader, organisation_id) and reader.role == Role.FACILITATOR


def can_see_feedback_comments(reader: Reader | None, organisation_id: int) -> bool:
    """Comments are for the people who run the catalogue, not for everyone: facilitators,
    leadership and managers see them; everyone sees the counts."""
    return can_read_catalogue(reader, organisation_id) and reader.role in (
        Role.FACILITATOR,
        Role.LEADERSHIP,
        Role.MANAGER,
    )


def accountable_roles(audiences: list[dict]) -> frozenset[str]:
    roles: set[str] = set()
    for a in audiences or []:
        if a.get("kind") == "accountable":
            roles |= AUDIENCE_ROLES.get(a.get("slug", ""), frozenset())
    return frozenset(roles)


def can_record_values(reader: Reader | None, organisation_id: int, audiences: list[dict]) -> bool:
    """Enter or import measured values: a facilitator, or a member whose role stands for the
    KPI's accountable audience."""
    if not can_read_catalogue(reader, organisation_id):
        return False
    return reader.role == Role.FACILITATOR or reader.role in accountable_roles(audiences)


def can_manage_reviews(reader: Reader | None, organisation_id: int) -> bool:
    """See the review schedule, set review dates, start a review workshop: facilitators."""
    return can_read_catalogue(reader, organisation_id) and reader.role == Role.FACILITATOR
