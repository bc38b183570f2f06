from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import LibraryKPI
from tests.conftest import login
from tests.factories import ParticipantFactory

from .conftest import DEFINITION


def test_api_lists_proposals_with_current_revision(client, workshop, agent, facilitator):
    p = services.proposal_create(
        actor=agent, workshop=workshop, definition=DEFINITION | {"owner": "Ops lead"}
    )
    services.proposal_revise(actor=agent, proposal=p, definition={"unit": "%"})
    login(client, agent)
    data = client.get(f"/api/v1/workshops/{workshop.pk}/proposals").json()
    assert data[0]["revision"] == 2 and data[0]["definition"]["unit"] == "%"
    assert data[0]["definition"]["owner"] == "Ops lead"


def test_api_hides_internal_fields_from_customers(client, workshop, agent, facilitator):
    customer = ParticipantFactory(workshop=workshop, role="customer")
    p = services.proposal_create(
        actor=agent, workshop=workshop, definition=DEFINITION | {"owner": "Ops lead"}
    )
    services.proposal_set_internal_fields(actor=facilitator, proposal=p, fields=["owner"])
    login(client, customer)
    data = client.get(f"/api/v1/workshops/{workshop.pk}/proposals").json()
    assert "owner" not in data[0]["definition"]


def test_api_404_for_other_organisation(client, workshop, other_org_participant):
    login(client, other_org_participant)
    assert client.get(f"/api/v1/workshops/{workshop.pk}/proposals").status_code == 404
    assert client.get("/api/v1/workshops/999999/proposals").status_code == 404


def test_api_needs_authentication(client, workshop):
    assert client.get(f"/api/v1/workshops/{workshop.pk}/proposals").status_code == 401


def test_api_library(client, agent, library_kpi):
    login(client, agent)
    data = client.get("/api/v1/library?channel=chat").json()
    assert [k["slug"] for k in data] == [library_kpi.slug]
    assert data[0]["name"] == "First contact resolution"
    assert LibraryKPI.objects.count() == 1


def test_proposals_api_query_count_does_not_grow(client, workshop, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, agent)
    counts = []
    made = 0
    for n in (1, 10, 100):
        for i in range(made, n):
            services.proposal_create(
                actor=agent, workshop=workshop, definition=DEFINITION | {"name": f"KPI {i}"}
            )
        made = n
        with CaptureQueriesContext(connection) as ctx:
            data = client.get(f"/api/v1/workshops/{workshop.pk}/proposals").json()
        assert len(data) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2], counts
