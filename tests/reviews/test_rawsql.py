"""``reviews.rawsql.entry_reads`` gives, in each of its three parts, what the ORM query it
replaces gives, whatever the other parts hold."""

import datetime
import decimal
import uuid

import pytest
from django.db.models import Count, Max, Q

from kpiworkshop.accounts.models import Role
from kpiworkshop.reviews import rawsql
from kpiworkshop.reviews.models import Feedback, Measurement
from tests.catalog.review_helpers import make_release
from tests.core.test_rawsql_modules import row
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _orm_counts(entry_id, person):
    mine = Q(person=person) if person else Q(pk__in=[])
    return sorted(
        Feedback.objects.filter(entry_id=entry_id)
        .values_list("role", "answer")
        .annotate(n=Count("id"), mine=Count("id", filter=mine), comment=Max("comment", filter=mine))
        .order_by()
    )


@pytest.fixture
def two_entries(organisation):
    release = make_release(organisation, names=("A", "B"))
    return list(release.entries.order_by("position"))


def _reads(entry, person="", comments=0, organisation_id=None, kpi_uid=None):
    return rawsql.entry_reads(
        entry_id=entry.pk,
        person=person,
        organisation_id=organisation_id or entry.release.organisation_id,
        kpi_uid=kpi_uid or entry.kpi_uid,
        comments=comments,
    )


def _counts(entry, person):
    return sorted(_reads(entry, person).counts)


def _comments(entry, limit):
    return _reads(entry, comments=limit).comments


def _measurements(organisation, entry, kpi_uid):
    return _reads(entry, organisation_id=organisation.pk, kpi_uid=kpi_uid).measurements


def test_the_counts_are_the_orm_query(two_entries):
    entry, other = two_entries
    for i, (role, answer, comment) in enumerate(
        [(Role.AGENT, "helps", "Good"), (Role.AGENT, "helps", ""), (Role.AGENT, "wrong", "Bad"),
         (Role.MANAGER, "helps", "Fine"), (Role.CUSTOMER, "unclear", "")]
    ):  # fmt: skip
        Feedback.objects.create(
            entry=entry, person=f"u:{i}", role=role, answer=answer, comment=comment
        )
    Feedback.objects.create(entry=other, person="u:0", role=Role.AGENT, answer="wrong")
    for person in ("u:0", "u:1", "u:2", "u:4", "g:nobody", ""):
        raw = _counts(entry, person)
        assert raw == _orm_counts(entry.pk, person), person
    own = [r for r in _counts(entry, "u:0") if r[3]]
    assert own == [("agent", "helps", 2, 1, "Good")]
    assert rawsql.entry_reads(
        entry_id=10**12, person="u:0", organisation_id=0, kpi_uid=uuid.uuid4(), comments=20
    ) == ([], [], [])


def test_the_comments_are_the_orm_query(two_entries):
    entry, other = two_entries
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for i in range(6):
        f = Feedback.objects.create(
            entry=entry, person=f"u:{i}", role=Role.AGENT, answer="helps",
            comment="" if i == 2 else f"Comment {i}",
        )  # fmt: skip
        # Two answers updated at the same moment: the id decides, as the ORM's ordering.
        Feedback.objects.filter(pk=f.pk).update(updated_at=base + datetime.timedelta(hours=i // 2))
    Feedback.objects.create(entry=other, person="u:9", role=Role.AGENT, answer="helps", comment="X")
    for limit in (0, 1, 3, 20):
        raw = _comments(entry, limit)
        orm = list(Feedback.objects.filter(entry_id=entry.pk).exclude(comment="")[:limit])
        assert [row(f) for f in raw] == [row(f) for f in orm]
    assert [f.comment for f in _comments(entry, 3)] == [
        "Comment 5", "Comment 4", "Comment 3",
    ]  # fmt: skip


def test_the_measurements_are_the_orm_query(organisation, two_entries):
    entry, other = two_entries
    for period, breakdown, value in [
        (datetime.date(2026, 3, 1), "", "71.5"), (datetime.date(2026, 1, 1), "chat", "60"),
        (datetime.date(2026, 1, 1), "", "0.0001"), (datetime.date(2026, 2, 1), "voice", "-3"),
    ]:  # fmt: skip
        Measurement.objects.create(
            organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
            period=period, breakdown=breakdown, value=decimal.Decimal(value),
        )  # fmt: skip
    Measurement.objects.create(
        organisation=organisation, kpi_uid=other.kpi_uid, entry=other,
        period=datetime.date(2026, 1, 1), value=1,
    )  # fmt: skip
    stranger = OrganisationFactory()
    Measurement.objects.create(
        organisation=stranger, kpi_uid=entry.kpi_uid, entry=entry,
        period=datetime.date(2026, 1, 1), value=99,
    )  # fmt: skip
    for kpi_uid in (entry.kpi_uid, str(entry.kpi_uid), uuid.uuid4()):
        raw = _measurements(organisation, entry, kpi_uid)
        orm = list(
            Measurement.objects.filter(organisation_id=organisation.pk, kpi_uid=kpi_uid)
            .order_by("period", "breakdown")
            .values_list("period", "breakdown", "value", named=True)
        )
        assert [tuple(r) for r in raw] == [tuple(r) for r in orm]
        assert all(isinstance(r.value, decimal.Decimal) for r in raw)
    first = _measurements(organisation, entry, entry.kpi_uid)[0]
    assert (first.period, first.breakdown, first.value) == (
        datetime.date(2026, 1, 1), "", decimal.Decimal("0.0001"),
    )  # fmt: skip


def test_the_three_parts_stay_apart_when_all_hold_rows(organisation, two_entries):
    """Every part at once, with values that would sort or load wrongly if a row went to the
    wrong part: each part is still exactly its ORM query."""
    entry, _other = two_entries
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for i in range(25):
        f = Feedback.objects.create(
            entry=entry, person=f"u:{i}", role=(Role.AGENT, Role.MANAGER)[i % 2],
            answer=("helps", "unclear", "wrong")[i % 3], comment="" if i % 4 == 0 else f"C{i}",
        )  # fmt: skip
        Feedback.objects.filter(pk=f.pk).update(updated_at=base + datetime.timedelta(hours=i % 7))
    for month in (5, 1, 3):
        for breakdown in ("voice", "", "chat"):
            Measurement.objects.create(
                organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
                period=datetime.date(2026, month, 1), breakdown=breakdown,
                value=decimal.Decimal(f"{month}.{len(breakdown)}"),
            )  # fmt: skip
    reads = _reads(entry, person="u:5", comments=20)
    assert sorted(reads.counts) == _orm_counts(entry.pk, "u:5")
    orm = list(Feedback.objects.filter(entry_id=entry.pk).exclude(comment="")[:20])
    assert [row(f) for f in reads.comments] == [row(f) for f in orm]
    assert len(reads.comments) == 18 and all(isinstance(f, Feedback) for f in reads.comments)
    assert [tuple(r) for r in reads.measurements] == list(
        Measurement.objects.filter(organisation_id=organisation.pk, kpi_uid=entry.kpi_uid)
        .order_by("period", "breakdown")
        .values_list("period", "breakdown", "value")
    )
    assert len(reads.measurements) == 9
    assert _reads(entry, person="u:5", comments=0).comments == []
