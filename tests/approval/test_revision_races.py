"""An edit racing an approval (PostgreSQL only, like the other race tests; issue 20): exactly one
outcome. Either the decision commits first, on the old revision, and the edit then voids it; or
the edit commits first and the decision, whose form showed the old revision, is refused. Never an
approval counted on a definition the approver did not see."""

from django.core.exceptions import ValidationError
from django.db import transaction

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Approval, Decision
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import ProposalState
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory
from tests.races import RACE_TEST, run_at_once

from .conftest import make_proposal

pytestmark = RACE_TEST


def _edit(proposal, author):
    """A new revision, written as the services write one: in a transaction, under the KPI's
    row lock (the approve stage itself allows no edit, so the test calls the writer)."""
    with transaction.atomic():
        locked = kpi_services._lock(proposal)
        current = locked.current_revision
        return kpi_services._revision_new(
            proposal=locked,
            author=author,
            definition=current.definition() | {"target": "90 %"},
            counter_metric_proposal=None,
        )


def test_an_edit_racing_an_approval_has_exactly_one_outcome():
    workshop = WorkshopFactory(stage=Stage.APPROVE)
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    author = ParticipantFactory(workshop=workshop, role=Role.AGENT)
    approver = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    outcomes = set()
    for i in range(8):
        kpi = make_proposal(workshop, author, f"KPI {i}")
        shown = kpi.current_revision_id

        def act(n, kpi=kpi, shown=shown):
            if n == 0:
                return approval_services.approval_decide(
                    actor=approver,
                    proposal=kpi,
                    decision=Decision.APPROVE,
                    reason="Yes.",
                    revision=shown,
                )
            return _edit(kpi, facilitator)

        decided, edited = run_at_once(2, act)
        assert not isinstance(edited, Exception), edited
        kpi.refresh_from_db()
        assert kpi.current_revision_id == edited.pk
        # Never approved on a definition the approver did not see.
        assert kpi.state == ProposalState.SHORTLISTED
        if isinstance(decided, ValidationError):
            assert "changed since you opened it" in str(decided)
            assert not Approval.objects.filter(proposal=kpi).exists()
            outcomes.add("refused")
        else:
            assert not isinstance(decided, Exception), decided
            decided.refresh_from_db()
            assert decided.revision_id == shown and decided.superseded_at is not None
            outcomes.add("void")
    assert outcomes  # each run ended one of the two ways (which one is up to the scheduler)
