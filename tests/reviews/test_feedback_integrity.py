"""Feedback under real concurrency (PostgreSQL only, like the other race tests): 50 identical
answers at once leave one row, and nobody gets an error."""

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.reviews import services
from kpiworkshop.reviews.models import Answer, Feedback
from tests.catalog.review_helpers import make_release
from tests.factories import OrganisationFactory
from tests.races import RACE_TEST, run_at_once

pytestmark = RACE_TEST


def test_fifty_identical_concurrent_answers_leave_one():
    organisation = OrganisationFactory()
    entry = make_release(organisation).entries.first()
    reader = Reader(organisation.pk, Role.AGENT)
    results = run_at_once(
        50,
        lambda i: services.feedback_answer(
            reader=reader, person="u:42", entry=entry, answer=Answer.WRONG, comment="Same"
        ),
    )
    assert all(isinstance(r, Feedback) for r in results), results
    assert Feedback.objects.filter(entry=entry).count() == 1
    assert Feedback.objects.get(entry=entry).answer == Answer.WRONG


def test_concurrent_answers_of_many_people_each_counted_once():
    organisation = OrganisationFactory()
    entry = make_release(organisation).entries.first()
    reader = Reader(organisation.pk, Role.AGENT)
    results = run_at_once(
        40,
        lambda i: services.feedback_answer(
            reader=reader, person=f"u:{i % 10}", entry=entry, answer=Answer.HELPS
        ),
    )
    assert all(isinstance(r, Feedback) for r in results), results
    assert Feedback.objects.filter(entry=entry).count() == 10
