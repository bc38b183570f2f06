"""A GET of a mapping page never writes: the defaults are created by writes only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.mapping import services
from kpiworkshop.mapping.models import Audience, BusinessGoal
from tests.conftest import login

HX = {"HTTP_HX_REQUEST": "true"}
WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(client, url, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.parametrize("htmx", [False, True])
def test_get_of_every_mapping_page_writes_nothing(client, kpi, facilitator, goal, audience, htmx):
    """The organisation lacks the defaults, the case where pages used to create them."""
    login(client, facilitator)
    w = kpi.workshop_id
    urls = [
        reverse("mapping:map", args=[w]),
        reverse("mapping:map", args=[w]) + "?page=2",
        reverse("mapping:coverage", args=[w]),
        reverse("mapping:audiences", args=[w]),
        reverse("mapping:audience", args=[w, audience.pk]),
        reverse("mapping:goals", args=[w]),
        reverse("mapping:goal_create", args=[w]),
        reverse("mapping:goal_edit", args=[w, goal.pk]),
        reverse("mapping:audience_create", args=[w]),
        reverse("mapping:audience_edit", args=[w, audience.pk]),
        reverse("mapping:kpi", args=[w, kpi.pk]),
    ]
    for url in urls:
        assert _writes(client, url, **(HX if htmx else {})) == [], url
    assert BusinessGoal.objects.count() == 1
    assert Audience.objects.count() == 1


def test_goals_page_offers_the_defaults_to_keepers_and_adds_them_on_post(
    client, map_workshop, facilitator, manager
):
    goals_url = reverse("mapping:goals", args=[map_workshop.pk])
    login(client, manager)
    assert "defaults-add" not in client.get(goals_url).content.decode()
    login(client, facilitator)
    assert "defaults-add" in client.get(goals_url).content.decode()
    response = client.post(reverse("mapping:defaults_add", args=[map_workshop.pk]))
    assert response.status_code == 302
    body = client.get(goals_url).content.decode()
    assert "defaults-add" not in body
    assert "Reduce repeat contacts and cost to serve" in body
    assert AuditEvent.objects.filter(action="defaults.add").count() == 1


def test_defaults_add_is_refused_to_a_manager(client, map_workshop, manager):
    login(client, manager)
    response = client.post(reverse("mapping:defaults_add", args=[map_workshop.pk]))
    assert response.status_code == 403
    assert not BusinessGoal.objects.exists()


def test_defaults_add_twice_adds_once(map_workshop, facilitator):
    assert services.defaults_add(actor=facilitator, workshop=map_workshop) != (0, 0)
    assert services.defaults_add(actor=facilitator, workshop=map_workshop) == (0, 0)
    assert AuditEvent.objects.filter(action="defaults.add").count() == 1


def test_data_migration_gives_existing_organisations_the_defaults(organisation, goal):
    import importlib

    from django.apps import apps

    from kpiworkshop.mapping.models import DEFAULT_AUDIENCES, DEFAULT_GOALS

    migration = importlib.import_module(
        "kpiworkshop.mapping.migrations.0005_default_goals_for_every_organisation"
    )
    assert list(migration.GOAL_PARENTS) == list(DEFAULT_GOALS)
    assert list(migration.AUDIENCE_LEVELS) == [k for k in DEFAULT_AUDIENCES]
    migration.add_missing_defaults(apps, None)
    migration.add_missing_defaults(apps, None)
    assert BusinessGoal.objects.count() == 1 + len(DEFAULT_GOALS)
    assert Audience.objects.count() == len(DEFAULT_AUDIENCES)
    churn = BusinessGoal.objects.get(key="churn")
    assert churn.parent.key == "loyalty"
    assert {a.key: a.level for a in Audience.objects.all()} == {
        k: v[0] for k, v in DEFAULT_AUDIENCES.items()
    }
    # The same texts as the service writes.
    assert services.defaults_ensure(organisation=organisation) == (0, 0)
