"""Moving Approval, ApprovalPolicy and TrainingNotes from ``catalog`` to ``approval`` (issue 18)
loses nothing: on a database holding the demo, migrating back to before the move and forward
again keeps every row, read through the models as each state knows them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kpiworkshop.approval.models import Approval, ApprovalPolicy, TrainingNotes
from kpiworkshop.demo import seed

BEFORE = ("catalog", "0005_measurement_computed_from_dataset")
MOVED = ("Approval", "ApprovalPolicy", "TrainingNotes")


def _counts(apps, app_label: str) -> dict[str, int]:
    return {name: apps.get_model(app_label, name).objects.count() for name in MOVED}


@pytest.mark.django_db(transaction=True)
def test_the_move_migrates_back_and_forth_on_the_demo_keeping_every_row(facilitator):
    seed()
    ApprovalPolicy.objects.get_or_create(workshop=facilitator.workshop, defaults={"quorum": 2})
    after = {"Approval": Approval, "ApprovalPolicy": ApprovalPolicy, "TrainingNotes": TrainingNotes}
    counts = {name: model.objects.count() for name, model in after.items()}
    assert all(counts.values()), counts

    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE, ("approval", None)])
    executor.loader.build_graph()
    assert ("approval", "0001_move_from_catalog") not in executor.loader.applied_migrations
    old = executor.loader.project_state(BEFORE).apps
    assert _counts(old, "catalog") == counts

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    assert ("catalog", "0006_move_approval_out") in executor.loader.applied_migrations
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    assert _counts(new, "approval") == counts
    assert {name: model.objects.count() for name, model in after.items()} == counts
    assert sorted(TrainingNotes.objects.values_list("language", flat=True).distinct())
