"""Issue 17 item 4: goals and audiences have a name (and a description) per organisation
language, English and Italian, shown in the reader's language and edited side by side."""

import importlib

from django.apps import apps
from django.urls import reverse
from django.utils import translation

from kpiworkshop.mapping import services
from kpiworkshop.mapping.models import Audience, BusinessGoal
from tests.conftest import login
from tests.factories import AudienceFactory


def test_defaults_are_created_with_their_italian_names(organisation):
    services.defaults_ensure(organisation=organisation)
    agents = Audience.objects.get(organisation=organisation, key="agents")
    assert (agents.name, agents.name_it) == ("Agents", "Operatori")
    assert agents.description_it == "Le persone che rispondono ai clienti, interne."
    cost = BusinessGoal.objects.get(organisation=organisation, key="cost")
    assert cost.name_it == "Ridurre i ricontatti e il costo del servizio"
    with translation.override("it"):
        assert (agents.label, cost.label) == ("Operatori", cost.name_it)
    for language in ("en", "en-gb"):
        with translation.override(language):
            assert agents.label == "Agents"


def test_label_falls_back_to_the_english_name_and_follows_a_rename(organisation):
    night = AudienceFactory(organisation=organisation, name="Night shift")
    with translation.override("it"):
        assert night.label == "Night shift"
        night.name_it = "Turno di notte"
        assert night.label == "Turno di notte"
        night.description = "Who works at night."
        assert night.description_shown == "Who works at night."
    with translation.override("en"):
        assert night.label == "Night shift"


def test_migration_fills_the_italian_names_of_unchanged_defaults_only(organisation):
    services.defaults_ensure(organisation=organisation)
    Audience.objects.filter(organisation=organisation).update(name_it="", description_it="")
    BusinessGoal.objects.filter(organisation=organisation).update(name_it="", description_it="")
    Audience.objects.filter(key="team_leaders").update(name="Supervisors")  # renamed
    custom = AudienceFactory(organisation=organisation, name="Agents")  # not a default
    migration = importlib.import_module(
        "kpiworkshop.mapping.migrations.0004_default_names_in_italian"
    )
    migration.fill_italian_names(apps, None)
    by_key = {a.key: a for a in Audience.objects.filter(organisation=organisation)}
    assert by_key["agents"].name_it == "Operatori"
    assert by_key["agents"].description_it.startswith("Le persone")
    assert by_key["team_leaders"].name_it == ""  # renamed: its own name everywhere
    assert by_key["team_leaders"].description_it.startswith("Supervisori")
    custom.refresh_from_db()
    assert custom.name_it == ""
    goal = BusinessGoal.objects.get(organisation=organisation, key="churn")
    assert goal.name_it == "Ridurre il churn e trattenere i clienti"


def test_facilitator_edits_both_names_of_an_audience(client, map_workshop, facilitator):
    services.defaults_ensure(organisation=map_workshop.organisation)
    agents = Audience.objects.get(organisation=map_workshop.organisation, key="agents")
    login(client, facilitator)
    url = reverse("mapping:audience_edit", args=[map_workshop.pk, agents.pk])
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert 'name="name" ' in form and 'value="Agents"' in form
    assert 'name="name_it"' in form and 'value="Operatori"' in form
    response = client.post(
        url,
        {
            "name": "Front-line agents",
            "name_it": "Operatori di prima linea",
            "description": "In house.",
            "description_it": "Interni.",
            "level": "individual",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    agents.refresh_from_db()
    assert (agents.name, agents.name_it) == ("Front-line agents", "Operatori di prima linea")
    assert (agents.description, agents.description_it) == ("In house.", "Interni.")
    page = reverse("mapping:goals", args=[map_workshop.pk])
    italian = client.get(page, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    english = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Operatori di prima linea" in italian and "Front-line agents" in english


def test_facilitator_adds_a_goal_with_its_italian_name(client, map_workshop, facilitator):
    login(client, facilitator)
    response = client.post(
        reverse("mapping:goal_create", args=[map_workshop.pk]),
        {
            "name": "Better app ratings",
            "name_it": "Valutazioni migliori dell'app",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    goal = BusinessGoal.objects.get(name="Better app ratings")
    assert goal.name_it == "Valutazioni migliori dell'app"
    # Editing the English name only keeps the Italian one.
    services.goal_save(actor=facilitator, workshop=map_workshop, goal=goal, name="App ratings")
    goal.refresh_from_db()
    assert (goal.name, goal.name_it) == ("App ratings", "Valutazioni migliori dell'app")


def test_migration_texts_are_the_translated_defaults():
    from kpiworkshop.mapping.models import DEFAULT_AUDIENCES, DEFAULT_GOALS, english, text_in

    migration = importlib.import_module(
        "kpiworkshop.mapping.migrations.0004_default_names_in_italian"
    )
    pairs = ((migration.GOALS, DEFAULT_GOALS), (migration.AUDIENCES, DEFAULT_AUDIENCES))
    for table, defaults in pairs:
        assert set(table) == set(defaults)
        for key, (_x, name, description) in defaults.items():
            assert table[key] == (
                english(name),
                text_in("it", name),
                english(description),
                text_in("it", description),
            )


def test_demo_goals_and_audiences_have_both_languages(db):
    from kpiworkshop import demo

    organisation = demo.seed().organisation
    for model in (BusinessGoal, Audience):
        rows = model.objects.filter(organisation=organisation)
        assert rows.exists()
        assert not rows.filter(name="").exists() and not rows.filter(name_it="").exists()
        assert not rows.filter(description_it="").exclude(description="").exists()
