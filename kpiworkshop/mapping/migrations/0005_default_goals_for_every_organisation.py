"""Give every organisation the default goals and audiences it lacks (by key), as pages used to
do on their first visit: pages no longer write on GET, so the rows must exist beforehand. A
default the organisation retired or renamed is left as it is. The texts come from migration
0004 (written out, not from the catalogue); parents and levels are written out here.
Backwards does nothing: the rows may have links by then."""

import importlib

from django.db import migrations

TEXTS = importlib.import_module("kpiworkshop.mapping.migrations.0004_default_names_in_italian")

#: key -> parent key ("" for a top-level goal), in the order of ``DEFAULT_GOALS``
GOAL_PARENTS = {
    "revenue": "",
    "loyalty": "",
    "churn": "loyalty",
    "cost": "",
    "selfcare": "",
    "employee": "",
    "risk": "",
}
#: key -> level, in the order of ``DEFAULT_AUDIENCES``
AUDIENCE_LEVELS = {
    "agents": "individual",
    "team_leaders": "team",
    "cc_managers": "site",
    "cx_leadership": "executive",
    "planning": "site",
    "digital": "site",
    "outsourced": "team",
    "customers": "individual",
}


def _italian(english: str, italian: str) -> str:
    return "" if italian == english else italian


def add_missing_defaults(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    BusinessGoal = apps.get_model("mapping", "BusinessGoal")
    Audience = apps.get_model("mapping", "Audience")
    for org in Organisation.objects.all():
        goals = dict(
            BusinessGoal.objects.filter(organisation=org).exclude(key="").values_list("key", "pk")
        )
        for order, (key, parent) in enumerate(GOAL_PARENTS.items()):
            if key in goals:
                continue
            name, name_it, description, description_it = TEXTS.GOALS[key]
            goals[key] = BusinessGoal.objects.create(
                organisation=org,
                key=key,
                name=name,
                name_it=_italian(name, name_it),
                description=description,
                description_it=_italian(description, description_it),
                parent_id=goals.get(parent) if parent else None,
                order=(order + 1) * 10,
            ).pk
        audiences = set(
            Audience.objects.filter(organisation=org).exclude(key="").values_list("key", flat=True)
        )
        for order, (key, level) in enumerate(AUDIENCE_LEVELS.items()):
            if key in audiences:
                continue
            name, name_it, description, description_it = TEXTS.AUDIENCES[key]
            Audience.objects.create(
                organisation=org,
                key=key,
                name=name,
                name_it=_italian(name, name_it),
                description=description,
                description_it=_italian(description, description_it),
                level=level,
                order=(order + 1) * 10,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("mapping", "0004_default_names_in_italian"),
    ]

    operations = [migrations.RunPython(add_missing_defaults, migrations.RunPython.noop)]
