"""Who may do what with a ballot: the workshop's role × stage table plus the ballot's own
rules (eligible roles, open or closed, results visibility, secrecy)."""

from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Stage

from .models import Ballot, Visibility

#: Stages in which the facilitator may prepare ballots (they open only in the vote stage).
PREPARE_STAGES = frozenset({Stage.REFINE, Stage.VOTE})
#: Stages in which existing ballots can still be closed, revealed and shortlisted from: the
#: facilitator may have moved on to mapping before tidying up the last round.
RUN_STAGES = frozenset({Stage.REFINE, Stage.VOTE, Stage.MAP})


def can_manage_ballots(actor: Participant | None, ballot_or_workshop) -> bool:
    """Create rounds (and, for a ballot, run it): refine and vote stages, plus map for
    existing ballots."""
    if isinstance(ballot_or_workshop, Ballot):
        workshop = ballot_or_workshop.workshop
        return wp.can_manage(actor, workshop) and workshop.stage in RUN_STAGES
    workshop = ballot_or_workshop
    return wp.can_manage(actor, workshop) and workshop.stage in PREPARE_STAGES


def is_eligible(actor: Participant | None, ballot: Ballot) -> bool:
    """May vote in this ballot when it is open: the role votes in this stage, and the ballot
    admits it."""
    if not wp.can_vote(actor, ballot.workshop):
        return False
    return not ballot.eligible_roles or actor.role in ballot.eligible_roles


def can_vote_in(actor: Participant | None, ballot: Ballot) -> bool:
    return ballot.is_open and is_eligible(actor, ballot)


def results_public(ballot: Ballot) -> bool:
    """May results be shown to the room (the projector board, participants' pages)?"""
    if ballot.visibility == Visibility.ALWAYS:
        return ballot.opened_at is not None
    if ballot.visibility == Visibility.WHEN_REVEALED:
        return ballot.revealed_at is not None
    # after_close and after_voting: everyone sees them once the round is over.
    return ballot.is_closed or ballot.revealed_at is not None


def can_see_results(actor: Participant | None, ballot: Ballot, *, has_voted: bool) -> bool:
    if not wp.can_view(actor, ballot.workshop):
        return False
    if wp.can_manage(actor, ballot.workshop) or actor.is_facilitator:
        return True
    if ballot.visibility == Visibility.AFTER_VOTING and has_voted:
        return True
    return results_public(ballot)


def can_see_individual_votes(actor: Participant | None, ballot: Ballot) -> bool:
    """Who voted what: only in an open (non-secret) ballot, and only the facilitator."""
    return (
        not ballot.secret
        and actor is not None
        and actor.is_facilitator
        and wp.can_view(actor, ballot.workshop)
    )


#: Stages in which the workshop-wide agreement view is offered: once rounds can have been voted
#: (each round's figures still follow ``can_see_results``).
AGREEMENT_STAGES = frozenset(
    {Stage.VOTE, Stage.MAP, Stage.APPROVE, Stage.PUBLISHED, Stage.ARCHIVED}
)


def can_see_agreement(actor: Participant | None, workshop) -> bool:
    """Open the "where the room agrees and splits" page (issue 20): anyone in the workshop,
    from the vote stage on. Which rounds it draws on is each round's own results rule."""
    return wp.can_view(actor, workshop) and workshop.stage in AGREEMENT_STAGES
