"""A quorum change re-evaluates every KPI it affects, in both directions, in the same
transaction as the change, with an audit event (issue 17, item 1)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import ApprovalPolicy, Decision
from kpiworkshop.catalog.models import PublishJob, PublishState
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis.models import ProposalState
from kpiworkshop.workshops.models import Stage

from .conftest import make_proposal


def _decide(approver, proposal, decision=Decision.APPROVE):
    return approval_services.approval_decide(
        actor=approver, proposal=proposal, decision=decision, reason="Why not."
    )


def _quorum(workshop, facilitator, n):
    return approval_services.approval_set_quorum(actor=facilitator, workshop=workshop, quorum=n)


def _state(proposal) -> str:
    proposal.refresh_from_db()
    return proposal.state


def test_lowering_the_quorum_approves_a_kpi_that_now_meets_it(
    approve_workshop, facilitator, shortlist, approvers
):
    _quorum(approve_workshop, facilitator, 2)
    _decide(approvers[0], shortlist[0])
    assert _state(shortlist[0]) == ProposalState.SHORTLISTED  # "waiting for the other approvers"
    _quorum(approve_workshop, facilitator, 1)
    assert _state(shortlist[0]) == ProposalState.APPROVED
    assert _state(shortlist[1]) == ProposalState.SHORTLISTED  # no decision: untouched
    event = AuditEvent.objects.get(action="approval.quorum", details__quorum=1)
    assert event.details["previous"] == 2
    assert event.details["changed"] == [
        {"proposal": shortlist[0].pk, "from": "shortlisted", "to": "approved"}
    ]
    settled = AuditEvent.objects.get(action="approval.requorum")
    assert settled.target_id == str(shortlist[0].pk)
    assert settled.details == {"from": "shortlisted", "to": "approved", "quorum": 1}


def test_lowering_the_quorum_rejects_a_kpi_whose_rejections_now_meet_it(
    approve_workshop, facilitator, shortlist, approvers
):
    _quorum(approve_workshop, facilitator, 2)
    _decide(approvers[0], shortlist[0], Decision.REJECT)
    assert _state(shortlist[0]) == ProposalState.SHORTLISTED  # two others could still approve
    _quorum(approve_workshop, facilitator, 1)
    assert _state(shortlist[0]) == ProposalState.REJECTED


def test_raising_the_quorum_takes_back_an_approval_that_no_longer_meets_it(
    approve_workshop, facilitator, shortlist, approvers
):
    _quorum(approve_workshop, facilitator, 2)
    _decide(approvers[0], shortlist[1])
    _decide(approvers[1], shortlist[1])
    _quorum(approve_workshop, facilitator, 1)
    _decide(approvers[0], shortlist[0])
    assert _state(shortlist[0]) == ProposalState.APPROVED
    assert _state(shortlist[1]) == ProposalState.APPROVED
    _quorum(approve_workshop, facilitator, 2)
    assert _state(shortlist[0]) == ProposalState.SHORTLISTED
    assert _state(shortlist[1]) == ProposalState.APPROVED  # two approvals: still meets it
    # The first decision stands; a second approver can now complete the quorum.
    _decide(approvers[1], shortlist[0])
    assert _state(shortlist[0]) == ProposalState.APPROVED
    event = AuditEvent.objects.filter(action="approval.quorum").latest("id")
    assert (event.details["previous"], event.details["quorum"]) == (1, 2)
    assert event.details["changed"] == [
        {"proposal": shortlist[0].pk, "from": "approved", "to": "shortlisted"}
    ]


def test_raising_the_quorum_reopens_a_single_rejection(
    approve_workshop, facilitator, shortlist, approvers
):
    _decide(approvers[0], shortlist[0], Decision.REJECT)
    assert _state(shortlist[0]) == ProposalState.REJECTED
    _quorum(approve_workshop, facilitator, 2)
    # One rejection of two needed, and two approvers still to decide.
    assert _state(shortlist[0]) == ProposalState.SHORTLISTED


def test_quorum_change_leaves_changes_requested_and_undecided_kpis_alone(
    approve_workshop, facilitator, shortlist, approvers, agent
):
    _decide(approvers[0], shortlist[0], Decision.CHANGES)
    rejected_earlier = make_proposal(
        approve_workshop, agent, "Dropped before approval", state=ProposalState.REJECTED
    )
    _quorum(approve_workshop, facilitator, 3)
    _quorum(approve_workshop, facilitator, 1)
    assert _state(shortlist[0]) == ProposalState.CHANGES_REQUESTED
    assert _state(shortlist[1]) == ProposalState.SHORTLISTED
    assert _state(rejected_earlier) == ProposalState.REJECTED  # no decision of this stage
    assert not AuditEvent.objects.filter(action="approval.requorum").exists()


@pytest.mark.parametrize("state", [PublishState.QUEUED, PublishState.RUNNING])
def test_quorum_cannot_change_while_publishing(
    approve_workshop, facilitator, shortlist, approvers, state
):
    _decide(approvers[0], shortlist[0])
    PublishJob.objects.create(
        workshop=approve_workshop,
        requested_by=facilitator,
        state=state,
        language="en",
        effective_date=datetime.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError):
        _quorum(approve_workshop, facilitator, 2)
    assert _state(shortlist[0]) == ProposalState.APPROVED
    assert not ApprovalPolicy.objects.filter(workshop=approve_workshop).exists()


def test_quorum_cannot_change_once_published(approve_workshop, facilitator):
    approve_workshop.stage = Stage.PUBLISHED
    approve_workshop.save(update_fields=["stage"])
    with pytest.raises(PermissionDenied):
        _quorum(approve_workshop, facilitator, 2)


def test_failed_re_evaluation_rolls_back_the_quorum(
    approve_workshop, facilitator, shortlist, approvers, monkeypatch
):
    _quorum(approve_workshop, facilitator, 2)
    _decide(approvers[0], shortlist[0])

    def boom(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(approval_services, "audit_in_workshop", boom)
    with pytest.raises(RuntimeError):
        _quorum(approve_workshop, facilitator, 1)
    assert ApprovalPolicy.objects.get(workshop=approve_workshop).quorum == 2
    assert _state(shortlist[0]) == ProposalState.SHORTLISTED


def test_lowered_quorum_views_show_the_approval_to_the_leader(
    client, approve_workshop, facilitator, shortlist, approvers
):
    """The dead end: after the quorum goes back to 1 the leader's KPI reads Approved."""
    _quorum(approve_workshop, facilitator, 2)
    _decide(approvers[0], shortlist[0])
    client.force_login(facilitator.user)
    page = client.post(f"/w/{approve_workshop.pk}/approve/quorum/", {"quorum": 1}, follow=True)
    assert _state(shortlist[0]) == ProposalState.APPROVED
    assert "Quorum saved. 1 KPI has a new state under it." in page.content.decode()
    client.force_login(approvers[0].user)
    board = client.get(f"/w/{approve_workshop.pk}/approve/").content.decode()
    assert "Waiting for the other approvers" not in board


def test_board_warns_the_facilitator_when_the_quorum_cannot_be_reached(
    client, approve_workshop, facilitator, shortlist, approvers
):
    client.force_login(facilitator.user)
    url = f"/w/{approve_workshop.pk}/approve/"
    assert 'data-testid="quorum-unreachable"' not in client.get(url).content.decode()
    _quorum(approve_workshop, facilitator, 4)  # three approvers
    page = client.get(url).content.decode()
    assert "Only 3 approvers take part in this workshop: a quorum of 4 cannot be reached." in page
