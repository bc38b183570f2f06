import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.datasets import demo
from kpiworkshop.datasets.models import DatasetVersion, KpiDefinition, VersionStatus
from kpiworkshop.datasets.preview import definition_preview
from kpiworkshop.kpis import services as kpi_services
from tests.factories import ParticipantFactory


def _propose(workshop, author, name):
    return kpi_services.proposal_create(
        actor=author,
        workshop=workshop,
        definition={"name": name, "measures": "As the demo has it.", "category": "customer"},
    )


def test_demo_seeds_contacts_and_definitions_once(workshop, facilitator, agent, supervisor):
    computable = _propose(workshop, agent, "Repeat contacts in digital channels")
    missing = _propose(workshop, agent, "Fatigue pulse after multichannel shifts")
    assert demo.demo_seed(organisation=workshop.organisation) == 2
    assert demo.demo_seed(organisation=workshop.organisation) == 0  # idempotent
    version = DatasetVersion.objects.get()
    assert version.status == VersionStatus.READY
    assert version.row_count == 40000
    assert version.column_map()["wait_time_s"]["description"]

    one = KpiDefinition.objects.get(revision=computable.current_revision)
    result = definition_preview(actor=agent, kpi_definition=one)
    assert result["computable"] is True
    assert set(result["breakdowns"]) == set(demo.DIMENSIONS)

    flagged = KpiDefinition.objects.get(revision=missing.current_revision)
    result = definition_preview(actor=agent, kpi_definition=flagged)
    assert result["computable"] is False
    assert result["missing"] == ["fatigue_pulse_score"]
    assert missing.feasibility_reviews.get().verdict == "missing"  # by the demo's steward


@pytest.fixture
def supervisor(workshop):
    return ParticipantFactory(workshop=workshop, role=Role.SUPERVISOR)
