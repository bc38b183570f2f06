"""The request's participant has one loader (``access.participant_of``) over one rule (by
account, else by guest cookie; active only; the account's first), which every page, the join
screen, the API and the vote's own read share."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.test import RequestFactory

import kpiworkshop
from kpiworkshop.workshops.access import GUEST_SALT, participant_of
from tests.factories import ParticipantFactory


def _request(user=None, guest_key: str | None = None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    if guest_key:
        signer = signing.get_cookie_signer(salt=settings.KPIW_GUEST_COOKIE + GUEST_SALT)
        request.COOKIES[settings.KPIW_GUEST_COOKIE] = signer.sign(guest_key)
    return request


def test_the_account_comes_before_the_guest_cookie(workshop, facilitator, guest_customer):
    found = participant_of(_request(facilitator.user, guest_customer.guest_key), workshop.pk)
    assert found.pk == facilitator.pk
    # Loaded with its workshop and organisation, as every page needs them next.
    assert found.workshop.pk == workshop.pk
    assert found.workshop.organisation.pk == workshop.organisation_id


def test_a_guest_is_found_by_the_cookie(workshop, guest_customer):
    assert participant_of(_request(guest_key=guest_customer.guest_key), workshop.pk).pk == (
        guest_customer.pk
    )


def test_nobody_who_has_not_joined_this_workshop_is_found(
    workshop, agent, other_org_participant, django_assert_num_queries
):
    assert participant_of(_request(other_org_participant.user), workshop.pk) is None
    assert participant_of(_request(agent.user), other_org_participant.workshop_id) is None
    removed = ParticipantFactory(workshop=workshop, is_active=False)
    assert participant_of(_request(removed.user), workshop.pk) is None
    with django_assert_num_queries(0):
        assert participant_of(_request(), workshop.pk) is None


def test_the_participant_rule_is_written_once():
    source = Path(kpiworkshop.__file__).parent
    writers = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if "guest_key = %s" in path.read_text()
    ]
    assert writers == ["workshops/rawsql.py"]
