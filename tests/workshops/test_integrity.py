"""Joining under real concurrency: threads, each with its own database connection.

PostgreSQL only (row locks, real parallel transactions); `.ci/run` runs the suite on it. On the
default in-memory SQLite they are skipped, since its test database cannot be shared between
threads.
"""

from django.core.exceptions import ValidationError

from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import Participant
from tests.factories import InvitationFactory, UserFactory, WorkshopFactory
from tests.races import RACE_TEST, run_at_once

pytestmark = RACE_TEST


def test_simultaneous_guest_joins_never_exceed_the_codes_maximum():
    invitation = InvitationFactory(workshop=WorkshopFactory(), max_uses=3)
    results = run_at_once(
        20,
        lambda i: services.participant_join_guest(
            invitation=invitation, guest_key=f"device-{i}", display_name=f"Guest {i}"
        ),
    )
    joined = [r for r in results if isinstance(r, Participant)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(joined) == 3
    assert len(refused) == 17
    assert {e.code for e in refused} == {"full"}
    assert Participant.objects.filter(invitation=invitation).count() == 3


def test_simultaneous_member_joins_never_exceed_the_codes_maximum():
    invitation = InvitationFactory(workshop=WorkshopFactory(), max_uses=2)
    users = [UserFactory() for _ in range(12)]
    results = run_at_once(
        12,
        lambda i: services.participant_join_member(
            user=users[i], workshop=invitation.workshop, invitation=invitation
        ),
    )
    assert len([r for r in results if isinstance(r, Participant)]) == 2
    assert all(isinstance(r, ValidationError | Participant) for r in results), results
    assert Participant.objects.filter(invitation=invitation).count() == 2
