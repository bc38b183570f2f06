import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.datasets import selectors, services
from kpiworkshop.datasets.models import Dataset, KpiDefinition

from .conftest import REPEAT_RATE


def test_definition_set_stores_the_validated_spec(facilitator, proposal, dataset):
    kpi = services.definition_set(
        actor=facilitator.user,
        revision=proposal.current_revision,
        dataset=dataset,
        spec=REPEAT_RATE,
    )
    assert kpi.organisation_id == proposal.workshop.organisation_id
    assert kpi.spec["numerator"]["agg"] == "count"
    assert kpi.spec["filters"][0]["value"] == ["chat", "email", "social"]
    assert selectors.definition_for_revision(revision_id=proposal.current_revision_id) == kpi
    assert AuditEvent.objects.filter(action="dataset.definition_set").count() == 1


def test_definition_is_written_once_per_revision(facilitator, proposal, dataset):
    revision = proposal.current_revision
    services.definition_set(
        actor=facilitator.user, revision=revision, dataset=dataset, spec=REPEAT_RATE
    )
    # The same again is accepted (a double submit), a different one needs a new revision.
    services.definition_set(
        actor=facilitator.user, revision=revision, dataset=dataset, spec=REPEAT_RATE
    )
    with pytest.raises(ValidationError, match="new revision"):
        services.definition_set(
            actor=facilitator.user,
            revision=revision,
            dataset=dataset,
            spec={**REPEAT_RATE, "grain": "week"},
        )
    assert KpiDefinition.objects.count() == 1


def test_definition_set_refuses_a_bad_spec(facilitator, proposal, dataset):
    with pytest.raises(ValidationError):
        services.definition_set(
            actor=facilitator.user,
            revision=proposal.current_revision,
            dataset=dataset,
            spec={**REPEAT_RATE, "where": "1 = 1; DROP TABLE ds"},
        )
    assert not KpiDefinition.objects.exists()


def test_definition_set_refuses_other_people_and_other_organisations(
    facilitator, agent, other_org_participant, proposal, dataset
):
    with pytest.raises(PermissionDenied):
        services.definition_set(
            actor=agent.user, revision=proposal.current_revision, dataset=dataset, spec=REPEAT_RATE
        )
    foreign = Dataset.objects.create(
        organisation_id=other_org_participant.workshop.organisation_id, name="contacts"
    )
    with pytest.raises(PermissionDenied):
        services.definition_set(
            actor=facilitator.user,
            revision=proposal.current_revision,
            dataset=foreign,
            spec=REPEAT_RATE,
        )


def test_steward_set_by_facilitator_only(facilitator, agent, workshop):
    with pytest.raises(PermissionDenied):
        services.steward_set(
            actor=agent.user,
            organisation_id=workshop.organisation_id,
            user=agent.user,
            steward=True,
        )
    services.steward_set(
        actor=facilitator.user,
        organisation_id=workshop.organisation_id,
        user=agent.user,
        steward=True,
    )
    role = selectors.data_role(user=agent.user, organisation_id=workshop.organisation_id)
    assert role.steward is True
    services.steward_set(
        actor=facilitator.user,
        organisation_id=workshop.organisation_id,
        user=agent.user,
        steward=False,
    )
    role = selectors.data_role(user=agent.user, organisation_id=workshop.organisation_id)
    assert role.steward is False


def test_dataset_names_are_unique_per_organisation(facilitator, dataset):
    with pytest.raises(ValidationError):
        services.dataset_create(
            actor=facilitator.user, organisation_id=dataset.organisation_id, name="contacts"
        )
