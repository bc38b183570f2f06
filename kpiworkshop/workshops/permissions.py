"""What each role may do in each stage: one table, pure predicates over it.

Views, services and the API all ask these functions; templates receive their booleans. An
``actor`` is the Participant acting in *this* workshop, or None (anonymous, or someone who
has not joined). A participant of another workshop — in particular another organisation's —
is refused everything here.
"""

from enum import StrEnum

from kpiworkshop.accounts.models import Membership, Organisation, Role

from .models import STAGE_ORDER, Participant, Stage, Workshop


class Action(StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # move stages, invite, revoke
    HISTORY = "history"  # read the audit trail
    PROPOSE = "propose"
    COMMENT = "comment"
    SUGGEST = "suggest"
    MERGE = "merge"
    VOTE = "vote"
    MAP = "map"
    APPROVE = "approve"
    SEE_INTERNAL = "see_internal"


R = Role
S = Stage
EVERYONE = frozenset(Role.values)
ALL_STAGES = frozenset(STAGE_ORDER)
OPEN_STAGES = frozenset(STAGE_ORDER) - {S.ARCHIVED}

#: action -> stage -> roles allowed. A missing stage means nobody.
TABLE: dict[Action, dict[str, frozenset[str]]] = {
    Action.VIEW: {s: EVERYONE for s in ALL_STAGES},
    Action.MANAGE: {s: frozenset({R.FACILITATOR}) for s in OPEN_STAGES},
    Action.HISTORY: {s: frozenset({R.FACILITATOR}) for s in ALL_STAGES},
    Action.PROPOSE: {S.PROPOSE: EVERYONE},
    Action.COMMENT: {S.PROPOSE: EVERYONE, S.REFINE: EVERYONE},
    Action.SUGGEST: {S.REFINE: EVERYONE},
    Action.MERGE: {S.REFINE: frozenset({R.FACILITATOR})},
    # Leadership approves later; by default they do not also vote. A ballot may narrow further.
    Action.VOTE: {S.VOTE: EVERYONE - {R.LEADERSHIP}},
    Action.MAP: {
        S.MAP: frozenset({R.FACILITATOR, R.MANAGER, R.STAKEHOLDER, R.SUPERVISOR, R.LEADERSHIP})
    },
    Action.APPROVE: {S.APPROVE: frozenset({R.LEADERSHIP})},
    # Customers never see fields marked internal-only, whatever the stage.
    Action.SEE_INTERNAL: {s: EVERYONE - {R.CUSTOMER} for s in ALL_STAGES},
}


def allowed(actor: Participant | None, action: Action, workshop: Workshop) -> bool:
    if actor is None or not actor.is_active or actor.workshop_id != workshop.pk:
        return False
    return actor.role in TABLE[action].get(workshop.stage, frozenset())


def can_view(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.VIEW, workshop)


def can_manage(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.MANAGE, workshop)


def can_see_history(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.HISTORY, workshop)


def can_propose(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.PROPOSE, workshop)


def can_comment(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.COMMENT, workshop)


def can_suggest(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.SUGGEST, workshop)


def can_merge(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.MERGE, workshop)


def can_vote(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.VOTE, workshop)


def can_map(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.MAP, workshop)


def can_approve(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.APPROVE, workshop)


def can_see_internal(actor: Participant | None, workshop: Workshop) -> bool:
    return allowed(actor, Action.SEE_INTERNAL, workshop)


def can_moderate_text(actor: Participant | None, workshop: Workshop) -> bool:
    """Hold open text, see the queue, let text through or hide it: the facilitator, in any
    open stage (``Action.MANAGE``)."""
    return allowed(actor, Action.MANAGE, workshop)


def text_is_held(actor: Participant | None, workshop: Workshop) -> bool:
    """Does open text ``actor`` writes now wait for the facilitator? While the workshop holds
    open text, yes, except the facilitators' own (they moderate; their text goes through)."""
    return workshop.hold_open_text and not can_moderate_text(actor, workshop)


def can_see_moderated(actor: Participant | None, workshop: Workshop, author_id: int) -> bool:
    """See a piece of open text that is waiting or hidden (its state, and the reason): its
    author, and the facilitator (in the queue). Nobody else, and never another workshop."""
    if actor is None or not actor.is_active or actor.workshop_id != workshop.pk:
        return False
    return actor.pk == author_id or can_moderate_text(actor, workshop)


def allowed_actions(actor: Participant | None, workshop: Workshop) -> list[Action]:
    return [a for a in Action if allowed(actor, a, workshop)]


def can_create_workshop(membership: Membership | None, organisation: Organisation) -> bool:
    """Create a workshop in ``organisation``: its active facilitators, by organisation
    membership (there is no workshop yet, so no participant and no stage). ``membership`` is
    the person's membership of that organisation, or None (anonymous, or not a member)."""
    return (
        membership is not None
        and membership.is_active
        and membership.organisation_id == organisation.pk
        and membership.role == Role.FACILITATOR
    )


#: Join codes for roles that steer or decide. Joining with one needs an account in the
#: organisation whose own role is that role (see ``can_join_with_code``).
PRIVILEGED_CODE_ROLES = frozenset({R.FACILITATOR, R.LEADERSHIP})


def can_join_with_code(membership_role: str | None, code_role: str) -> bool:
    """May someone whose role in the workshop's organisation is ``membership_role`` (None: a
    guest, or an account outside the organisation) join through a code for ``code_role``?

    Ordinary codes admit anyone who holds them. A privileged code (facilitator, leadership)
    admits only a member whose own organisation role is that same role: a code passed on to an
    agent never makes them a facilitator, and a facilitator's code never lets them approve.
    """
    if code_role not in PRIVILEGED_CODE_ROLES:
        return True
    return membership_role == code_role


def stage_moves(workshop: Workshop) -> tuple[str | None, str | None]:
    """(previous, next) stages a facilitator may move to from here.

    Forward one step at a time; back one step until published. Approve → Published is not a
    move: only publishing the catalogue release gets there (a published workshop without its
    release would promise a catalogue that is not there). A published workshop can only be
    archived; an archived one stays archived.
    """
    i = STAGE_ORDER.index(workshop.stage)
    if workshop.stage == S.ARCHIVED:
        return None, None
    if workshop.stage == S.PUBLISHED:
        return None, S.ARCHIVED
    prev_stage = STAGE_ORDER[i - 1] if i > 0 else None
    next_stage = None if workshop.stage == S.APPROVE else STAGE_ORDER[i + 1]
    return prev_stage, next_stage
