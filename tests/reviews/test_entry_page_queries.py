"""The KPI page reads the entry with its history in one query, and the feedback counts with
the reader's own answer, the comments and the measured values in one statement: the counts stay
fixed as the history and the answers grow, each reader still sees only their own answer, and
nothing per reader is served stale (feedback, values and the "current release" rule are read on
every view, after the cached immutable parts)."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog import selectors as catalog_selectors
from kpiworkshop.catalog.models import CatalogEntry
from kpiworkshop.reviews import selectors
from kpiworkshop.reviews.models import EntryReview, Feedback, Measurement
from tests.catalog.review_helpers import make_release, member

from .test_review_feedback import QUERIES


def _url(entry, release=None):
    release = release or entry.release
    return reverse(
        "catalog:entry", args=[release.organisation.slug, release.version, entry.kpi_uid]
    )


def _add_releases(organisation, entry, n):
    """n older releases carrying the same KPI (its history), names changing."""
    for minor in range(n):
        old = make_release(organisation, names=(), major=1, minor=minor)
        CatalogEntry.objects.create(
            release=old, position=0, kpi_uid=entry.kpi_uid, name=f"Old name {minor}",
            category="customer", definition={"name": f"Old name {minor}"},
        )  # fmt: skip


@pytest.mark.parametrize("n", [0, 3, 12])
def test_entry_page_queries_do_not_grow_with_history(
    client, organisation, django_assert_num_queries, n
):
    release = make_release(organisation, major=2)
    entry = release.entries.first()
    _add_releases(organisation, entry, n)
    EntryReview.objects.create(entry=entry, next_review=datetime.date(2027, 1, 1))
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    client.get(_url(entry))
    with django_assert_num_queries(QUERIES):
        response = client.get(_url(entry))
    page = response.content.decode()
    assert response.status_code == 200
    for minor in range(n):
        assert f"Old name {minor}" in page
    assert 'value="2027-01-01"' in page  # the review date read with the entry


def test_entry_with_history_finds_the_entry_of_the_release_only(organisation):
    release = make_release(organisation, major=2)
    entry = release.entries.first()
    _add_releases(organisation, entry, 2)
    got, history = catalog_selectors.entry_with_history(release=release, kpi_uid=str(entry.kpi_uid))
    assert got.pk == entry.pk and got.release is release
    assert [h.release.version for h in history] == ["2.0", "1.1", "1.0"]
    other = make_release(organisation, names=("Other",), major=3)
    missing, _h = catalog_selectors.entry_with_history(release=other, kpi_uid=str(entry.kpi_uid))
    assert missing is None


def test_each_reader_sees_only_their_own_answer(organisation):
    release = make_release(organisation)
    entry = release.entries.first()
    readers = {}
    for answer, comment in [("helps", "Mine is helpful"), ("wrong", "Theirs is wrong")]:
        user, _r = member(organisation, Role.AGENT)
        Feedback.objects.create(
            entry=entry, person=f"u:{user.pk}", role=Role.AGENT, answer=answer, comment=comment
        )
        client = Client()
        client.force_login(user)
        readers[answer] = (client, comment)
    silent, _r = member(organisation, Role.AGENT)
    nobody = Client()
    nobody.force_login(silent)
    for answer, (client, comment) in readers.items():
        for _ in range(2):  # the second view uses the cached immutable parts
            page = client.get(_url(entry)).content.decode()
            other = next(c for a, (_c, c) in readers.items() if a != answer)
            assert f">\n{comment}</textarea>" in page
            assert other not in page  # not in the form; agents do not see the comments
            assert re.search(
                rf'value="{answer}" class="form-check-input" id="id_answer_\d" required checked>',
                page,
            )
            assert page.count(" checked>") == 1
            assert "2 answers" in page
    page = nobody.get(_url(entry)).content.decode()
    assert 'data-testid="feedback-mine"' not in page and "checked" not in page
    reads = selectors.entry_page_reads(
        entry=entry, organisation_id=organisation.pk, person="", with_comments=False
    )
    summary = reads.summary
    assert reads.own is None and summary.total == 2 and reads.comments == []
    grouped = selectors.feedback_summaries(entry_ids=[entry.pk])[entry.pk]
    assert (summary.by_answer, summary.by_role) == (grouped.by_answer, grouped.by_role)


def test_page_follows_new_feedback_values_and_a_newer_release(organisation):
    release = make_release(organisation)
    entry = release.entries.first()
    fac, _r = member(organisation, Role.FACILITATOR)
    client = Client()
    client.force_login(fac)
    page = client.get(_url(entry)).content.decode()
    assert "No answers yet." in page and 'data-testid="values-table"' not in page
    Feedback.objects.create(entry=entry, person="u:x", role=Role.AGENT, answer="helps", comment="")
    Measurement.objects.create(
        organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
        period=datetime.date(2026, 2, 1), value=77,
    )  # fmt: skip
    page = client.get(_url(entry)).content.decode()
    assert "1 answer:" in page and 'data-testid="values-table"' in page and ">77 %<" in page
    assert "Answers are given on the current release." not in page
    make_release(organisation, major=1, minor=1)  # 1.0 is no longer current
    page = client.get(_url(entry)).content.decode()
    assert "Answers are given on the current release." in page
    assert "Send my answer" not in page
