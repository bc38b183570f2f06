"""Each statement of ``catalog.rawsql`` gives what the ORM query it replaces gives (the page
level comparisons are in ``test_catalogue_hot_path.py``)."""

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
