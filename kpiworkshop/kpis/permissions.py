"""Object-level predicates for proposals, built on the role-by-stage table in
``workshops.permissions`` (which decides *what* a role may do in a stage); these add *whose*
proposal it is and in which state."""

from collections.abc import Iterable

from kpiworkshop.accounts.models import Membership, Role
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import STAGE_ORDER, Participant, Stage, Workshop

from .models import Proposal, ProposalState

#: Stages in which a definition can still change (by its author, or the facilitator).
EDIT_STAGES = frozenset({Stage.PROPOSE, Stage.REFINE})
LIVE_STATES = frozenset({ProposalState.OPEN, ProposalState.CHANGES_REQUESTED})


def _member(actor: Participant | None, proposal: Proposal) -> bool:
    return wp.can_view(actor, proposal.workshop)


def can_see_internal(
    actor: Participant | None, workshop: Workshop, membership: Membership | None = None
) -> bool:
    """See definition fields marked internal-only: the one rule for the proposal page, the
    board, forms, the API and exports.

    A participant of the workshop: by their workshop role (everyone but customers). Someone who
    has not joined but belongs to the workshop's organisation (``membership``): by their
    organisation role, the same way. Anyone else, anonymous or another organisation: no."""
    if actor is not None:
        return wp.can_see_internal(actor, workshop)
    return (
        membership is not None
        and membership.is_active
        and membership.organisation_id == workshop.organisation_id
        and membership.role in Role.values
        and membership.role != Role.CUSTOMER
    )


def fields_hidden(internal_fields: Iterable[str] | None, *, see_internal: bool) -> frozenset[str]:
    """The one hidden-fields rule, for a proposal or a catalogue entry: a viewer who may see
    internal-only fields (``can_see_internal`` here, ``catalog.permissions.can_see_internal``
    for a catalogue reader; exports are public, so False) sees every field; anyone else does
    not see the fields marked internal-only. Pages, the API, the map, coverage and the exports
    all ask this rather than reading ``internal_fields`` themselves."""
    return frozenset() if see_internal else frozenset(internal_fields or ())


def fields_hidden_of(many: Iterable[Iterable[str] | None], *, see_internal: bool) -> frozenset[str]:
    """``fields_hidden`` over several entries (each one's ``internal_fields``) at once, e.g.
    both sides of a catalogue diff: a field any of them hides."""
    if see_internal:
        return frozenset()
    return frozenset().union(*(fields_hidden(f, see_internal=False) for f in many))


def hidden_fields(
    actor: Participant | None,
    proposal: Proposal,
    membership: Membership | None = None,
) -> frozenset[str]:
    """The definition fields this viewer may not see on ``proposal``."""
    return fields_hidden(
        proposal.internal_fields,
        see_internal=can_see_internal(actor, proposal.workshop, membership),
    )


def is_author(actor: Participant | None, proposal: Proposal) -> bool:
    return actor is not None and actor.pk == proposal.author_id


def can_edit(actor: Participant | None, proposal: Proposal) -> bool:
    """Write a new revision, accept or decline suggestions: the author, or the facilitator in
    the author's place, while the workshop is proposing or refining."""
    if not _member(actor, proposal) or proposal.state not in LIVE_STATES:
        return False
    if proposal.workshop.stage not in EDIT_STAGES:
        return False
    return is_author(actor, proposal) or actor.is_facilitator


def can_withdraw(actor: Participant | None, proposal: Proposal) -> bool:
    return can_edit(actor, proposal)


def can_comment_on(actor: Participant | None, proposal: Proposal) -> bool:
    return wp.can_comment(actor, proposal.workshop) and proposal.state in LIVE_STATES


def can_suggest_on(actor: Participant | None, proposal: Proposal) -> bool:
    return wp.can_suggest(actor, proposal.workshop) and proposal.state in LIVE_STATES


def can_support(actor: Participant | None, proposal: Proposal) -> bool:
    return can_comment_on(actor, proposal)


def can_moderate(actor: Participant | None, proposal: Proposal) -> bool:
    """Hide comments, mark fields internal-only: the facilitator."""
    return wp.can_manage(actor, proposal.workshop)


def can_resolve(actor: Participant | None, proposal: Proposal) -> bool:
    return can_moderate(actor, proposal) or (
        is_author(actor, proposal) and wp.can_comment(actor, proposal.workshop)
    )


def can_unmerge(actor: Participant | None, proposal: Proposal) -> bool:
    """Undo a merge: the facilitator, until voting starts."""
    workshop = proposal.workshop
    return wp.can_manage(actor, workshop) and STAGE_ORDER.index(workshop.stage) < STAGE_ORDER.index(
        Stage.VOTE
    )


def can_filter_own(actor: Participant | None, workshop: Workshop) -> bool:
    """Filter the board to "only my proposals": someone who has joined the workshop."""
    return actor is not None and actor.workshop_id == workshop.pk
