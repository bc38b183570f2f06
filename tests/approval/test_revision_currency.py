"""An approval is about one revision (issue 20): when the definition changes before publishing,
the decisions on the earlier revision are void, the quorum counts only decisions on the current
one, the approver sees what changed and decides again, a decision form that showed an older
revision is refused, and publishing skips (and refuses to start with) void approvals."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpiworkshop.approval import currency
from kpiworkshop.approval import selectors as approval_selectors
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Approval, Decision
from kpiworkshop.catalog import services as catalog_services
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import ProposalState
from kpiworkshop.mapping import services as mapping_services
from kpiworkshop.workshops.models import Stage

from .conftest import NOTES, make_proposal

HX = {"HTTP_HX_REQUEST": "true"}


def _stage(workshop, stage):
    workshop.stage = stage
    workshop.save(update_fields=["stage"])


def counter_metric_edit(proposal, facilitator, text="Repeat contacts"):
    """The facilitator goes back to Map, gives the approved KPI a counter-metric (a new
    revision), and returns to Approve: the way a definition changes after a decision."""
    workshop = proposal.workshop
    _stage(workshop, Stage.MAP)
    proposal.refresh_from_db()
    revision = mapping_services.counter_metric_set(actor=facilitator, proposal=proposal, text=text)
    _stage(workshop, Stage.APPROVE)
    proposal.refresh_from_db()
    return revision


@pytest.fixture
def fcr(approve_workshop, agent):
    return make_proposal(approve_workshop, agent, "FCR", target="75 %")


def _approve(proposal, approver, **kw):
    return approval_services.approval_decide(
        actor=approver, proposal=proposal, decision=Decision.APPROVE, reason="Clear.", **kw
    )


def test_an_edit_after_approval_voids_it_and_sends_the_kpi_back_to_the_shortlist(
    fcr, approvers, facilitator
):
    decision = _approve(fcr, approvers[0])
    fcr.refresh_from_db()
    assert fcr.state == ProposalState.APPROVED
    old = fcr.current_revision_id

    counter_metric_edit(fcr, facilitator)
    decision.refresh_from_db()
    assert fcr.state == ProposalState.SHORTLISTED
    assert decision.revision_id == old and decision.superseded_at is not None
    assert currency.is_void(decision, fcr.current_revision_id)
    event = AuditEvent.objects.filter(action="approval.void").get()
    assert event.details["decisions"] == 1
    assert (event.details["from"], event.details["to"]) == ("approved", "shortlisted")


def test_the_approver_decides_again_on_the_new_revision(fcr, approvers, facilitator):
    _approve(fcr, approvers[0])
    counter_metric_edit(fcr, facilitator)
    again = _approve(fcr, approvers[0], revision=fcr.current_revision_id)
    fcr.refresh_from_db()
    assert again.revision_id == fcr.current_revision_id
    assert fcr.state == ProposalState.APPROVED
    assert Approval.objects.filter(proposal=fcr, superseded_at__isnull=True).count() == 1


def test_the_quorum_counts_only_decisions_on_the_current_revision(
    approve_workshop, fcr, approvers, facilitator
):
    approval_services.approval_set_quorum(actor=facilitator, workshop=approve_workshop, quorum=2)
    _approve(fcr, approvers[0])
    counter_metric_edit(fcr, facilitator)
    _approve(fcr, approvers[1])
    fcr.refresh_from_db()
    assert fcr.state == ProposalState.SHORTLISTED  # 1 of 2 on the current revision
    # Lowering the quorum settles it again, on current decisions only.
    approval_services.approval_set_quorum(actor=facilitator, workshop=approve_workshop, quorum=1)
    fcr.refresh_from_db()
    assert fcr.state == ProposalState.APPROVED


def test_a_decision_on_an_earlier_revision_never_counts_even_if_left_open(
    approve_workshop, fcr, approvers, facilitator
):
    """Defence in depth: a path that made a revision current without the hook (a row left
    current on an earlier revision) still does not count towards the quorum."""
    _approve(fcr, approvers[0])
    current = fcr.current_revision
    revision = kpi_services._revision_new(
        proposal=fcr,
        author=facilitator,
        definition=current.definition() | {"target": "80 %"},
        counter_metric_proposal=None,
    )
    Approval.objects.filter(proposal=fcr).update(superseded_at=None)  # as if never closed
    fcr.refresh_from_db()
    assert approval_services._settle(fcr, 1, frozenset()) == ProposalState.SHORTLISTED
    assert revision.pk == fcr.current_revision_id


def test_a_form_that_showed_an_older_revision_is_refused(fcr, approvers, facilitator):
    shown = fcr.current_revision_id
    counter_metric_edit(fcr, facilitator)
    with pytest.raises(ValidationError) as refused:
        _approve(fcr, approvers[0], revision=shown)
    assert "changed since you opened it" in str(refused.value)
    assert not Approval.objects.filter(proposal=fcr).exists()


def test_publishing_skips_and_refuses_void_approvals(approve_workshop, fcr, approvers, facilitator):
    _approve(fcr, approvers[0])
    approval_services.training_notes_save(actor=facilitator, proposal=fcr, language="en", **NOTES)
    assert [p.pk for p in approval_selectors.approved_proposals(workshop=approve_workshop)] == [
        fcr.pk
    ]
    # A void approval left on an approved KPI (whatever path changed the revision):
    kpi_services._REVISION_HOOKS.remove(currency.approvals_void_on_revision)
    try:
        counter_metric_edit(fcr, facilitator)
    finally:
        kpi_services.revision_hook_register(currency.approvals_void_on_revision)
    assert fcr.state == ProposalState.APPROVED
    assert approval_selectors.approved_proposals(workshop=approve_workshop) == []
    blockers = catalog_services.publish_blockers(workshop=approve_workshop, language="en")
    assert blockers == ["“FCR” changed since it was approved: its approvers decide again."]


def test_an_approved_kpi_without_decisions_is_still_published(approve_workshop, agent):
    """KPIs approved without any decision (a fixture, a carried-over review) are not void."""
    kept = make_proposal(approve_workshop, agent, "Kept", state=ProposalState.APPROVED)
    assert approval_selectors.approved_proposals(workshop=approve_workshop) == [kept]


# --- the board -----------------------------------------------------------------------------


def test_board_shows_the_void_decision_and_the_changes_to_its_approver(
    client, approve_workshop, fcr, approvers, facilitator
):
    _approve(fcr, approvers[0])
    counter_metric_edit(fcr, facilitator)
    client.force_login(approvers[0].user)
    url = reverse("approval:board", args=[approve_workshop.pk])
    page = client.get(url).content.decode()
    assert "void — definition changed since your decision" in page
    assert 'data-testid="changes-since"' in page
    assert "<ins>Repeat contacts</ins>" in page
    assert f'name="revision" value="{fcr.current_revision_id}"' in page
    # Another approver sees the decision as void, without "your".
    client.force_login(approvers[1].user)
    page = client.get(url).content.decode()
    assert "void — definition changed since this decision" in page
    assert 'data-testid="changes-since"' not in page


def test_deciding_again_from_the_board_with_and_without_htmx(
    client, approve_workshop, fcr, approvers, facilitator
):
    _approve(fcr, approvers[0])
    counter_metric_edit(fcr, facilitator)
    client.force_login(approvers[0].user)
    url = reverse("approval:decide", args=[approve_workshop.pk, fcr.pk])
    data = {"decision": "approve", "reason": "Still clear.", "revision": fcr.current_revision_id}
    response = client.post(url, data, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'data-testid="changes-since"' not in body
    fcr.refresh_from_db()
    assert fcr.state == ProposalState.APPROVED


def test_a_stale_form_is_refused_on_the_board_with_the_changes(
    client, approve_workshop, fcr, approvers, facilitator
):
    shown = fcr.current_revision_id
    counter_metric_edit(fcr, facilitator)
    client.force_login(approvers[0].user)
    url = reverse("approval:decide", args=[approve_workshop.pk, fcr.pk])
    data = {"decision": "approve", "reason": "Yes.", "revision": shown}
    body = client.post(url, data, **HX).content.decode()
    assert "changed since you opened it" in body
    assert 'data-testid="changes-since"' in body
    assert not Approval.objects.filter(proposal=fcr).exists()
    response = client.post(url, data)  # without htmx: back to the board with the message
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "changed since you opened it" in page


@pytest.mark.parametrize("bad", ["abc", "0", "99999999999999999999999"])
def test_a_bad_revision_in_the_form_is_refused_without_500(
    client, approve_workshop, fcr, approvers, bad
):
    client.force_login(approvers[0].user)
    url = reverse("approval:decide", args=[approve_workshop.pk, fcr.pk])
    response = client.post(url, {"decision": "approve", "reason": "Yes.", "revision": bad}, **HX)
    assert response.status_code == 200
    assert not Approval.objects.filter(proposal=fcr).exists()


def test_board_query_count_does_not_grow_with_void_decisions(
    client, approve_workshop, agent, approvers, facilitator, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kpis = [make_proposal(approve_workshop, agent, f"KPI {i}") for i in range(6)]
    client.force_login(approvers[0].user)
    url = reverse("approval:board", args=[approve_workshop.pk])
    _approve(kpis[0], approvers[0])
    counter_metric_edit(kpis[0], facilitator)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for k in kpis[1:]:
        _approve(k, approvers[0])
        counter_metric_edit(k, facilitator)
    with CaptureQueriesContext(connection) as six:
        client.get(url)
    assert len(six.captured_queries) == len(one.captured_queries)
