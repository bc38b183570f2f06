import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.mapping import services
from kpiworkshop.mapping.models import (
    DEFAULT_AUDIENCES,
    DEFAULT_GOALS,
    Audience,
    AudienceLink,
    BusinessGoal,
    GoalLink,
)
from tests.factories import BusinessGoalFactory


def test_defaults_ensure_creates_goals_and_audiences_once(organisation):
    assert services.defaults_ensure(organisation=organisation) == (
        len(DEFAULT_GOALS),
        len(DEFAULT_AUDIENCES),
    )
    assert services.defaults_ensure(organisation=organisation) == (0, 0)
    churn = BusinessGoal.objects.get(organisation=organisation, key="churn")
    assert churn.parent.key == "loyalty"
    assert Audience.objects.filter(organisation=organisation).count() == len(DEFAULT_AUDIENCES)


def test_default_goal_has_a_name_per_language_each_renamed_on_its_own(organisation):
    # Issue 17 item 4: a name per organisation language, not a translation of the English.
    services.defaults_ensure(organisation=organisation)
    goal = BusinessGoal.objects.get(organisation=organisation, key="cost")
    assert goal.name == "Reduce repeat contacts and cost to serve"
    with translation.override("it"):
        assert goal.label == goal.name_it != goal.name
    goal.name = "Lower cost per contact"
    with translation.override("it"):
        assert goal.label == "Ridurre i ricontatti e il costo del servizio"
    goal.name_it = "Costo per contatto più basso"
    with translation.override("it"):
        assert goal.label == "Costo per contatto più basso"
    with translation.override("en"):
        assert goal.label == "Lower cost per contact"


def test_goal_link_set_records_who_and_audits(kpi, manager, goal):
    link = services.goal_link_set(
        actor=manager, proposal=kpi, goal_id=goal.pk, strength="primary", why="Fewer repeats"
    )
    assert link.created_by == manager
    assert link.strength == "primary"
    assert AuditEvent.objects.filter(action="goal_link.create", target_id=str(link.pk)).exists()


def test_second_primary_goal_is_refused_and_changes_nothing(kpi, manager, goal, goal2):
    services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk, strength="primary")
    with pytest.raises(ValidationError) as err:
        services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal2.pk, strength="primary")
    assert "Reduce repeat contacts" in str(err.value)
    assert list(GoalLink.objects.filter(proposal=kpi).values_list("goal", flat=True)) == [goal.pk]


def test_database_allows_one_primary_only(kpi, manager, goal, goal2):
    GoalLink.objects.create(proposal=kpi, goal=goal, strength="primary", created_by=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalLink.objects.create(proposal=kpi, goal=goal2, strength="primary", created_by=manager)


def test_database_allows_one_accountable_only(kpi, manager, audience, audience2):
    AudienceLink.objects.create(
        proposal=kpi, audience=audience, relation="accountable", created_by=manager
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AudienceLink.objects.create(
            proposal=kpi, audience=audience2, relation="accountable", created_by=manager
        )


def test_goal_of_another_organisation_is_never_linked(kpi, manager):
    foreign = BusinessGoalFactory()
    with pytest.raises(BusinessGoal.DoesNotExist):
        services.goal_link_set(actor=manager, proposal=kpi, goal_id=foreign.pk)
    assert not GoalLink.objects.exists()


def test_agent_cannot_map(kpi, agent, goal):
    with pytest.raises(PermissionDenied):
        services.goal_link_set(actor=agent, proposal=kpi, goal_id=goal.pk)


def test_second_accountable_is_refused_and_changes_nothing(kpi, manager, audience, audience2):
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="accountable"
    )
    with pytest.raises(ValidationError) as err:
        services.audience_link_set(
            actor=manager, proposal=kpi, audience_id=audience2.pk, relation="accountable"
        )
    assert "Team leaders" in str(err.value)
    assert AudienceLink.objects.count() == 1


def test_same_audience_may_see_and_act(kpi, manager, audience):
    for relation in ("sees", "acts", "accountable"):
        services.audience_link_set(
            actor=manager, proposal=kpi, audience_id=audience.pk, relation=relation
        )
    # Saving again updates in place.
    link = services.audience_link_set(
        actor=manager,
        proposal=kpi,
        audience_id=audience.pk,
        relation="sees",
        cadence="daily",
        place="other",
        place_note="Monday huddle",
    )
    assert AudienceLink.objects.count() == 3
    assert link.where_shown == "Monday huddle"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"relation": "owns"},
        {"relation": "sees", "cadence": "hourly"},
        {"relation": "sees", "place": "moon"},
        {"relation": "sees", "place_note": "x" * 500},
    ],
)
def test_bad_audience_link_input_changes_nothing(kpi, manager, audience, kwargs):
    with pytest.raises(ValidationError):
        services.audience_link_set(actor=manager, proposal=kpi, audience_id=audience.pk, **kwargs)
    assert not AudienceLink.objects.exists()


