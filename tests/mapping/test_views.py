import pytest
from django.urls import reverse

from kpiworkshop.mapping import services
from kpiworkshop.mapping.models import AudienceLink, GoalLink, LinkComment, ReportingBreakdown
from kpiworkshop.workshops.models import Stage
from tests.conftest import as_guest, login
from tests.factories import AudienceFactory, BusinessGoalFactory

HX = {"HTTP_HX_REQUEST": "true"}


def test_map_page_lists_kpis_and_the_goals_that_exist(client, kpi, manager):
    login(client, manager)
    response = client.get(reverse("mapping:map", args=[kpi.workshop_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "First contact resolution" in body
    # A GET creates nothing: without the defaults the page says so.
    assert "No goals yet." in body
    services.defaults_ensure(organisation=kpi.workshop.organisation)
    body = client.get(reverse("mapping:map", args=[kpi.workshop_id])).content.decode()
    assert "Reduce repeat contacts and cost to serve" in body


def test_map_pages_are_closed_before_the_map_stage(client, kpi, manager):
    kpi.workshop.stage = Stage.VOTE
    kpi.workshop.save()
    login(client, manager)
    assert client.get(reverse("mapping:map", args=[kpi.workshop_id])).status_code == 404
    assert client.get(reverse("mapping:coverage", args=[kpi.workshop_id])).status_code == 404


def test_outsider_gets_404_everywhere(client, kpi, other_org_participant, goal):
    login(client, other_org_participant)
    w = kpi.workshop_id
    for url in [
        reverse("mapping:map", args=[w]),
        reverse("mapping:coverage", args=[w]),
        reverse("mapping:audiences", args=[w]),
        reverse("mapping:kpi", args=[w, kpi.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("mapping:goal_link_add", args=[w, kpi.pk]), {"goal": goal.pk, "strength": "primary"}
    )
    assert response.status_code == 404
    assert not GoalLink.objects.exists()


def test_goal_link_with_htmx_returns_the_editor(client, kpi, manager, goal):
    login(client, manager)
    url = reverse("mapping:goal_link_add", args=[kpi.workshop_id, kpi.pk])
    response = client.post(
        url, {"goal": goal.pk, "strength": "primary", "why": "Fewer repeats"}, **HX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="kpi-editor"' in body
    assert "<html" not in body
    assert "Fewer repeats" in body
    assert "mapChanged" in response.headers["HX-Trigger"]
    assert GoalLink.objects.get().strength == "primary"


def test_goal_link_without_htmx_redirects_to_the_kpi(client, kpi, manager, goal):
    login(client, manager)
    url = reverse("mapping:goal_link_add", args=[kpi.workshop_id, kpi.pk])
    response = client.post(url, {"goal": goal.pk, "strength": "secondary"})
    assert response.status_code == 302
    assert response.url == reverse("mapping:kpi", args=[kpi.workshop_id, kpi.pk])
    assert GoalLink.objects.count() == 1


def test_second_primary_shows_a_message_and_changes_nothing(client, kpi, manager, goal, goal2):
    services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk, strength="primary")
    login(client, manager)
    url = reverse("mapping:goal_link_add", args=[kpi.workshop_id, kpi.pk])
    response = client.post(url, {"goal": goal2.pk, "strength": "primary"}, **HX)
    assert response.status_code == 200
    assert "already has a primary goal" in response.content.decode()
    assert GoalLink.objects.count() == 1
    response = client.post(url, {"goal": goal2.pk, "strength": "primary"})
    assert response.status_code == 400
    assert "already has a primary goal" in response.content.decode()


def test_foreign_goal_id_is_404(client, kpi, manager):
    foreign = BusinessGoalFactory()
    login(client, manager)
    url = reverse("mapping:goal_link_add", args=[kpi.workshop_id, kpi.pk])
    assert client.post(url, {"goal": foreign.pk, "strength": "primary"}).status_code == 404
    assert client.post(url, {"goal": 10**30, "strength": "primary"}).status_code in (400, 404)
    assert not GoalLink.objects.exists()


def test_kpi_of_another_workshop_is_404(client, kpi, manager, goal):
    from tests.mapping.conftest import make_kpi

    other = make_kpi(
        __import__("tests.factories", fromlist=["WorkshopFactory"]).WorkshopFactory(
            organisation=kpi.workshop.organisation, stage=Stage.MAP
        ),
        manager,
    )
    login(client, manager)
    url = reverse("mapping:goal_link_add", args=[kpi.workshop_id, other.pk])
    assert client.post(url, {"goal": goal.pk}).status_code == 404


def test_audience_link_and_remove(client, kpi, manager, audience):
    login(client, manager)
    w = kpi.workshop_id
    response = client.post(
        reverse("mapping:audience_link_add", args=[w, kpi.pk]),
        {"audience": audience.pk, "relation": "acts", "cadence": "daily", "place": "dashboard"},
        **HX,
    )
    assert response.status_code == 200
    link = AudienceLink.objects.get()
    assert (link.relation, link.cadence, link.place) == ("acts", "daily", "dashboard")
    response = client.post(reverse("mapping:audience_link_remove", args=[w, kpi.pk, link.pk]), **HX)
    assert response.status_code == 200
    assert not AudienceLink.objects.exists()


def test_hostile_text_is_escaped_and_huge_text_refused(client, kpi, manager, goal):
    login(client, manager)
    url = reverse("mapping:goal_link_add", args=[kpi.workshop_id, kpi.pk])
    client.post(
        url, {"goal": goal.pk, "strength": "secondary", "why": "<script>alert(1)</script>"}, **HX
    )
    page = client.get(reverse("mapping:kpi", args=[kpi.workshop_id, kpi.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    response = client.post(url, {"goal": goal.pk, "strength": "secondary", "why": "x" * 5000}, **HX)
    assert response.status_code == 200
    assert GoalLink.objects.get().why == "<script>alert(1)</script>"


def test_agent_cannot_map_but_can_comment(client, kpi, manager, agent, goal):
    link = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    login(client, agent)
    w = kpi.workshop_id
    response = client.post(reverse("mapping:goal_link_add", args=[w, kpi.pk]), {"goal": goal.pk})
    assert response.status_code == 403
    page = client.get(reverse("mapping:kpi", args=[w, kpi.pk])).content.decode()
    assert 'data-testid="goal-form"' not in page
    response = client.post(
        reverse("mapping:goal_link_comment", args=[w, kpi.pk, link.pk]),
        {"stance": "concern", "body": "This is not something we can act on"},
        **HX,
    )
    assert response.status_code == 200
    assert "This is not something we can act on" in response.content.decode()
    assert LinkComment.objects.get().author == agent


def test_guest_customer_can_comment_on_a_link(client, kpi, manager, guest_customer, audience):
    link = services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="sees"
    )
    as_guest(client, guest_customer)
    url = reverse("mapping:audience_link_comment", args=[kpi.workshop_id, kpi.pk, link.pk])
    response = client.post(url, {"stance": "question", "body": "Will I see it?"})
    assert response.status_code == 302
    assert LinkComment.objects.get().audience_link == link


def test_breakdowns_form_saves_values(client, kpi, manager):
    login(client, manager)
    url = reverse("mapping:breakdowns", args=[kpi.workshop_id, kpi.pk])
    response = client.post(
        url,
        {
            "handler": ["chatbot", "outsourced_agent"],
            "channel": ["chat"],
            "request_type": "billing, move house, billing",
        },
        **HX,
    )
    assert response.status_code == 200
    values = set(ReportingBreakdown.objects.values_list("dimension", "value"))
    assert values == {
        ("handler", "chatbot"),
        ("handler", "outsourced_agent"),
        ("channel", "chat"),
        ("request_type", "billing"),
        ("request_type", "move house"),
    }
    response = client.post(url, {"handler": ["robot"]}, **HX)
    assert response.status_code == 200
    assert ReportingBreakdown.objects.count() == 5


def test_counter_metric_form_writes_a_revision(client, kpi, manager):
    from tests.mapping.conftest import make_kpi

    other = make_kpi(kpi.workshop, manager, "Average handling time", category="technical")
    login(client, manager)
    url = reverse("mapping:counter_metric", args=[kpi.workshop_id, kpi.pk])
    response = client.post(url, {"counter_proposal": other.pk}, **HX)
    assert response.status_code == 200
    kpi.refresh_from_db()
    assert kpi.current_revision.number == 2
    assert kpi.current_revision.counter_metric_proposal == other
    assert "Average handling time" in response.content.decode()


@pytest.mark.parametrize("name", ["map", "coverage", "audiences", "goals"])
def test_pages_render_for_every_role(client, kpi, manager, agent, guest_customer, name):
    url = reverse(f"mapping:{name}", args=[kpi.workshop_id])
    login(client, manager)
    assert client.get(url).status_code == 200
    login(client, agent)
    assert client.get(url).status_code == 200
    client.logout()
    as_guest(client, guest_customer)
    assert client.get(url).status_code == 200


def test_coverage_fragment_with_htmx(client, kpi, manager):
    login(client, manager)
    url = reverse("mapping:coverage", args=[kpi.workshop_id])
    response = client.get(url, HTTP_HX_TARGET="coverage", **HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="coverage"')
    assert "checks pass" in body


def test_audience_page_groups_by_cadence(client, kpi, manager, audience):
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="acts", cadence="weekly"
    )
    login(client, manager)
    body = client.get(
        reverse("mapping:audience", args=[kpi.workshop_id, audience.pk])
    ).content.decode()
    assert "Weekly" in body and "First contact resolution" in body
    foreign = AudienceFactory()
    assert (
        client.get(reverse("mapping:audience", args=[kpi.workshop_id, foreign.pk])).status_code
        == 404
    )


def test_facilitator_adds_and_edits_a_goal(client, map_workshop, facilitator, manager):
    login(client, manager)
    assert (
        client.post(
            reverse("mapping:goal_create", args=[map_workshop.pk]), {"name": "X"}
        ).status_code
        == 403
    )
    login(client, facilitator)
    response = client.post(
        reverse("mapping:goal_create", args=[map_workshop.pk]),
        {"name": "Grow the app's ratings", "is_active": "on"},
    )
    assert response.status_code == 302
    from kpiworkshop.mapping.models import BusinessGoal

    goal = BusinessGoal.objects.get(name="Grow the app's ratings")
    response = client.post(
        reverse("mapping:goal_edit", args=[map_workshop.pk, goal.pk]),
        {"name": "Better app ratings", "order": 5},
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.name, goal.is_active) == ("Better app ratings", False)


def test_settings_change_threshold(client, map_workshop, facilitator, manager):
    url = reverse("mapping:coverage", args=[map_workshop.pk])
    login(client, manager)
    assert client.post(url, {"act_on_limit": 3}).status_code == 403
    login(client, facilitator)
    assert client.post(url, {"act_on_limit": 0}).status_code == 400
    assert client.post(url, {"act_on_limit": 3}).status_code == 302
    assert map_workshop.map_settings.act_on_limit == 3


def test_map_page_shows_twenty_cards_then_more(client, map_workshop, manager):
    from tests.mapping.conftest import make_kpi

    for i in range(25):
        make_kpi(map_workshop, manager, f"KPI {i:02d}")
    login(client, manager)
    url = reverse("mapping:map", args=[map_workshop.pk])
    body = client.get(url).content.decode()
    assert body.count('data-testid="kpi-card"') == 20
    assert "25 KPIs to map" in body
    assert 'href="?page=2"' in body
    more = client.get(url + "?page=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="map-more")
    assert more.content.decode().count('data-testid="kpi-card"') == 5
    assert "<html" not in more.content.decode()
    assert client.get(url + "?page=abc").status_code == 200


def test_audience_page_lists_a_kpi_once_and_never_says_it_sees_nothing(
    client, map_workshop, manager, audience
):
    """An audience acting on a KPI was told "Sees: Nothing to see yet.", and a KPI it both
    sees and acts on was listed twice."""
    from tests.mapping.conftest import make_kpi

    acted = make_kpi(map_workshop, manager, "Acted on")
    seen = make_kpi(map_workshop, manager, "Only seen")
    for relation in ("sees", "acts"):
        services.audience_link_set(
            actor=manager, proposal=acted, audience_id=audience.pk, relation=relation
        )
    login(client, manager)
    url = reverse("mapping:audience", args=[map_workshop.pk, audience.pk])
    body = client.get(url).content.decode()
    assert body.count(">Acted on</a>") == 1
    assert "Also sees" in body and "Nothing else to see yet." in body
    assert "Nothing to see yet." not in body
    services.audience_link_set(
        actor=manager, proposal=seen, audience_id=audience.pk, relation="sees"
    )
    body = client.get(url).content.decode()
    assert body.count(">Acted on</a>") == 1 and body.count(">Only seen</a>") == 1
    assert "Nothing else to see yet." not in body
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Vede anche" in italian
