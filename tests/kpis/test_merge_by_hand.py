from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Stage
from tests.conftest import login

from .conftest import DEFINITION


def test_facilitator_merges_two_dissimilar_proposals_by_hand(client, workshop, agent, facilitator):
    a = services.proposal_create(actor=agent, workshop=workshop, definition=dict(DEFINITION))
    b = services.proposal_create(
        actor=agent,
        workshop=workshop,
        definition={
            "name": "Agent attrition",
            "measures": "Leavers per year",
            "category": "employee",
        },
    )
    workshop.stage = Stage.REFINE
    workshop.save()
    login(client, facilitator)
    page = client.get(f"/w/{workshop.pk}/proposals/merge/").content.decode()
    assert "Merge two proposals by hand" in page
    client.post(f"/w/{workshop.pk}/proposals/merge/do/", {"source": b.pk, "target": a.pk})
    b = Proposal.objects.get(pk=b.pk)
    assert b.state == ProposalState.MERGED
    assert b.merged_into_id == a.pk


def test_merging_a_proposal_into_itself_is_refused_with_a_message(
    client, workshop, agent, facilitator
):
    a = services.proposal_create(actor=agent, workshop=workshop, definition=dict(DEFINITION))
    workshop.stage = Stage.REFINE
    workshop.save()
    login(client, facilitator)
    response = client.post(
        f"/w/{workshop.pk}/proposals/merge/do/", {"source": a.pk, "target": a.pk}, follow=True
    )
    assert response.status_code == 200
    assert Proposal.objects.get(pk=a.pk).state == ProposalState.OPEN
    assert any(m.level_tag == "error" for m in response.context["messages"])