def test_kpi_not_on_this_map_is_refused(map_workshop, manager, goal):
    from .conftest import make_kpi

    withdrawn = make_kpi(map_workshop, manager, state="withdrawn")
    with pytest.raises(PermissionDenied):
        services.goal_link_set(actor=manager, proposal=withdrawn, goal_id=goal.pk)
    make_kpi(map_workshop, manager)  # a shortlist exists: open proposals are off the map
    open_one = make_kpi(map_workshop, manager, state="open")
    with pytest.raises(ValidationError):
        services.goal_link_set(actor=manager, proposal=open_one, goal_id=goal.pk)
    assert not GoalLink.objects.exists()


def test_retired_goal_is_not_offered(kpi, manager, goal):
    goal.is_active = False
    goal.save()
    with pytest.raises(BusinessGoal.DoesNotExist):
        services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)


def test_mapping_is_closed_outside_the_map_stage(kpi, manager, goal):
    kpi.workshop.stage = "approve"
    kpi.workshop.save()
    with pytest.raises(PermissionDenied):
        services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)


def test_remove_links_is_audited(kpi, manager, goal, audience):
    g = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    a = services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="sees"
    )
    services.goal_link_remove(actor=manager, link=g)
    services.audience_link_remove(actor=manager, link=a)
    assert not GoalLink.objects.exists() and not AudienceLink.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"goal_link.remove", "audience_link.remove"} <= actions


def test_breakdowns_validate_values(kpi, manager):
    from kpiworkshop.mapping.models import ReportingBreakdown

    services.breakdowns_set(
        actor=manager, proposal=kpi, dimension="identity", values=["registered", "prospect"]
    )
    with pytest.raises(ValidationError):
        services.breakdowns_set(actor=manager, proposal=kpi, dimension="identity", values=["alien"])
    with pytest.raises(ValidationError):
        services.breakdowns_set(actor=manager, proposal=kpi, dimension="mood", values=["x"])
    with pytest.raises(ValidationError):
        services.breakdowns_set(
            actor=manager, proposal=kpi, dimension="request_type", values=["y" * 81]
        )
    assert set(ReportingBreakdown.objects.values_list("value", flat=True)) == {
        "registered",
        "prospect",
    }
    services.breakdowns_set(
        actor=manager, proposal=kpi, dimension="identity", values=["unidentified"]
    )
    assert list(ReportingBreakdown.objects.values_list("value", flat=True)) == ["unidentified"]


def test_counter_metric_from_library_or_words_or_another_kpi(kpi, manager, map_workshop):
    from kpiworkshop.kpis.models import LibraryKPI, Proposal

    from .conftest import make_kpi

    LibraryKPI.objects.create(
        slug="aht",
        category="technical",
        translations={"en": {"name": "Average handling time"}, "it": {"name": "Tempo medio"}},
    )
    rev = services.counter_metric_set(actor=manager, proposal=kpi, library_slug="aht")
    assert rev.counter_metric_text == "Average handling time"
    assert rev.number == 2 and rev.name == "First contact resolution"
    assert (rev.note_code, rev.change_note) == ("counter_metric_mapped", "")  # a code, no words
    assert rev.note == "Counter-metric set while mapping"
    with translation.override("it"):
        assert rev.note == "Contro-metrica impostata durante la mappatura"
    with pytest.raises(ValidationError):
        services.counter_metric_set(actor=manager, proposal=kpi, library_slug="aht")
    with pytest.raises(ValidationError):
        services.counter_metric_set(actor=manager, proposal=kpi, counter_proposal_id=kpi.pk)
    with pytest.raises(ValidationError):
        services.counter_metric_set(
            actor=manager, proposal=kpi, library_slug="aht", text="also words"
        )
    with pytest.raises(LibraryKPI.DoesNotExist):
        services.counter_metric_set(actor=manager, proposal=kpi, library_slug="nope")
    foreign = make_kpi(
        __import__("tests.factories", fromlist=["WorkshopFactory"]).WorkshopFactory(), manager
    )
    with pytest.raises(Proposal.DoesNotExist):
        services.counter_metric_set(actor=manager, proposal=kpi, counter_proposal_id=foreign.pk)
    other = make_kpi(map_workshop, manager, "Repeat contacts")
    rev = services.counter_metric_set(actor=manager, proposal=kpi, counter_proposal_id=other.pk)
    assert rev.counter_metric_proposal == other and rev.counter_metric_text == ""
    assert AuditEvent.objects.filter(action="counter_metric.set").count() == 2


