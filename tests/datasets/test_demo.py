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


def test_demo_gives_a_library_kpi_the_library_definition(workshop, facilitator, agent):
    """The demo's library KPIs compute what their words say (AHT in seconds, as its unit)."""
    from kpiworkshop.datasets import library
    from kpiworkshop.datasets.definition import Definition
    from kpiworkshop.kpis.models import LibraryKPI

    kpi_services.library_load()
    lib = LibraryKPI.objects.get(slug="average-handling-time")
    proposal = kpi_services.proposal_create(
        actor=agent,
        workshop=workshop,
        library_kpi=lib,
        definition=kpi_services.library_definition(library_kpi=lib, language="en"),
    )
    assert demo.demo_seed(organisation=workshop.organisation) == 1
    saved = KpiDefinition.objects.get(revision=proposal.current_revision)
    expected = library.library_spec(lib.slug, breakdowns=lib.breakdowns)
    assert Definition.from_dict(saved.spec) == Definition.from_dict(expected)
