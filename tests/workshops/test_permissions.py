"""The role × stage grid, written out independently of permissions.TABLE: this table is the spec.

Letters: F facilitator, L leadership, M manager, S supervisor, A agent, C customer,
K stakeholder; "-" nobody. Anonymous people and participants of another organisation's workshop
may do nothing anywhere.
"""

import pytest

from kpiworkshop.accounts.models import Membership, Organisation, Role
from kpiworkshop.workshops import permissions
from kpiworkshop.workshops.models import Participant, Stage, Workshop
from kpiworkshop.workshops.permissions import Action, stage_moves

LETTERS = {
    "F": Role.FACILITATOR,
    "L": Role.LEADERSHIP,
    "M": Role.MANAGER,
    "S": Role.SUPERVISOR,
    "A": Role.AGENT,
    "C": Role.CUSTOMER,
    "K": Role.STAKEHOLDER,
}
ALL = "FLMSACK"
NOT_C = "FLMSAK"  # everyone but customers

STAGES = [
    Stage.DRAFT,
    Stage.PROPOSE,
    Stage.REFINE,
    Stage.VOTE,
    Stage.MAP,
    Stage.APPROVE,
    Stage.PUBLISHED,
    Stage.ARCHIVED,
]

# fmt: off
GRID: dict[Action, tuple[str, ...]] = {
    #                     draft    propose  refine   vote      map      approve  published archived
    Action.VIEW:         (ALL,     ALL,     ALL,     ALL,      ALL,     ALL,     ALL,      ALL),
    Action.MANAGE:       ("F",     "F",     "F",     "F",      "F",     "F",     "F",      "-"),
    Action.HISTORY:      ("F",     "F",     "F",     "F",      "F",     "F",     "F",      "F"),
    Action.PROPOSE:      ("-",     ALL,     "-",     "-",      "-",     "-",     "-",      "-"),
    Action.COMMENT:      ("-",     ALL,     ALL,     "-",      "-",     "-",     "-",      "-"),
    Action.SUGGEST:      ("-",     "-",     ALL,     "-",      "-",     "-",     "-",      "-"),
    Action.MERGE:        ("-",     "-",     "F",     "-",      "-",     "-",     "-",      "-"),
    Action.VOTE:         ("-",     "-",     "-",     "FMSACK", "-",     "-",     "-",      "-"),
    Action.MAP:          ("-",     "-",     "-",     "-",      "FLMSK", "-",     "-",      "-"),
    Action.APPROVE:      ("-",     "-",     "-",     "-",      "-",     "L",     "-",      "-"),
    Action.SEE_INTERNAL: (NOT_C,   NOT_C,   NOT_C,   NOT_C,    NOT_C,   NOT_C,   NOT_C,    NOT_C),
}
# fmt: on

PREDICATES = {
    Action.VIEW: permissions.can_view,
    Action.MANAGE: permissions.can_manage,
    Action.HISTORY: permissions.can_see_history,
    Action.PROPOSE: permissions.can_propose,
    Action.COMMENT: permissions.can_comment,
    Action.SUGGEST: permissions.can_suggest,
    Action.MERGE: permissions.can_merge,
    Action.VOTE: permissions.can_vote,
    Action.MAP: permissions.can_map,
    Action.APPROVE: permissions.can_approve,
    Action.SEE_INTERNAL: permissions.can_see_internal,
}

OTHER_ORG = "other organisation's participant"
ACTORS = [*Role.values, None, OTHER_ORG]


def expected(action: Action, stage: str, actor: str | None) -> bool:
    if actor is None or actor == OTHER_ORG:
        return False
    letters = GRID[action][STAGES.index(stage)]
    return actor in {LETTERS[ch] for ch in letters if ch != "-"}


def make_actor(actor: str | None, workshop: Workshop) -> Participant | None:
    """Unsaved rows are enough: the predicates are pure functions of role, stage and ids."""
    if actor is None:
        return None
    if actor == OTHER_ORG:
        # A facilitator, the most powerful role, but of a workshop in another organisation.
        return Participant(workshop_id=workshop.pk + 1, role=Role.FACILITATOR, is_active=True)
    return Participant(workshop_id=workshop.pk, role=actor, is_active=True)


def test_the_spec_covers_every_action_stage_and_role():
    assert set(GRID) == set(Action)
    assert set(PREDICATES) == set(Action)
    assert [s.value for s in Stage] == STAGES
    assert set(LETTERS.values()) == set(Role.values)
    assert all(len(row) == len(STAGES) for row in GRID.values())


