"""A quorum change racing a decision (PostgreSQL only, like the other race tests): whichever
commits first, the KPI ends as the decisions and the final quorum say (issue 17, item 1)."""

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.kpis.models import ProposalState
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory
from tests.races import RACE_TEST, run_at_once

from .conftest import make_proposal

pytestmark = RACE_TEST


def test_lowering_the_quorum_while_an_approver_decides_never_leaves_the_kpi_waiting():
    workshop = WorkshopFactory(stage=Stage.APPROVE)
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    author = ParticipantFactory(workshop=workshop, role=Role.AGENT)
    approvers = [ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP) for _ in range(2)]
    kpis = [make_proposal(workshop, author, f"KPI {i}") for i in range(8)]
    for kpi in kpis:
        approval_services.approval_set_quorum(actor=facilitator, workshop=workshop, quorum=2)

        def act(i, kpi=kpi):
            if i == 0:
                return approval_services.approval_decide(
                    actor=approvers[0], proposal=kpi, decision=Decision.APPROVE, reason="Yes."
                )
            return approval_services.approval_set_quorum(
                actor=facilitator, workshop=workshop, quorum=1
            )

        results = run_at_once(2, act)
        assert not any(isinstance(r, Exception) for r in results), results
        kpi.refresh_from_db()
        assert kpi.state == ProposalState.APPROVED