def test_link_comment_open_to_all_in_map_stage_only(kpi, manager, agent, guest_customer, goal):
    link = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    for actor in (agent, guest_customer):
        services.link_comment_create(
            actor=actor, goal_link=link, stance="concern", body="Not actionable"
        )
    with pytest.raises(ValidationError):
        services.link_comment_create(actor=agent, goal_link=link, stance="concern", body="  ")
    with pytest.raises(ValidationError):
        services.link_comment_create(actor=agent, goal_link=link, stance="angry", body="x")
    kpi.workshop.stage = "approve"
    kpi.workshop.save()
    link.proposal.workshop.stage = "approve"
    with pytest.raises(PermissionDenied):
        services.link_comment_create(actor=agent, goal_link=link, stance="concern", body="late")


def test_goal_tree_is_two_levels_and_managed_by_keepers(map_workshop, facilitator, manager):
    with pytest.raises(PermissionDenied):
        services.goal_save(actor=manager, workshop=map_workshop, name="X")
    top = services.goal_save(actor=facilitator, workshop=map_workshop, name="Loyalty")
    child = services.goal_save(
        actor=facilitator, workshop=map_workshop, name="Reduce churn", parent_id=top.pk
    )
    with pytest.raises(ValidationError):
        services.goal_save(
            actor=facilitator, workshop=map_workshop, name="Deeper", parent_id=child.pk
        )
    with pytest.raises(ValidationError):
        services.goal_save(
            actor=facilitator, workshop=map_workshop, goal=top, name="Loyalty", parent_id=top.pk
        )
    with pytest.raises(BusinessGoal.DoesNotExist):
        services.goal_save(
            actor=facilitator,
            workshop=map_workshop,
            name="X",
            parent_id=BusinessGoalFactory().pk,
        )
    with pytest.raises(ValidationError):
        services.goal_save(actor=facilitator, workshop=map_workshop, name="")
    assert AuditEvent.objects.filter(action="goal.create").count() == 2


def test_map_settings_bounds(map_workshop, facilitator, manager):
    with pytest.raises(PermissionDenied):
        services.map_settings_update(actor=manager, workshop=map_workshop, act_on_limit=5)
    for bad in (0, 101, "seven"):
        with pytest.raises(ValidationError):
            services.map_settings_update(actor=facilitator, workshop=map_workshop, act_on_limit=bad)
    assert (
        services.map_settings_update(
            actor=facilitator, workshop=map_workshop, act_on_limit=5
        ).act_on_limit
        == 5
    )


def test_facilitator_hides_a_link_comment_with_a_reason(
    kpi, manager, agent, facilitator, goal, client
):
    from django.urls import reverse

    from kpiworkshop.mapping.models import LinkComment
    from tests.conftest import login

    link = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    comment = services.link_comment_create(
        actor=agent, goal_link=link, stance="concern", body="Rude words"
    )
    assert AuditEvent.objects.filter(action="link_comment.create").exists()
    with pytest.raises(PermissionDenied):
        services.link_comment_hide(actor=manager, comment=comment, reason="x")
    with pytest.raises(ValidationError):
        services.link_comment_hide(actor=facilitator, comment=comment, reason="  ")
    url = reverse("mapping:comment_hide", args=[kpi.workshop_id, kpi.pk, comment.pk])
    login(client, facilitator)
    response = client.post(url, {"reason": "Offensive"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rude words" not in body and "Offensive" in body
    comment = LinkComment.objects.get()
    assert comment.hidden_by == facilitator
    assert AuditEvent.objects.get(action="link_comment.hide").details == {"reason": "Offensive"}
    other = reverse("mapping:comment_hide", args=[kpi.workshop_id, kpi.pk + 1, comment.pk])
    assert client.post(other, {"reason": "x"}).status_code == 404