@pytest.mark.parametrize("action", list(Action), ids=str)
@pytest.mark.parametrize("stage", STAGES, ids=str)
@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: "anonymous" if a is None else str(a))
def test_role_stage_grid(actor, stage, action):
    workshop = Workshop(pk=41, stage=stage)
    participant = make_actor(actor, workshop)
    want = expected(action, stage, actor)
    assert permissions.allowed(participant, action, workshop) is want
    assert PREDICATES[action](participant, workshop) is want
    assert (action in permissions.allowed_actions(participant, workshop)) is want


@pytest.mark.parametrize("stage", STAGES, ids=str)
def test_inactive_participant_may_do_nothing(stage):
    workshop = Workshop(pk=7, stage=stage)
    removed = Participant(workshop_id=7, role=Role.FACILITATOR, is_active=False)
    assert permissions.allowed_actions(removed, workshop) == []


def test_real_other_organisation_facilitator_is_refused_everything(workshop, other_org_participant):
    assert other_org_participant.workshop.organisation_id != workshop.organisation_id
    assert permissions.allowed_actions(other_org_participant, workshop) == []
    # ...while in their own workshop they run it.
    assert permissions.can_manage(other_org_participant, other_org_participant.workshop)


def test_fixture_roles_follow_the_grid_in_the_propose_stage(
    workshop, facilitator, agent, approver, guest_customer
):
    assert workshop.stage == Stage.PROPOSE
    assert permissions.can_manage(facilitator, workshop)
    assert not permissions.can_manage(agent, workshop)
    assert permissions.can_propose(guest_customer, workshop)
    assert not permissions.can_see_internal(guest_customer, workshop)
    assert permissions.can_see_internal(approver, workshop)
    assert not permissions.can_approve(approver, workshop)


# Who may join through a code of each role: the holder's own organisation role (None: a guest or
# an account outside the organisation) against the code's role. Privileged codes admit only
# their own role; every other code admits anyone who holds it.
PRIVILEGED = {Role.FACILITATOR, Role.LEADERSHIP}


@pytest.mark.parametrize("code_role", Role.values, ids=str)
@pytest.mark.parametrize("own_role", [*Role.values, None], ids=lambda r: str(r or "guest"))
def test_join_code_grid(own_role, code_role):
    want = code_role not in PRIVILEGED or own_role == code_role
    assert permissions.can_join_with_code(own_role, code_role) is want


@pytest.mark.parametrize("own_role", [Role.AGENT, Role.CUSTOMER, Role.MANAGER, None], ids=str)
def test_escalation_through_a_facilitator_code_is_refused(own_role):
    assert not permissions.can_join_with_code(own_role, Role.FACILITATOR)
    assert not permissions.can_join_with_code(own_role, Role.LEADERSHIP)


MOVES = {
    Stage.DRAFT: (None, Stage.PROPOSE),
    Stage.PROPOSE: (Stage.DRAFT, Stage.REFINE),
    Stage.REFINE: (Stage.PROPOSE, Stage.VOTE),
    Stage.VOTE: (Stage.REFINE, Stage.MAP),
    Stage.MAP: (Stage.VOTE, Stage.APPROVE),
    Stage.APPROVE: (Stage.MAP, None),  # only publishing the release moves on
    Stage.PUBLISHED: (None, Stage.ARCHIVED),
    Stage.ARCHIVED: (None, None),
}


@pytest.mark.parametrize("stage", STAGES, ids=str)
def test_stage_moves_one_step_and_never_back_from_published(stage):
    assert stage_moves(Workshop(stage=stage)) == MOVES[stage]


def test_stage_moves_spec_covers_every_stage():
    assert set(MOVES) == set(Stage)


# Who may create a workshop in an organisation: an active facilitator of that organisation, by
# membership (there is no workshop, hence no participant or stage, yet). Anonymous people and
# people with no membership hold None.
CREATE = {Role.FACILITATOR}
MEMBERSHIP_KINDS = ["own organisation", "another organisation", "inactive"]


@pytest.mark.parametrize("kind", MEMBERSHIP_KINDS)
@pytest.mark.parametrize("role", Role.values, ids=str)
def test_create_workshop_grid(role, kind):
    organisation = Organisation(pk=3)
    membership = Membership(
        organisation_id=3 if kind != "another organisation" else 4,
        role=role,
        is_active=kind != "inactive",
    )
    want = role in CREATE and kind == "own organisation"
    assert permissions.can_create_workshop(membership, organisation) is want


def test_nobody_without_a_membership_creates_a_workshop():
    assert permissions.can_create_workshop(None, Organisation(pk=3)) is False
