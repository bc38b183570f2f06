"""The publish task's queries do not grow with the release's size (DESIGN.md §8: a 500-KPI
release is published in one worker run; a query per KPI would be 500 of them)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog import services
from kpiworkshop.catalog.exports import tabular
from kpiworkshop.catalog.models import CatalogRelease, Export, PublishState
from kpiworkshop.mapping.models import AudienceLink, GoalLink
from kpiworkshop.workshops.models import Stage
from tests.factories import (
    AudienceFactory,
    BusinessGoalFactory,
    OrganisationFactory,
    ParticipantFactory,
    WorkshopFactory,
)

from .conftest import approve_all, make_proposal, publish


def _approved_workshop(n: int):
    """A workshop of its own organisation with ``n`` approved KPIs, each with notes, a goal
    and two audiences (of 3, so every release has 3 audience packs)."""
    organisation = OrganisationFactory()
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    approver = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    author = ParticipantFactory(workshop=workshop, role=Role.AGENT)
    goals = [BusinessGoalFactory(organisation=organisation) for _ in range(2)]
    audiences = [AudienceFactory(organisation=organisation) for _ in range(3)]
    proposals = [make_proposal(workshop, author, f"KPI {i:02d}") for i in range(n)]
    approve_all(proposals, approver, facilitator)
    for i, p in enumerate(proposals):
        GoalLink.objects.create(
            proposal=p, goal=goals[i % 2], strength="primary", created_by=facilitator
        )
        for k in range(2):
            AudienceLink.objects.create(
                proposal=p, audience=audiences[(i + k) % 3], relation="sees", created_by=facilitator
            )
    return workshop, facilitator


def _build_queries(n: int, capture) -> int:
    workshop, facilitator = _approved_workshop(n)
    with capture(execute=False):  # the build is run below, counted on its own
        job = publish(workshop, facilitator)
    with CaptureQueriesContext(connection) as queries:
        release = services.release_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == PublishState.DONE, job.error
    assert release.entries.count() == n
    assert Export.objects.filter(release=release, format="pdf").count() == 4  # whole + 3
    return len(queries)


@pytest.mark.django_db
def test_publish_build_queries_do_not_grow_with_the_kpis(
    monkeypatch, django_capture_on_commit_callbacks
):
    # The PDF packs are laid out from the release document alone (no query): left out here,
    # they would make this test take a minute.
    monkeypatch.setattr(
        tabular,
        "_pdf_packs",
        lambda doc, others, on_step=None, whole=True: [b"%PDF-"] * (len(others) + whole),
    )
    small = _build_queries(10, django_capture_on_commit_callbacks)
    large = _build_queries(30, django_capture_on_commit_callbacks)
    assert CatalogRelease.objects.count() == 2
    assert small == large
    assert large <= 45
