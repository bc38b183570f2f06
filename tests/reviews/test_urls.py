"""The reviews' pages kept the paths they had under ``catalog:`` (issue 18): links in e-mails
already sent and bookmarks keep working. Written out literally, not derived from the URLconf."""

import uuid

import pytest
from django.urls import resolve, reverse

KPI = str(uuid.UUID(int=7))
OLD_PATHS = {
    ("feedback", ("acme", "1.0", KPI)): f"/o/acme/catalogue/1.0/kpi/{KPI}/feedback/",
    ("value", ("acme", "1.0", KPI)): f"/o/acme/catalogue/1.0/kpi/{KPI}/values/",
    ("import", ("acme", "1.0", KPI)): f"/o/acme/catalogue/1.0/kpi/{KPI}/import/",
    ("entry_review", ("acme", "1.0", KPI)): f"/o/acme/catalogue/1.0/kpi/{KPI}/review/",
    ("reviews", ("acme",)): "/o/acme/reviews/",
    ("review_start", ("acme",)): "/o/acme/reviews/start/",
    ("review_settings", ("acme",)): "/o/acme/reviews/settings/",
    ("feedback_hide", ("acme", 5)): "/o/acme/reviews/feedback/5/hide/",
    ("review_board", (3,)): "/w/3/review/",
    ("review_ballot", (3,)): "/w/3/review/ballot/",
    ("review_kind", (3, 9)): "/w/3/review/9/kind/",
}


@pytest.mark.parametrize(("name", "args"), list(OLD_PATHS), ids=lambda v: str(v))
def test_each_review_page_answers_at_its_old_path(name, args):
    path = OLD_PATHS[(name, args)]
    assert reverse(f"reviews:{name}", args=args) == path
    assert resolve(path).view_name == f"reviews:{name}"


def test_the_catalogue_pages_did_not_move():
    assert resolve(f"/o/acme/catalogue/1.0/kpi/{KPI}/").view_name == "catalog:entry"
    assert resolve("/o/acme/catalogue/1.0/datastack/dbt/").view_name == "catalog:datastack"
