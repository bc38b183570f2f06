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


def test_default_goal_name_is_translated_until_renamed(organisation):
    services.defaults_ensure(organisation=organisation)
    goal = BusinessGoal.objects.get(organisation=organisation, key="cost")
    assert goal.name == "Reduce repeat contacts and cost to serve"
    with translation.override("it"):
        assert goal.label != goal.name
    goal.name = "Lower cost per contact"
    with translation.override("it"):
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
