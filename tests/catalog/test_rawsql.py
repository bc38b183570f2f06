"""Each statement of ``catalog.rawsql`` gives what the ORM query it replaces gives (the page
level comparisons are in ``test_catalogue_hot_path.py``)."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, Subquery

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog import rawsql
from kpiworkshop.catalog.models import CatalogRelease
from tests.catalog.test_catalogue_hot_path import (
    _release,
    assert_same_release,
    fields_of,
    orm_organisation_with_member_role,
)
from tests.factories import MembershipFactory, OrganisationFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def orm_releases(*, organisation_id, major, minor):
    """The ORM query ``releases_for_version_and_current`` replaces."""
    newest = (
        CatalogRelease.objects.filter(organisation_id=organisation_id)
        .order_by("-major", "-minor")
        .values("pk")[:1]
    )
    return list(
        CatalogRelease.objects.filter(organisation_id=organisation_id)
        .filter(Q(major=major, minor=minor) | Q(pk=Subquery(newest)))
        .select_related("workshop", "organisation", "previous")
        .order_by("-major", "-minor")
    )


def _same_releases(organisation_id, major, minor):
    raw = rawsql.releases_for_version_and_current(
        organisation_id=organisation_id, major=major, minor=minor
    )
    orm = orm_releases(organisation_id=organisation_id, major=major, minor=minor)
    assert len(raw) == len(orm)
    for found, expected in zip(raw, orm, strict=True):
        assert_same_release(found, expected)
    return raw


def test_no_release_reads_nothing(organisation):
    assert _same_releases(organisation.pk, 1, 0) == []


def test_several_releases_the_asked_one_and_the_newest(organisation):
    workshop = WorkshopFactory(organisation=organisation)
    first = _release(organisation, 1, 0, workshop=workshop)
    second = _release(organisation, 1, 1, previous=first)
    _release(organisation, 1, 2, previous=second)
    assert [(r.major, r.minor) for r in _same_releases(organisation.pk, 1, 1)] == [(1, 2), (1, 1)]
    assert [(r.major, r.minor) for r in _same_releases(organisation.pk, 1, 2)] == [(1, 2)]
    assert [(r.major, r.minor) for r in _same_releases(organisation.pk, 9, 9)] == [(1, 2)]
    assert _same_releases(organisation.pk, 1, 0)[1].workshop.pk == workshop.pk


def test_another_organisations_releases_never_appear(organisation):
    other = OrganisationFactory()
    _release(other, 1, 0)
    _release(other, 2, 0)
    mine = _release(organisation, 1, 0)
    assert [r.pk for r in _same_releases(organisation.pk, 2, 0)] == [mine.pk]
    assert all(r.organisation_id == organisation.pk for r in _same_releases(organisation.pk, 1, 0))


def test_organisation_and_role_among_several_organisations(organisation):
    other = OrganisationFactory()
    user = MembershipFactory(organisation=other, role=Role.FACILITATOR).user
    MembershipFactory(organisation=organisation, role=Role.AGENT, user=user)
    for org, role in ((organisation, Role.AGENT), (other, Role.FACILITATOR)):
        found, found_role = rawsql.organisation_with_member_role(slug=org.slug, user=user)
        expected, expected_role = orm_organisation_with_member_role(slug=org.slug, user=user)
        assert fields_of(found) == fields_of(expected)
        assert found_role == expected_role == role
    stranger = AnonymousUser()
    found, role = rawsql.organisation_with_member_role(slug=organisation.slug, user=stranger)
    assert fields_of(found) == fields_of(orm_organisation_with_member_role(
        slug=organisation.slug, user=stranger)[0]) and role is None  # fmt: skip
    assert rawsql.organisation_with_member_role(slug="no-such-org", user=user) == (None, None)


def test_release_current_with_workshop_is_the_orm_query(organisation):
    def same():
        raw = rawsql.release_current_with_workshop(organisation_id=organisation.pk)
        orm = (
            CatalogRelease.objects.filter(organisation_id=organisation.pk)
            .select_related("workshop")
            .order_by("-major", "-minor")
            .first()
        )
        assert (raw is None) == (orm is None)
        if orm is not None:
            assert fields_of(raw) == fields_of(orm)
            assert (raw.workshop is None) == (orm.workshop is None)
            if orm.workshop is not None:
                assert fields_of(raw.workshop) == fields_of(orm.workshop)
        return raw

    assert same() is None
    workshop = WorkshopFactory(organisation=organisation)
    first = _release(organisation, 1, 0, workshop=workshop)
    assert same().workshop.pk == workshop.pk
    second = _release(organisation, 1, 1, previous=first)  # no workshop: a LEFT JOIN
    assert same().pk == second.pk and same().workshop is None
    _release(organisation, 2, 0, previous=second, workshop=workshop)
    other = OrganisationFactory()
    _release(other, 9, 9)
    assert (same().major, same().minor) == (2, 0)


def test_exports_of_is_the_orm_query(organisation):
    from kpiworkshop.catalog.models import Export

    release = _release(organisation, 1, 0)
    other = _release(OrganisationFactory(), 1, 0)
    assert rawsql.exports_of(release_id=release.pk) == []
    for fmt, audience in (("pdf", "agents"), ("csv", ""), ("pdf", ""), ("json", "")):
        Export.objects.create(release=release, format=fmt, audience=audience, file="x", size=3)
    Export.objects.create(release=other, format="pdf", file="y", size=1)
    raw = rawsql.exports_of(release_id=release.pk)
    orm = list(Export.objects.filter(release_id=release.pk).order_by("format", "audience"))
    assert [fields_of(e) for e in raw] == [fields_of(e) for e in orm]
    assert [(e.format, e.audience) for e in raw] == [
        ("csv", ""), ("json", ""), ("pdf", ""), ("pdf", "agents"),
    ]  # fmt: skip


def test_entries_of_kpi_is_the_orm_query(organisation, django_assert_num_queries):
    import uuid

    from kpiworkshop.catalog.models import CatalogEntry
    from kpiworkshop.reviews.models import EntryReview

    uid, other_uid = uuid.uuid4(), uuid.uuid4()
    releases = [_release(organisation, 1, minor) for minor in range(3)]
    for minor, release in enumerate(releases):
        entry = CatalogEntry.objects.create(
            release=release, position=0, kpi_uid=uid, name=f"KPI v{minor}", category="customer",
            definition={"name": f"KPI v{minor}", "unit": "%"}, audiences=[{"slug": "a"}],
        )  # fmt: skip
        CatalogEntry.objects.create(
            release=release, position=1, kpi_uid=other_uid, name="Other", category="customer"
        )
        if minor == 1:
            EntryReview.objects.create(entry=entry, next_review=datetime.date(2027, 1, 1))
    stranger = _release(OrganisationFactory(), 1, 0)
    CatalogEntry.objects.create(release=stranger, position=0, kpi_uid=uid, name="Theirs")

    for related in ((), ("review",)):
        for kpi_uid in (uid, str(uid), uuid.uuid4()):
            raw = rawsql.entries_of_kpi(
                organisation_id=organisation.pk, kpi_uid=kpi_uid, related=related
            )
            orm = list(
                CatalogEntry.objects.filter(
                    release__organisation_id=organisation.pk, kpi_uid=kpi_uid
                )
                .select_related("release", *related)
                .order_by("-release__major", "-release__minor")
            )
            assert [fields_of(e) for e in raw] == [fields_of(e) for e in orm]
            assert [fields_of(e.release) for e in raw] == [fields_of(e.release) for e in orm]
            for mine, theirs in zip(raw, orm, strict=True):
                for name in related:
                    a = getattr(mine, name, None)
                    b = getattr(theirs, name, None)
                    assert (fields_of(a) if a else None) == (fields_of(b) if b else None)
    found = rawsql.entries_of_kpi(organisation_id=organisation.pk, kpi_uid=uid, related=("review",))
    assert [e.name for e in found] == ["KPI v2", "KPI v1", "KPI v0"]
    assert found[1].review.next_review == datetime.date(2027, 1, 1)
    with django_assert_num_queries(0):  # the relation is loaded, a missing row too
        assert getattr(found[0], "review", None) is None  # as the ORM: an AttributeError
        assert found[1].review.entry is found[1]
    with pytest.raises(ValueError, match="reverse one-to-one"):
        rawsql.entries_of_kpi(organisation_id=organisation.pk, kpi_uid=uid, related=("release",))
