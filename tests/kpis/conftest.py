import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import LibraryKPI
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory

DEFINITION = {
    "name": "Repeat contact rate in digital channels",
    "measures": "Share of requests that come back within 7 days on chat or e-mail.",
    "category": "customer",
    "channels": ["chat", "email"],
    "denominator": "All requests closed in the period",
}


@pytest.fixture
def supervisor(workshop):
    return ParticipantFactory(workshop=workshop, role=Role.SUPERVISOR, display_name="Sara")


@pytest.fixture
def proposal(workshop, agent):
    return services.proposal_create(actor=agent, workshop=workshop, definition=dict(DEFINITION))


@pytest.fixture
def refine(workshop, proposal):
    """The workshop moved to refine, after ``proposal`` was made in the propose stage."""
    workshop.stage = Stage.REFINE
    workshop.save()
    return workshop


@pytest.fixture
def library_kpi(db):
    return LibraryKPI.objects.create(
        slug="first-contact-resolution",
        category="customer",
        channels=["voice", "chat"],
        direction="higher",
        frequency="weekly",
        purposes=["steer"],
        breakdowns=["channel"],
        counter_metric="",
        translations={
            "en": {"name": "First contact resolution", "measures": "Solved at first contact."},
            "it": {
                "name": "Risoluzione al primo contatto",
                "measures": "Risolte al primo contatto.",
            },
        },
    )
