"""Every predicate of ``catalog.permissions`` as a full grid, against tables written out here
independently of the code (as ``tests/workshops/test_permissions.py`` does for the workshop).

``can_publish`` takes a participant: every role × every stage, plus a facilitator of another
organisation's workshop and anonymous (the approve stage's predicates:
tests/approval/test_permissions_grid.py). Letters: F facilitator, L leadership, M manager,
S supervisor, A agent, C customer, K stakeholder; "-" nobody.

Catalogue predicates (reading, seeing internal fields) take a ``Reader``: how someone belongs to
the organisation whose published catalogue it is, so they have no stage; the grid is every
role × own organisation / another organisation / anonymous (guests read through the role of
the workshop they joined, e.g. a customer). The reviews' predicates (feedback, values, reviews):
tests/reviews/test_permissions_grid.py."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog import permissions
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.workshops.models import Participant, Stage, Workshop
from tests.approval.test_permissions_grid import (
    ACTOR_PK,
    ACTORS,
    WORKSHOP_PK,
    _ids,
    _may,
    make_actor,
)
from tests.workshops.test_permissions import ALL, LETTERS, STAGES

# fmt: off
#: predicate -> who may, stage by stage.
WORKSHOP_GRID: dict[str, tuple[str, ...]] = {
    #                      draft propose refine vote map  approve published archived
    "can_publish":        ("-",  "-",    "-",   "-", "-", "F",    "-",      "-"),
}
# fmt: on


def test_the_spec_covers_every_predicate_stage_role_and_state():
    public = {
        n for n in dir(permissions) if n.startswith("can_") and callable(getattr(permissions, n))
    }
    assert public == set(WORKSHOP_GRID) | set(READER_SPEC)
    assert [s.value for s in Stage] == STAGES
    assert all(len(row) == len(STAGES) for row in WORKSHOP_GRID.values())


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


def test_real_fixtures_follow_the_grid_in_the_approve_stage(workshop, facilitator, approver):
    workshop.stage = Stage.APPROVE
    for p in (facilitator, approver):
        p.workshop = workshop
    assert permissions.can_publish(facilitator, workshop)
    assert not permissions.can_publish(approver, workshop)


# --- the catalogue: readers of the organisation ----------------------------------------------

ORG = 1
OWN, OTHER, NOBODY = "own organisation", "another organisation", "anonymous"
MEMBERSHIPS = [OWN, OTHER, NOBODY]

#: predicate -> which roles of the organisation's own readers may (another organisation's
#: reader and anonymous never may).
READER_SPEC = {
    "can_read_catalogue": ALL,
    "can_see_internal": "FLMSAK",  # asks about the reader only: see its own test
}


def make_reader(role: str, membership: str) -> Reader | None:
    if membership == NOBODY:
        return None
    return Reader(ORG if membership == OWN else ORG + 1, role)


def _reader_may(name: str, role: str, membership: str) -> bool:
    return membership == OWN and role in {LETTERS[ch] for ch in READER_SPEC[name]}


@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("role", Role.values, ids=str)
def test_read_catalogue_grid(role, membership):
    want = _reader_may("can_read_catalogue", role, membership)
    assert permissions.can_read_catalogue(make_reader(role, membership), ORG) is want


@pytest.mark.parametrize("membership", MEMBERSHIPS)
@pytest.mark.parametrize("role", Role.values, ids=str)
def test_see_internal_grid(role, membership):
    # Asks only what kind of reader this is; whether they may read this organisation's
    # catalogue at all is can_read_catalogue's question, asked first by every caller.
    want = membership != NOBODY and role in {LETTERS[ch] for ch in READER_SPEC["can_see_internal"]}
    assert permissions.can_see_internal(make_reader(role, membership)) is want
