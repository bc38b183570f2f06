"""The mapping predicates as a full grid: every role x every stage, plus outsiders and
anonymous."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.mapping import permissions
from kpiworkshop.workshops.models import STAGE_ORDER, Participant, Stage, Workshop

MAPPERS = {Role.FACILITATOR, Role.MANAGER, Role.STAKEHOLDER, Role.SUPERVISOR, Role.LEADERSHIP}


def _setup(role: str, stage: str, state=ProposalState.SHORTLISTED):
    workshop = Workshop(pk=1, organisation_id=1, stage=stage)
    actor = Participant(pk=10, workshop_id=1, role=role, is_active=True)
    proposal = Proposal(pk=5, workshop=workshop, author_id=11, state=state)
    return actor, workshop, proposal


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_map_grid(role, stage):
    actor, workshop, proposal = _setup(role, stage)
    expected = stage == Stage.MAP and role in MAPPERS
    assert permissions.can_map(actor, workshop) == expected
    assert permissions.can_map_proposal(actor, proposal) == expected


@pytest.mark.parametrize("state", ProposalState.values)
def test_map_proposal_only_in_mapped_states(state):
    actor, _workshop, proposal = _setup(Role.MANAGER, Stage.MAP, state=state)
    mapped = state in {"shortlisted", "approved", "changes_requested", "open"}
    assert permissions.can_map_proposal(actor, proposal) == mapped


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_comment_on_link_grid(role, stage):
    actor, workshop, _p = _setup(role, stage)
    # Agents and customers too: anyone taking part, in the Map stage only.
    assert permissions.can_comment_on_link(actor, workshop) == (stage == Stage.MAP)


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_manage_goals_and_configure_grid(role, stage):
    actor, workshop, _p = _setup(role, stage)
    keeper = role in {Role.FACILITATOR, Role.LEADERSHIP}
    assert permissions.can_manage_goals(actor, workshop) == (keeper and stage != Stage.ARCHIVED)
    assert permissions.can_configure(actor, workshop) == (
        role == Role.FACILITATOR and stage != Stage.ARCHIVED
    )


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_map_open_from_the_map_stage(stage):
    _a, workshop, _p = _setup(Role.AGENT, stage)
    assert permissions.map_open(workshop) == (
        STAGE_ORDER.index(stage) >= STAGE_ORDER.index(Stage.MAP)
    )


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_outsiders_inactive_and_anonymous_get_nothing(stage):
    _a, workshop, proposal = _setup(Role.FACILITATOR, stage)
    outsider = Participant(pk=20, workshop_id=2, role=Role.FACILITATOR, is_active=True)
    inactive = Participant(pk=21, workshop_id=1, role=Role.FACILITATOR, is_active=False)
    for actor in (None, outsider, inactive):
        assert not permissions.can_map(actor, workshop)
        assert not permissions.can_map_proposal(actor, proposal)
        assert not permissions.can_comment_on_link(actor, workshop)
        assert not permissions.can_manage_goals(actor, workshop)
        assert not permissions.can_configure(actor, workshop)
