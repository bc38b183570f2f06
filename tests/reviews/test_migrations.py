"""Moving the review models from ``catalog`` to ``reviews`` (issue 18) loses nothing: on a
database holding the demo (feedback, measured values, an entry's review date, review settings, a
reminder, a review workshop), migrating back to before the move and forward again keeps every
row, read through the models as each state knows them."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.catalog.selectors import release_current
from kpiworkshop.demo import seed
from kpiworkshop.reviews import models as reviews_models
from kpiworkshop.reviews import services
from kpiworkshop.reviews.models import ReviewItem, ReviewSettings

BEFORE = ("catalog", "0006_move_approval_out")
MOVED = (
    "ReviewSettings",
    "EntryReview",
    "ReviewReminder",
    "Feedback",
    "Measurement",
    "ReviewCycle",
    "ReviewItem",
)


def _counts(apps, app_label: str) -> dict[str, int]:
    return {name: apps.get_model(app_label, name).objects.count() for name in MOVED}


def _fill(organisation, facilitator_user) -> None:
    """The demo has values, feedback and an entry's review date; add the rows it lacks."""
    ReviewSettings.objects.update_or_create(
        organisation=organisation, defaults={"interval_months": 6, "remind_days_before": 30}
    )
    release = release_current(organisation_id=organisation.pk)
    reviews_models.ReviewReminder.objects.create(
        release=release, due=datetime.date(2027, 1, 1), recipient=facilitator_user
    )
    services.review_workshop_start(
        reader=Reader(organisation.pk, "facilitator"),
        user=facilitator_user,
        organisation_id=organisation.pk,
    )


@pytest.mark.django_db(transaction=True)
def test_the_move_migrates_back_and_forth_on_the_demo_keeping_every_row():
    result = seed()
    organisation = result.organisation
    facilitator_user = (
        organisation.memberships.filter(role="facilitator").select_related("user").first().user
    )
    _fill(organisation, facilitator_user)
    counts = {name: getattr(reviews_models, name).objects.count() for name in MOVED}
    assert all(counts.values()), counts
    kinds = sorted(ReviewItem.objects.values_list("proposal__kind", flat=True).distinct())

    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE, ("reviews", None)])
    executor.loader.build_graph()
    assert ("reviews", "0001_move_from_catalog") not in executor.loader.applied_migrations
    assert ("catalog", "0007_move_reviews_out") not in executor.loader.applied_migrations
    old = executor.loader.project_state(BEFORE).apps
    assert _counts(old, "catalog") == counts
    # The old state reads the same rows through the old relations.
    old_entry = old.get_model("catalog", "CatalogEntry")
    assert old_entry.objects.filter(feedback__isnull=False).distinct().count() >= 1

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    assert ("catalog", "0007_move_reviews_out") in executor.loader.applied_migrations
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    assert _counts(new, "reviews") == counts
    assert {name: getattr(reviews_models, name).objects.count() for name in MOVED} == counts
    assert sorted(ReviewItem.objects.values_list("proposal__kind", flat=True).distinct()) == kinds
    assert ReviewSettings.objects.get(organisation=organisation).interval_months == 6
