"""Full grids (7 roles as members and as guests, anonymous, a facilitator of another
organisation, × 8 stages) for the run-sheet's predicates."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.runsheet import permissions
from kpiworkshop.workshops.models import STAGE_ORDER, Stage
from tests.factories import ParticipantFactory

LETTERS = {
    "F": Role.FACILITATOR, "L": Role.LEADERSHIP, "M": Role.MANAGER, "S": Role.SUPERVISOR,
    "A": Role.AGENT, "C": Role.CUSTOMER, "K": Role.STAKEHOLDER,
}  # fmt: skip
ALL = " ".join(LETTERS)
OPEN_STAGES = [s for s in STAGE_ORDER if s != Stage.ARCHIVED]

#: Edit and run: the workshop's facilitators with an account, every stage but archived.
EDIT = {s: ("F" if s in OPEN_STAGES else "") for s in STAGE_ORDER}
RUN = EDIT
#: Follow the countdown: everyone taking part, guests included, in every stage.
FOLLOW = {s: ALL for s in STAGE_ORDER}
FOLLOW_GUESTS = FOLLOW
#: The report: facilitators with an account, archived workshops included.
REPORT = {s: "F" for s in STAGE_ORDER}
#: A guest never reaches the controls or the report, whatever role a code gave them.
NOBODY = {s: "" for s in STAGE_ORDER}

PREDICATES = {
    "edit": (permissions.can_edit_sheet, EDIT, NOBODY),
    "run": (permissions.can_run_sheet, RUN, NOBODY),
    "follow": (permissions.can_follow_sheet, FOLLOW, FOLLOW_GUESTS),
    "report": (permissions.can_see_report, REPORT, NOBODY),
}


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("name", PREDICATES)
def test_runsheet_permission_grid(name, stage, workshop):
    predicate, members_grid, guests_grid = PREDICATES[name]
    workshop.stage = stage
    workshop.save(update_fields=["stage"])
    members = {k: ParticipantFactory(workshop=workshop, role=r) for k, r in LETTERS.items()}
    guests = {
        k: ParticipantFactory(workshop=workshop, role=r, guest=True) for k, r in LETTERS.items()
    }
    other_org = ParticipantFactory(role=Role.FACILITATOR)
    got_members = {k: predicate(p, workshop) for k, p in members.items()}
    got_guests = {k: predicate(p, workshop) for k, p in guests.items()}
    assert got_members == {k: k in members_grid[stage].split() for k in LETTERS}
    assert got_guests == {k: k in guests_grid[stage].split() for k in LETTERS}
    assert predicate(None, workshop) is False
    assert predicate(other_org, workshop) is False


def test_an_inactive_facilitator_cannot_run_the_sheet(workshop):
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR, is_active=False)
    assert not permissions.can_run_sheet(facilitator, workshop)
    assert not permissions.can_edit_sheet(facilitator, workshop)
