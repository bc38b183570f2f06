"""The two queries every catalogue page starts with (the organisation with the reader's
membership role, and the release a URL names with the current one) are fixed statements
written once per process through core.rawrows: they load exactly what the ORM loads, and the
catalogue still refuses everyone outside the organisation with a 404."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpiworkshop.accounts.models import Membership, Organisation, Role
from kpiworkshop.catalog import selectors
from kpiworkshop.catalog.models import CatalogRelease
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, WorkshopFactory


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def orm_organisation_with_member_role(*, slug, user):
    """What ``organisation_with_member_role`` was before: the ORM's answer, for comparison."""
    qs = Organisation.objects.filter(slug=slug)
    if not user.is_authenticated:
        return qs.first(), None
    role = (
        Membership.objects.active()
        .filter(user=user, organisation=OuterRef("pk"))
        .order_by("pk")
        .values("role")[:1]
    )
    organisation = qs.annotate(member_role=Subquery(role)).first()
    return organisation, getattr(organisation, "member_role", None)


def orm_release_and_current(*, organisation_id, version):
    """What ``release_and_current`` was before: the ORM's answer, for comparison."""
    parsed = selectors.version_key(version)
    if parsed is None:
        return None, None
    major, minor = parsed
    newest = (
        CatalogRelease.objects.filter(organisation_id=organisation_id)
        .order_by("-major", "-minor")
        .values("pk")[:1]
    )
    rows = list(
        CatalogRelease.objects.filter(organisation_id=organisation_id)
        .filter(Q(major=major, minor=minor) | Q(pk=Subquery(newest)))
        .select_related("workshop", "organisation", "previous")
    )
    release = next((r for r in rows if (r.major, r.minor) == parsed), None)
    return release, max(rows, key=lambda r: (r.major, r.minor), default=None)


def assert_same_release(found, expected):
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert fields_of(found) == fields_of(expected)
    for relation in ("workshop", "organisation", "previous"):
        mine, theirs = getattr(found, relation), getattr(expected, relation)
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            assert fields_of(mine) == fields_of(theirs)


def _release(organisation, major, minor, **fields) -> CatalogRelease:
    return CatalogRelease.objects.create(
        organisation=organisation, major=major, minor=minor, language="en",
        effective_date=datetime.date(2026, 1, 1 + minor), published_by_name="Fran", **fields,
    )  # fmt: skip


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER, Role.FACILITATOR])
def test_organisation_and_role_as_the_orm_loads_them(organisation, role):
    member = MembershipFactory(organisation=organisation, role=role).user
    found, found_role = selectors.organisation_with_member_role(slug=organisation.slug, user=member)
    expected, expected_role = orm_organisation_with_member_role(slug=organisation.slug, user=member)
    assert fields_of(found) == fields_of(expected)
    assert found_role == expected_role == role
    assert found.created_at.tzinfo is not None


def test_no_role_for_strangers_inactive_members_and_anonymous(organisation):
    other = MembershipFactory(organisation=OrganisationFactory(), role=Role.FACILITATOR).user
    inactive = MembershipFactory(organisation=organisation, role=Role.AGENT, is_active=False).user
    for user in (other, inactive, UserFactory(), AnonymousUser()):
        found, role = selectors.organisation_with_member_role(slug=organisation.slug, user=user)
        expected, expected_role = orm_organisation_with_member_role(
            slug=organisation.slug, user=user
        )
        assert fields_of(found) == fields_of(expected)
        assert role is None and expected_role is None


def test_an_unknown_slug_is_none(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    assert selectors.organisation_with_member_role(slug="nope", user=user) == (None, None)
    assert orm_organisation_with_member_role(slug="nope", user=user) == (None, None)


def test_releases_as_the_orm_loads_them(organisation):
    workshop = WorkshopFactory(organisation=organisation)
    first = _release(organisation, 1, 0, workshop=workshop)
    second = _release(organisation, 1, 1, previous=first, retired={"abc": "Replaced"})
    third = _release(organisation, 2, 0, previous=second, workshop=workshop)
    # Another organisation's releases with the same versions are never read.
    elsewhere = OrganisationFactory()
    _release(elsewhere, 1, 0)
    _release(elsewhere, 3, 0)
    for version in ("1.0", "1.1", "2.0", "9.9", "bad", "", "1.0.0"):
        found = selectors.release_and_current(organisation_id=organisation.pk, version=version)
        expected = orm_release_and_current(organisation_id=organisation.pk, version=version)
        assert_same_release(found[0], expected[0])
        assert_same_release(found[1], expected[1])
    release, current = selectors.release_and_current(organisation_id=organisation.pk, version="1.1")
    assert release.pk == second.pk and current.pk == third.pk
    assert release.workshop is None and release.previous.pk == first.pk
    assert release.retired == {"abc": "Replaced"}
    assert release.effective_date == datetime.date(2026, 1, 2)
    with CaptureQueriesContext(connection) as queries:
        assert current.workshop.title and current.organisation.slug and current.previous.version
    assert len(queries) == 0
    assert selectors.release_and_current(organisation_id=elsewhere.pk, version="2.0")[0] is None


def test_no_release_yet(organisation):
    assert selectors.release_and_current(organisation_id=organisation.pk, version="1.0") == (
        None,
        None,
    )


def test_catalogue_pages_refuse_everyone_outside_the_organisation(client, organisation):
    _release(organisation, 1, 0)
    urls = [
        reverse("catalog:current", args=[organisation.slug]),
        reverse("catalog:release", args=[organisation.slug, "1.0"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(organisation=OrganisationFactory()).user)
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(
        MembershipFactory(organisation=organisation, role=Role.AGENT, is_active=False).user
    )
    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(organisation=organisation, role=Role.AGENT).user)
    for url in urls:
        assert client.get(url).status_code == 200
    assert (
        client.get(reverse("catalog:release", args=[organisation.slug, "7.0"])).status_code == 404
    )
