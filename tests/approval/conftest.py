"""Shared set-up of the approval tests (the catalogue's tests import it too): a workshop in the
approve stage, approvers, a shortlist, and approving a KPI with its training notes."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.kpis.models import Category, Proposal, ProposalState
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, proposal_with_revision

NOTES = {
    "how_to_read": "Share of contacts solved at the first touch.",
    "when_it_moves": "Look at the repeat contacts by reason.",
    "pitfalls": "Closing tickets early inflates it.",
    "worked_example": "80 of 100 contacts solved first time: 80%.",
}


def make_proposal(workshop, author, name, state=ProposalState.SHORTLISTED, **fields) -> Proposal:
    return proposal_with_revision(
        workshop,
        author,
        state=state,
        name=name,
        measures=f"How we measure {name}",
        category=fields.pop("category", Category.CUSTOMER),
        **{"numerator": "Contacts solved", "denominator": "All contacts", "unit": "%"} | fields,
    )


@pytest.fixture
def approve_workshop(workshop):
    workshop.stage = Stage.APPROVE
    workshop.save(update_fields=["stage"])
    return workshop


@pytest.fixture
def approvers(approve_workshop):
    return [
        ParticipantFactory(workshop=approve_workshop, role=Role.LEADERSHIP, display_name=n)
        for n in ("Lia", "Marco", "Sara")
    ]


@pytest.fixture
def shortlist(approve_workshop, agent):
    return [make_proposal(approve_workshop, agent, n) for n in ("FCR", "NPS", "AHT")]


def approve_all(proposals, approver, facilitator, language="en"):
    for p in proposals:
        approval_services.approval_decide(
            actor=approver, proposal=p, decision=Decision.APPROVE, reason="Clear and useful."
        )
        approval_services.training_notes_save(
            actor=facilitator, proposal=p, language=language, **NOTES
        )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Exports are written to storage: keep them out of the working tree."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _outbox_in_the_test_thread(settings):
    """Publishing runs in a background thread in the embedded set-up (issue 17); these tests
    run it in their own thread, inside their transaction, to look at the result at once.
    Tests of the background run itself turn it back on."""
    settings.KPIW_OUTBOX_THREADS = False
