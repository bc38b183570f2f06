import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Category, Proposal, ProposalState
from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, proposal_with_revision


def make_proposal(workshop, author, name: str, state=ProposalState.OPEN) -> Proposal:
    return proposal_with_revision(
        workshop,
        author,
        state=state,
        name=name,
        measures=f"How we measure {name}",
        category=Category.CUSTOMER,
    )


@pytest.fixture
def vote_workshop(workshop):
    workshop.stage = Stage.VOTE
    workshop.save(update_fields=["stage"])
    return workshop


@pytest.fixture
def proposals(vote_workshop, facilitator):
    return [make_proposal(vote_workshop, facilitator, n) for n in ("FCR", "NPS", "AHT")]


@pytest.fixture
def people(vote_workshop):
    """Three agents and three customers (a group of three is shown even in secret ballots)."""
    agents = [
        ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True) for _ in range(3)
    ]
    customers = [
        ParticipantFactory(workshop=vote_workshop, role=Role.CUSTOMER, guest=True) for _ in range(3)
    ]
    return agents, customers


@pytest.fixture
def open_ballot(vote_workshop, facilitator, proposals):
    def make(method=Method.DOTS, **kwargs):
        ballot = services.ballot_create(
            actor=facilitator,
            workshop=vote_workshop,
            title=kwargs.pop("title", f"{method} round"),
            method=method,
            **kwargs,
        )
        return services.ballot_open(actor=facilitator, ballot=ballot)

    return make
