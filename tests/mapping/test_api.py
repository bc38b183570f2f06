from kpiworkshop.accounts.models import Role
from kpiworkshop.mapping import services
from kpiworkshop.workshops.models import Stage
from tests.conftest import login
from tests.factories import BusinessGoalFactory, MembershipFactory


def _urls(w):
    base = f"/api/v1/workshops/{w}/map/"
    return [base + "goals", base + "audiences", base + "links", base + "coverage"]


def test_api_reads_goals_links_and_coverage(client, kpi, manager, goal, audience):
    services.goal_link_set(
        actor=manager, proposal=kpi, goal_id=goal.pk, strength="primary", why="Fewer repeats"
    )
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="accountable"
    )
    login(client, manager)
    goals, audiences, links, coverage = (client.get(u) for u in _urls(kpi.workshop_id))
    assert [g["name"] for g in goals.json()] == ["Reduce repeat contacts"]
    assert [a["name"] for a in audiences.json()] == ["Team leaders"]
    row = links.json()[0]
    assert row["name"] == "First contact resolution"
    assert row["goal_links"][0] == {
        "id": row["goal_links"][0]["id"],
        "goal_id": goal.pk,
        "strength": "primary",
        "why": "Fewer repeats",
    }
    assert row["audience_links"][0]["relation"] == "accountable"
    body = coverage.json()
    assert body["total"] == 17
    assert {"goal_id": goal.pk, "proposal_id": kpi.pk, "strength": "primary"} in body["matrix"]


def test_api_refuses_an_outsider(client, kpi, other_org_participant, goal):
    login(client, other_org_participant)
    for url in _urls(kpi.workshop_id):
        assert client.get(url).status_code == 404, url


def test_api_anonymous_is_refused(client, kpi):
    for url in _urls(kpi.workshop_id):
        assert client.get(url).status_code in (401, 404), url


def test_api_member_not_joined_reads(client, kpi, organisation):
    member = MembershipFactory(organisation=organisation, role=Role.MANAGER).user
    client.force_login(member)
    assert client.get(_urls(kpi.workshop_id)[3]).status_code == 200


def test_api_links_closed_before_the_map_stage(client, kpi, manager):
    kpi.workshop.stage = Stage.VOTE
    kpi.workshop.save()
    login(client, manager)
    goals, _aud, links, coverage = (client.get(u) for u in _urls(kpi.workshop_id))
    assert goals.status_code == 200
    assert links.status_code == 404 and coverage.status_code == 404


def test_api_hides_internal_counter_metric_from_customers(client, kpi, manager, organisation):
    from kpiworkshop.kpis.models import Proposal

    services.counter_metric_set(actor=manager, proposal=kpi, text="Customer effort")
    Proposal.objects.filter(pk=kpi.pk).update(internal_fields=["counter_metric_text"])
    customer = MembershipFactory(organisation=organisation, role=Role.CUSTOMER).user
    client.force_login(customer)
    row = client.get(_urls(kpi.workshop_id)[2]).json()[0]
    assert row["counter_metric_text"] == ""
    login(client, manager)
    row = client.get(_urls(kpi.workshop_id)[2]).json()[0]
    assert row["counter_metric_text"] == "Customer effort"


def test_api_goals_of_another_org_never_listed(client, kpi, manager):
    BusinessGoalFactory(name="Their secret goal")
    login(client, manager)
    assert "Their secret goal" not in client.get(_urls(kpi.workshop_id)[0]).content.decode()
