"""The KPI tree's predicates as a full grid: every role x every stage, plus another
organisation's participant, an inactive one and anonymous."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.mapping import permissions
from kpiworkshop.workshops.models import STAGE_ORDER, Participant, Stage, Workshop

PREDICATES = (
    permissions.can_propose_tree_link,
    permissions.can_take_tree_stance,
    permissions.can_decide_tree_link,
)


def _setup(role: str, stage: str):
    workshop = Workshop(pk=1, organisation_id=1, stage=stage)
    return Participant(pk=10, workshop_id=1, role=role, is_active=True), workshop


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_anyone_in_the_room_proposes_and_takes_stances_in_map_only(role, stage):
    actor, workshop = _setup(role, stage)
    # Agents and customers too: the tree is the room's argument.
    assert permissions.can_propose_tree_link(actor, workshop) == (stage == Stage.MAP)
    assert permissions.can_take_tree_stance(actor, workshop) == (stage == Stage.MAP)


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_only_the_facilitator_decides_links_in_map(role, stage):
    actor, workshop = _setup(role, stage)
    assert permissions.can_decide_tree_link(actor, workshop) == (
        role == Role.FACILITATOR and stage == Stage.MAP
    )


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_other_organisation_inactive_and_anonymous_get_nothing(stage):
    _a, workshop = _setup(Role.FACILITATOR, stage)
    other_org = Participant(pk=20, workshop_id=2, role=Role.FACILITATOR, is_active=True)
    inactive = Participant(pk=21, workshop_id=1, role=Role.FACILITATOR, is_active=False)
    for actor in (None, other_org, inactive):
        for predicate in PREDICATES:
            assert not predicate(actor, workshop)
