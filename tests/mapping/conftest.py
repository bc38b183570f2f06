import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import ProposalState
from kpiworkshop.workshops.models import Stage
from tests.factories import (
    AudienceFactory,
    BusinessGoalFactory,
    ParticipantFactory,
    proposal_with_revision,
)


def make_kpi(
    workshop,
    author,
    name="First contact resolution",
    *,
    category="customer",
    purposes=("steer",),
    state=ProposalState.SHORTLISTED,
    counter_text="",
):
    """A shortlisted KPI with one revision, written directly (fast, for many-KPI tests), and
    the board's version bumped as a service would (``core.versions``)."""
    from tests.conftest import written_outside_services

    proposal = proposal_with_revision(
        workshop,
        author,
        state=state,
        name=name,
        measures=f"What {name} measures.",
        category=category,
        purposes=list(purposes),
        counter_metric_text=counter_text,
    )
    written_outside_services("BOARD", workshop.pk)
    return proposal


@pytest.fixture
def map_workshop(workshop):
    workshop.stage = Stage.MAP
    workshop.save()
    return workshop


@pytest.fixture
def manager(workshop):
    return ParticipantFactory(workshop=workshop, role=Role.MANAGER, display_name="Marta")


@pytest.fixture
def supervisor(workshop):
    return ParticipantFactory(workshop=workshop, role=Role.SUPERVISOR, display_name="Sara")


@pytest.fixture
def kpi(map_workshop, manager):
    return make_kpi(map_workshop, manager)


@pytest.fixture
def goal(organisation):
    return BusinessGoalFactory(organisation=organisation, name="Reduce repeat contacts")


@pytest.fixture
def goal2(organisation):
    return BusinessGoalFactory(organisation=organisation, name="Increase loyalty")


@pytest.fixture
def audience(organisation):
    return AudienceFactory(organisation=organisation, name="Team leaders")


@pytest.fixture
def audience2(organisation):
    return AudienceFactory(organisation=organisation, name="Agents", level="individual")
