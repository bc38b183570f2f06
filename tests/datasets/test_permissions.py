import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.datasets import permissions as dp
from kpiworkshop.datasets.permissions import DataRole
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory

ORG = 1
OTHER = 2


@pytest.mark.parametrize("role", [*Role.values, None])
@pytest.mark.parametrize("steward", [False, True])
@pytest.mark.parametrize("organisation_id", [ORG, OTHER])
def test_row_level_data_only_for_facilitator_and_steward(role, steward, organisation_id):
    who = DataRole(organisation_id=organisation_id, role=role, steward=steward)
    expected = organisation_id == ORG and (
        role == Role.FACILITATOR or (steward and role is not None)
    )
    assert dp.can_see_rows(who, ORG) is expected
    assert dp.can_manage_datasets(who, ORG) is expected


def test_anonymous_sees_no_rows():
    assert dp.can_see_rows(None, ORG) is False
    assert dp.can_manage_datasets(None, ORG) is False


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("stage", Stage.values)
@pytest.mark.parametrize("guest", [False, True])
def test_preview_for_everyone_who_sees_the_workshop(role, stage, guest):
    workshop = WorkshopFactory(stage=stage)
    actor = ParticipantFactory(workshop=workshop, role=role, guest=guest)
    from kpiworkshop.workshops import permissions as wp

    assert dp.can_preview(actor, workshop, workshop.organisation_id) is wp.can_view(actor, workshop)
    assert dp.can_preview(actor, workshop, workshop.organisation_id + 1) is False
    assert dp.can_preview(None, workshop, workshop.organisation_id) is False


def test_only_the_facilitator_of_the_organisation_names_stewards():
    from kpiworkshop.datasets.permissions import DataRole, can_name_stewards

    assert can_name_stewards(DataRole(1, Role.FACILITATOR, False), 1)
    assert not can_name_stewards(DataRole(1, Role.FACILITATOR, False), 2)
    assert not can_name_stewards(DataRole(1, Role.SUPERVISOR, True), 1)
    assert not can_name_stewards(DataRole(1, Role.AGENT, False), 1)
    assert not can_name_stewards(None, 1)
