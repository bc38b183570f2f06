import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.datasets import selectors, services
from kpiworkshop.datasets.models import FeasibilityReview


def test_steward_records_a_verdict_on_the_current_revision(steward, proposal):
    review = services.feasibility_record(
        actor=steward.user, proposal=proposal, verdict="partial", note=" CSAT only by e-mail "
    )
    assert review.revision_id == proposal.current_revision_id
    assert review.note == "CSAT only by e-mail"
    assert AuditEvent.objects.filter(action="dataset.feasibility").count() == 1


def test_the_latest_verdict_is_the_one_shown(steward, facilitator, proposal):
    services.feasibility_record(actor=steward.user, proposal=proposal, verdict="missing")
    services.feasibility_record(actor=facilitator.user, proposal=proposal, verdict="available")
    latest = selectors.feasibility_for_proposals(proposal_ids=[proposal.pk])
    assert latest[proposal.pk].verdict == "available"
    assert FeasibilityReview.objects.count() == 2  # the history is kept


def test_a_verdict_must_be_one_of_the_three(steward, proposal):
    with pytest.raises(ValidationError):
        services.feasibility_record(actor=steward.user, proposal=proposal, verdict="maybe")
    assert not FeasibilityReview.objects.exists()


def test_others_cannot_record_a_verdict(agent, approver, other_org_participant, proposal):
    for person in (agent, approver, other_org_participant):
        with pytest.raises(PermissionDenied):
            services.feasibility_record(actor=person.user, proposal=proposal, verdict="available")
    assert not FeasibilityReview.objects.exists()


def test_steward_records_a_verdict_on_the_page_and_leadership_sees_it(
    client, steward, approver, proposal
):
    from django.urls import reverse

    from tests.conftest import login

    page_url = reverse("datasets:kpi", args=[proposal.workshop_id, proposal.pk])
    login(client, steward)
    response = client.post(
        reverse("datasets:feasibility", args=[proposal.workshop_id, proposal.pk]),
        {"verdict": "partial", "note": "NPS only from March"},
    )
    assert response.status_code == 302
    login(client, approver)
    page = client.get(page_url)
    assert b"Data partly available" in page.content
    assert b"NPS only from March" in page.content
    assert b'name="verdict"' not in page.content  # leadership reads it, does not record it
    response = client.post(
        reverse("datasets:feasibility", args=[proposal.workshop_id, proposal.pk]),
        {"verdict": "available"},
    )
    assert response.status_code == 404


def test_the_workshop_history_puts_the_events_into_words(steward, facilitator, proposal, dataset):
    from kpiworkshop.workshops.selectors import history_for_workshop

    from .conftest import REPEAT_RATE

    services.definition_set(
        actor=facilitator.user,
        revision=proposal.current_revision,
        dataset=dataset,
        spec=REPEAT_RATE,
    )
    services.feasibility_record(actor=steward.user, proposal=proposal, verdict="available")
    labels = {str(e.label) for e in history_for_workshop(workshop=proposal.workshop)}
    assert {"gave a KPI its computable definition", "reviewed a KPI's feasibility"} <= labels
