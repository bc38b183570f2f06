"""``load_workshop`` (every workshop page, poll and fragment) reads the viewer's participant row
with one statement written once per process (``participant_with_workshop`` through
core.rawrows): it loads exactly what the ORM loads, finds the same person (the account before
the guest cookie, active rows only) and still tells members who have not joined, other
organisations and strangers apart exactly as before."""

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kpiworkshop.accounts.models import Role
from kpiworkshop.workshops import selectors
from kpiworkshop.workshops.access import load_workshop, remember_guest
from kpiworkshop.workshops.models import Participant
from tests.factories import MembershipFactory, ParticipantFactory, UserFactory

HX = {"HTTP_HX_REQUEST": "true"}


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def request_of(user=None, guest_key: str | None = None):
    request = RequestFactory().get("/")
    request.user = user if user is not None else AnonymousUser()
    if guest_key is not None:
        response = HttpResponse()
        remember_guest(response, guest_key)
        name = settings.KPIW_GUEST_COOKIE
        request.COOKIES[name] = response.cookies[name].value
    return request


def orm_participant(*, workshop_id, user, guest_key):
    """What ``participant_with_workshop`` was before: the ORM's answer, for comparison."""
    qs = Participant.objects.select_related("workshop__organisation").filter(
        workshop_id=workshop_id, is_active=True
    )
    if user is not None and user.is_authenticated:
        found = qs.filter(user=user).first()
        if found is not None:
            return found
    if guest_key:
        return qs.filter(guest_key=guest_key).first()
    return None


def assert_same(found, expected):
    assert found is not None and expected is not None
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.workshop) == fields_of(expected.workshop)
    assert fields_of(found.workshop.organisation) == fields_of(expected.workshop.organisation)


def test_loads_what_the_orm_loads_for_a_guest_and_for_an_account(
    workshop, facilitator, guest_customer
):
    for user, key, who in (
        (None, guest_customer.guest_key, guest_customer),
        (facilitator.user, None, facilitator),
    ):
        found = selectors.participant_with_workshop(
            workshop_id=workshop.pk, user=user, guest_key=key
        )
        assert_same(found, orm_participant(workshop_id=workshop.pk, user=user, guest_key=key))
        assert found.pk == who.pk
        # Converted as the ORM converts: aware datetimes, booleans, relations cached.
        assert found.workshop.created_at.tzinfo is not None
        assert found.is_active is True
        assert found.workshop.organisation.pk == workshop.organisation_id
        with CaptureQueriesContext(connection) as queries:
            assert found.workshop.organisation.name
        assert len(queries) == 0


def test_the_account_comes_before_the_guest_cookie(workshop, facilitator, guest_customer):
    access = load_workshop(request_of(facilitator.user, guest_customer.guest_key), workshop.pk)
    assert access.participant.pk == facilitator.pk and access.membership is None
    # An account that has not joined, with a joined device's cookie: the cookie's participant
    # (as the ORM path did), whoever is signed in.
    stranger = UserFactory()
    access = load_workshop(request_of(stranger, guest_customer.guest_key), workshop.pk)
    assert access.participant.pk == guest_customer.pk


def test_inactive_participants_are_not_found(workshop, agent, guest_customer):
    Participant.objects.filter(pk__in=[agent.pk, guest_customer.pk]).update(is_active=False)
    for user, key in ((agent.user, None), (None, guest_customer.guest_key)):
        assert (
            selectors.participant_with_workshop(workshop_id=workshop.pk, user=user, guest_key=key)
            is None
        )
    # The member who left still sees the workshop as a member of its organisation ...
    access = load_workshop(request_of(agent.user), workshop.pk)
    assert access.participant is None and access.membership.user_id == agent.user_id
    # ... the guest who left does not see it at all.
    with pytest.raises(Http404):
        load_workshop(request_of(guest_key=guest_customer.guest_key), workshop.pk)


def test_members_who_have_not_joined_others_and_strangers(
    workshop, guest_customer, other_org_participant
):
    member = MembershipFactory(organisation=workshop.organisation, role=Role.AGENT)
    access = load_workshop(request_of(member.user), workshop.pk)
    assert access.participant is None and access.membership.pk == member.pk
    assert access.workshop.pk == workshop.pk
    theirs = other_org_participant.workshop_id
    for request, pk in (
        (request_of(other_org_participant.user), workshop.pk),  # another organisation's member
        (request_of(guest_key="not-a-device-of-this-room"), workshop.pk),
        (request_of(), workshop.pk),  # no credentials at all
        # A guest of this workshop asking for another organisation's workshop.
        (request_of(guest_key=guest_customer.guest_key), theirs),
        (request_of(guest_key=guest_customer.guest_key), theirs + 1000),  # no such workshop
    ):
        with pytest.raises(Http404):
            load_workshop(request, pk)
    # Another organisation's participant asking for this workshop by its id.
    with pytest.raises(Http404):
        load_workshop(request_of(other_org_participant.user), workshop.pk)
    with pytest.raises(Http404):
        load_workshop(request_of(guest_customer.user, guest_customer.guest_key), 2**63)


def test_a_guest_key_never_reaches_another_workshop(workshop, guest_customer):
    other = ParticipantFactory(guest=True, display_name="Elsewhere")
    found = selectors.participant_with_workshop(
        workshop_id=other.workshop_id, user=None, guest_key=guest_customer.guest_key
    )
    assert found is None
    assert (
        selectors.participant_with_workshop(workshop_id=workshop.pk, user=None, guest_key="")
        is None
    )


def test_a_participant_page_load_is_one_query_and_a_stranger_none(workshop, guest_customer):
    with CaptureQueriesContext(connection) as queries:
        access = load_workshop(request_of(guest_key=guest_customer.guest_key), workshop.pk)
    assert access.participant.pk == guest_customer.pk
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert (
            selectors.participant_with_workshop(workshop_id=workshop.pk, user=None, guest_key=None)
            is None
        )
    assert len(queries) == 0


def test_workshop_status_poll_unchanged_is_one_query(client, workshop, guest_customer):
    from tests.conftest import as_guest

    as_guest(client, guest_customer)
    url = f"/w/{workshop.pk}/status/?v={workshop.state_version}"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **HX)
    assert response.status_code == 204
    assert len(queries) == 1
