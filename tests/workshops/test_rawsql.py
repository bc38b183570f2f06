"""Each statement of ``workshops.rawsql`` gives what the ORM query it replaces gives."""

import pytest
from django.contrib.auth.models import AnonymousUser

from kpiworkshop.workshops import rawsql
from kpiworkshop.workshops.models import Participant
from tests.core.test_rawsql_modules import row
from tests.factories import ParticipantFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def _orm(*, workshop_id, user, guest_key):
    """The ORM query ``participant_with_workshop`` replaces: by account first, else cookie."""
    qs = Participant.objects.select_related("workshop__organisation").filter(
        workshop_id=workshop_id, is_active=True
    )
    if user is not None and user.is_authenticated:
        found = qs.filter(user=user).first()
        if found is not None:
            return found
    return qs.filter(guest_key=guest_key).first() if guest_key else None


def _fields(p):
    if p is None:
        return None
    return (row(p), row(p.workshop), row(p.workshop.organisation))


def _same(*, workshop_id, user, guest_key):
    raw = rawsql.participant_with_workshop(workshop_id=workshop_id, user=user, guest_key=guest_key)
    orm = _orm(workshop_id=workshop_id, user=user, guest_key=guest_key)
    assert _fields(raw) == _fields(orm)
    return raw


def test_nobody_without_account_or_cookie(workshop):
    assert _same(workshop_id=workshop.pk, user=AnonymousUser(), guest_key=None) is None


def test_member_and_guest_found_among_several(workshop, facilitator, agent, guest_customer):
    ParticipantFactory(workshop=workshop, guest=True)
    assert _same(workshop_id=workshop.pk, user=agent.user, guest_key=None).pk == agent.pk
    found = _same(workshop_id=workshop.pk, user=AnonymousUser(), guest_key=guest_customer.guest_key)
    assert found.pk == guest_customer.pk


def test_the_account_wins_over_the_cookie(workshop, agent, guest_customer):
    found = _same(workshop_id=workshop.pk, user=agent.user, guest_key=guest_customer.guest_key)
    assert found.pk == agent.pk


def test_inactive_and_unknown_are_nobody(workshop, agent):
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert _same(workshop_id=workshop.pk, user=agent.user, guest_key=None) is None
    assert _same(workshop_id=workshop.pk, user=AnonymousUser(), guest_key="nope") is None


def test_another_organisations_participant_never_appears(workshop, other_org_participant):
    other = WorkshopFactory()
    guest = ParticipantFactory(workshop=other, guest=True)
    user = other_org_participant.user
    assert _same(workshop_id=workshop.pk, user=user, guest_key=None) is None
    assert _same(workshop_id=workshop.pk, user=AnonymousUser(), guest_key=guest.guest_key) is None
    found = _same(workshop_id=other.pk, user=AnonymousUser(), guest_key=guest.guest_key)
    assert found.workshop.organisation_id == other.organisation_id


def test_invitation_and_joined_is_the_orm_queries(workshop, facilitator, agent, guest_customer):
    from kpiworkshop.accounts.models import Role
    from kpiworkshop.workshops.models import Invitation, Participant
    from tests.factories import InvitationFactory

    def same(workshop_id, invitation_id):
        raw, joined = rawsql.invitation_and_joined(
            workshop_id=workshop_id, invitation_id=invitation_id
        )
        orm = Invitation.objects.filter(pk=invitation_id, workshop_id=workshop_id).first()
        assert (row(raw) if raw else None) == (row(orm) if orm else None)
        if orm is not None:
            count = (
                Participant.objects.active()
                .filter(workshop_id=workshop_id)
                .exclude(role=Role.FACILITATOR)
                .count()
            )
            assert joined == count
        return raw, joined

    invitation = InvitationFactory(workshop=workshop, role=Role.AGENT)
    found, joined = same(workshop.pk, invitation.pk)
    assert found.pk == invitation.pk and joined == 2  # the agent and the guest, not the host
    Participant.objects.filter(pk=agent.pk).update(is_active=False)
    assert same(workshop.pk, invitation.pk)[1] == 1
    other = WorkshopFactory()
    theirs = InvitationFactory(workshop=other, role=Role.AGENT)
    assert same(workshop.pk, theirs.pk) == (None, 0)  # another workshop's code is no code
    assert same(workshop.pk, 10**12) == (None, 0)


def test_the_workshops_versions_come_with_the_participant(
    workshop, agent, django_assert_num_queries
):
    """The workshop's scope versions (and its organisation's goals) are read in the same
    statement: the page's fragments then read none, and they equal what a read gives."""
    from django.db import transaction

    from kpiworkshop.core import versions

    with transaction.atomic():
        versions.version_bump(versions.BOARD, workshop.pk)
        versions.version_bump(versions.BOARD, workshop.pk)
        versions.version_bump(versions.GOALS, workshop.organisation_id)
    scopes = [
        (versions.BOARD, workshop.pk),
        (versions.ROSTER, workshop.pk),
        (versions.MAP, workshop.pk),
        (versions.GOALS, workshop.organisation_id),
    ]
    found = rawsql.participant_with_workshop(
        workshop_id=workshop.pk, user=agent.user, guest_key=None, with_versions=True
    )
    with django_assert_num_queries(0):
        read = versions.versions_of(found.workshop, *scopes)
    assert read == versions.versions_read(*scopes)
    assert read.split("|")[0].endswith(".2") and read.split("|")[2] == "0"
    # A scope it did not read is read when asked, once.
    with django_assert_num_queries(1):
        versions.versions_of(found.workshop, (versions.BOARD, workshop.pk), ("ballot", 1))
        versions.versions_of(found.workshop, ("ballot", 1))


def test_without_versions_a_writing_request_reads_them_after_its_write(
    workshop, agent, django_assert_num_queries
):
    from django.db import transaction

    from kpiworkshop.core import versions

    found = rawsql.participant_with_workshop(
        workshop_id=workshop.pk, user=agent.user, guest_key=None
    )
    with transaction.atomic():  # the request's write, after it loaded the workshop
        versions.version_bump(versions.ROSTER, workshop.pk)
    with django_assert_num_queries(1):
        read = versions.versions_of(found.workshop, (versions.ROSTER, workshop.pk))
    assert read == versions.versions_read((versions.ROSTER, workshop.pk)) != "0"
