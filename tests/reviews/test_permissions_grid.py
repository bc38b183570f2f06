"""Every predicate of ``reviews.permissions`` as a full grid, against tables written out here
independently of the code (as ``tests/workshops/test_permissions.py`` does for the workshop and
``tests/catalog/test_permissions_grid.py`` for the catalogue's readers). A new ``can_*`` without
a row here fails the first test.

Reader predicates (feedback, values, reviews) take a ``catalog.permissions.Reader``: the grid is
every organisation role × own organisation / another organisation / anonymous. The review
workshop's predicate takes a participant: every role × every stage, plus a facilitator of another
organisation's workshop, a removed participant and anonymous. Letters: F facilitator,
L leadership, M manager, S supervisor, A agent, C customer, K stakeholder; "-" nobody."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.mapping.models import DEFAULT_AUDIENCES
from kpiworkshop.reviews import permissions
from kpiworkshop.workshops.models import Participant, Stage, Workshop
from tests.approval.test_permissions_grid import (
    ACTOR_PK,
    ACTORS,
    WORKSHOP_PK,
    _ids,
    _may,
    make_actor,
)
from tests.catalog.test_permissions_grid import MEMBERSHIPS, ORG, OWN, make_reader
from tests.workshops.test_permissions import ALL, LETTERS, STAGES

#: predicate -> which roles of the organisation's own readers may (another organisation's
#: reader and anonymous never may).
READER_SPEC = {
    "can_give_feedback": ALL,  # on the current release only
    "can_moderate_feedback": "F",
    "can_see_feedback_comments": "FLM",
    "can_record_values": "F",  # plus the roles standing for the KPI's accountable audience
    "can_manage_reviews": "F",
}
#: default audience -> the roles that stand for it when it is accountable for a KPI.
AUDIENCE_SPEC = {
    "agents": "A",
    "team_leaders": "S",
    "cc_managers": "M",
    "cx_leadership": "L",
    "planning": "MK",
    "digital": "MK",
    "outsourced": "SM",
    "customers": "",
}

# fmt: off
#: predicate -> who may, stage by stage (in a review workshop).
WORKSHOP_GRID: dict[str, tuple[str, ...]] = {
    #                        draft propose refine vote map  approve published archived
    "can_set_review_kinds": ("-",  "F",    "F",   "-", "-", "-",    "-",      "-"),
}
# fmt: on


def test_the_spec_covers_every_predicate_stage_role_and_audience():
    public = {
        n for n in dir(permissions) if n.startswith("can_") and callable(getattr(permissions, n))
    }
    assert public == set(READER_SPEC) | set(WORKSHOP_GRID)
    assert [s.value for s in Stage] == STAGES
    assert all(len(row) == len(STAGES) for row in WORKSHOP_GRID.values())
    assert set(AUDIENCE_SPEC) == set(DEFAULT_AUDIENCES)


def _reader_may(name: str, role: str, membership: str, extra: str = "") -> bool:
    return membership == OWN and role in {LETTERS[ch] for ch in READER_SPEC[name] + extra}


@pytest.mark.parametrize(
    "name", [n for n in READER_SPEC if n not in ("can_give_feedback", "can_record_values")]
)
@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("role", Role.values, ids=str)
def test_reader_predicate_grid(role, membership, name):
    want = _reader_may(name, role, membership)
    assert getattr(permissions, name)(make_reader(role, membership), ORG) is want


@pytest.mark.parametrize("is_current", [True, False])
@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("role", Role.values, ids=str)
def test_feedback_grid(role, membership, is_current):
    want = _reader_may("can_give_feedback", role, membership) and is_current
    reader = make_reader(role, membership)
    assert permissions.can_give_feedback(reader, ORG, is_current=is_current) is want


@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("role", Role.values, ids=str)
def test_record_values_grid(role, membership):
    reader = make_reader(role, membership)
    for audience, standing_for in AUDIENCE_SPEC.items():
        for kind in ("accountable", "sees", "acts"):
            extra = standing_for if kind == "accountable" else ""
            want = _reader_may("can_record_values", role, membership, extra)
            audiences = [{"slug": audience, "name": audience, "kind": kind}]
            assert permissions.can_record_values(reader, ORG, audiences) is want, (audience, kind)


@pytest.mark.parametrize("role", Role.values, ids=str)
def test_record_values_with_no_audience_or_several(role):
    reader = make_reader(role, OWN)
    assert permissions.can_record_values(reader, ORG, []) is (role == Role.FACILITATOR)
    both = [
        {"slug": "agents", "name": "Agents", "kind": "accountable"},
        {"slug": "cx_leadership", "name": "CX", "kind": "accountable"},
    ]
    want = role in (Role.FACILITATOR, Role.AGENT, Role.LEADERSHIP)
    assert permissions.can_record_values(reader, ORG, both) is want


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
        for name in WORKSHOP_GRID:
            assert getattr(permissions, name)(removed, workshop) is False
