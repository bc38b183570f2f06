"""Every predicate of ``approval.permissions`` as a full grid, against tables written out here
independently of the code (as ``tests/workshops/test_permissions.py`` does for the workshop).

The predicates (decisions, resubmitting, training notes, quorum) take a participant: the grid is
every role × every stage × every proposal state × how the actor relates to the KPI, plus a
facilitator of another organisation's workshop and anonymous (None). Letters: F facilitator,
L leadership, M manager, S supervisor, A agent, C customer, K stakeholder; "-" nobody.
(``can_publish`` and the catalogue's reader predicates: tests/catalog/test_permissions_grid.py.)"""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import permissions
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Participant, Stage, Workshop
from tests.workshops.test_permissions import ALL, LETTERS, STAGES

STATES = list(ProposalState)

# How the actor relates to the KPI: nothing, its author, or a co-author / credited suggester
# (a contributor who is not the author).
STRANGER, AUTHOR, CO_AUTHOR = "stranger", "author", "co-author"
RELATIONS = [STRANGER, AUTHOR, CO_AUTHOR]

# fmt: off
#: predicate -> relation -> who may, stage by stage (for a KPI in one of PROPOSAL_STATES).
PROPOSAL_GRID: dict[str, dict[str, tuple[str, ...]]] = {
    #                      draft propose refine vote map  approve published archived
    "can_decide": {  # no self-approval, not even as a co-author
        STRANGER:         ("-",  "-",    "-",   "-", "-", "L",    "-",      "-"),
        AUTHOR:           ("-",  "-",    "-",   "-", "-", "-",    "-",      "-"),
        CO_AUTHOR:        ("-",  "-",    "-",   "-", "-", "-",    "-",      "-"),
    },
    "can_resubmit": {
        STRANGER:         ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
        AUTHOR:           ("-",  "-",    "-",   "-", "-", ALL,    "-",      "-"),
        CO_AUTHOR:        ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
    },
    "can_write_notes": {
        STRANGER:         ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
        AUTHOR:           ("-",  "-",    "-",   "-", "-", ALL,    "-",      "-"),
        CO_AUTHOR:        ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
    },
    "can_confirm_notes": {  # the facilitator only: an author edits the notes instead
        STRANGER:         ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
        AUTHOR:           ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
        CO_AUTHOR:        ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
    },
}
#: predicate -> who may, stage by stage.
WORKSHOP_GRID: dict[str, tuple[str, ...]] = {
    #                      draft propose refine vote map  approve published archived
    "can_set_quorum":     ("F",  "F",    "F",   "F", "F", "F",    "-",      "-"),
}
# fmt: on

#: The KPI states in which each proposal predicate can allow anything at all.
PROPOSAL_STATES = {
    "can_decide": {ProposalState.SHORTLISTED},
    "can_resubmit": {ProposalState.CHANGES_REQUESTED},
    "can_write_notes": {ProposalState.SHORTLISTED, ProposalState.APPROVED},
    "can_confirm_notes": {ProposalState.SHORTLISTED, ProposalState.APPROVED},
}

OTHER_ORG = "other organisation's facilitator"
ACTORS = [*Role.values, None, OTHER_ORG]
WORKSHOP_PK = 41
ACTOR_PK = 5
SOMEONE_ELSE_PK = 99


def _ids(actor) -> str:
    return "anonymous" if actor is None else str(actor)


def _may(letters: str, actor) -> bool:
    if actor is None or actor == OTHER_ORG:
        return False
    return actor in {LETTERS[ch] for ch in letters if ch != "-"}


def make_actor(actor) -> Participant | None:
    """Unsaved rows are enough: the predicates are pure functions of role, stage and ids."""
    if actor is None:
        return None
    if actor == OTHER_ORG:
        return Participant(
            pk=ACTOR_PK, workshop_id=WORKSHOP_PK + 1, role=Role.FACILITATOR, is_active=True
        )
    return Participant(pk=ACTOR_PK, workshop_id=WORKSHOP_PK, role=actor, is_active=True)


def make_proposal(workshop: Workshop, state: str, relation: str):
    author = ACTOR_PK if relation == AUTHOR else SOMEONE_ELSE_PK
    proposal = Proposal(pk=7, workshop=workshop, state=state, author_id=author)
    contributors = {author} | ({ACTOR_PK} if relation == CO_AUTHOR else set())
    return proposal, frozenset(contributors)


def call(name: str, actor, proposal, contributors) -> bool:
    if name == "can_decide":
        return permissions.can_decide(actor, proposal, contributors)
    return getattr(permissions, name)(actor, proposal)


def test_the_spec_covers_every_predicate_stage_role_and_state():
    public = {
        n for n in dir(permissions) if n.startswith("can_") and callable(getattr(permissions, n))
    }
    assert public == set(PROPOSAL_GRID) | set(WORKSHOP_GRID)
    assert [s.value for s in Stage] == STAGES
    for rows in PROPOSAL_GRID.values():
        assert set(rows) == set(RELATIONS)
        assert all(len(row) == len(STAGES) for row in rows.values())
    assert all(len(row) == len(STAGES) for row in WORKSHOP_GRID.values())


@pytest.mark.parametrize("name", list(PROPOSAL_GRID))
@pytest.mark.parametrize("stage", STAGES, ids=str)
@pytest.mark.parametrize("actor", ACTORS, ids=_ids)
def test_proposal_predicate_grid(actor, stage, name):
    workshop = Workshop(pk=WORKSHOP_PK, stage=stage)
    participant = make_actor(actor)
    for relation in RELATIONS:
        letters = PROPOSAL_GRID[name][relation][STAGES.index(stage)]
        for state in STATES:
            proposal, contributors = make_proposal(workshop, state, relation)
            want = _may(letters, actor) and state in PROPOSAL_STATES[name]
            assert call(name, participant, proposal, contributors) is want, (relation, state)


@pytest.mark.parametrize("name", list(WORKSHOP_GRID))
@pytest.mark.parametrize("stage", STAGES, ids=str)
@pytest.mark.parametrize("actor", ACTORS, ids=_ids)
def test_workshop_predicate_grid(actor, stage, name):
    workshop = Workshop(pk=WORKSHOP_PK, stage=stage)
    want = _may(WORKSHOP_GRID[name][STAGES.index(stage)], actor)
    assert getattr(permissions, name)(make_actor(actor), workshop) is want


@pytest.mark.parametrize("stage", STAGES, ids=str)
def test_a_removed_participant_may_do_nothing(stage):
    workshop = Workshop(pk=WORKSHOP_PK, stage=stage)
    for role in Role.values:
        removed = Participant(pk=ACTOR_PK, workshop_id=WORKSHOP_PK, role=role, is_active=False)
        for state in STATES:
            for relation in RELATIONS:
                proposal, contributors = make_proposal(workshop, state, relation)
                for name in PROPOSAL_GRID:
                    assert call(name, removed, proposal, contributors) is False
        for name in WORKSHOP_GRID:
            assert getattr(permissions, name)(removed, workshop) is False


def test_real_fixtures_follow_the_grid_in_the_approve_stage(workshop, facilitator, approver, agent):
    workshop.stage = Stage.APPROVE
    proposal = Proposal(workshop=workshop, state=ProposalState.SHORTLISTED, author=agent)
    for p in (facilitator, approver, agent):
        p.workshop = workshop
    assert permissions.can_decide(approver, proposal, frozenset({agent.pk}))
    assert not permissions.can_decide(approver, proposal, frozenset({agent.pk, approver.pk}))
    assert permissions.can_write_notes(agent, proposal)
