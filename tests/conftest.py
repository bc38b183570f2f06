"""Fixtures named by role. ``workshop`` is in the propose stage unless a test moves it."""

import pytest

from kpiworkshop.accounts.models import Role

from .factories import (
    InvitationFactory,
    OrganisationFactory,
    ParticipantFactory,
    UserFactory,
    WorkshopFactory,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Join throttling counts failures in the cache: keep tests independent.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # LocaleMiddleware activates the request's language in the thread and leaves it there: a
    # test that sent an Italian request must not make the next test's plain calls Italian.
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _outbox_threads_finish():
    """In the embedded set-up a publish runs in a background thread of the process (issue 17):
    a test that starts one (a browser publishing, seed_demo) must not end, and have its
    database flushed, while that thread still writes to it."""
    import threading

    yield
    for thread in threading.enumerate():
        if thread.name.startswith("outbox-") and not thread.daemon:
            thread.join(timeout=120)


@pytest.fixture
def postgres_only():
    """For the race tests (``tests.races.RACE_TEST``): skipped unless on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("race tests need PostgreSQL (DATABASE_URL); .ci/run runs them")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # The production hasher is slow on purpose; factories set a password for every user.
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def workshop(organisation):
    return WorkshopFactory(organisation=organisation)


@pytest.fixture
def facilitator(workshop):
    return ParticipantFactory(workshop=workshop, role=Role.FACILITATOR, display_name="Fran")


@pytest.fixture
def agent(workshop):
    return ParticipantFactory(workshop=workshop, role=Role.AGENT, display_name="Andrea")


@pytest.fixture
def approver(workshop):
    return ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP, display_name="Lia")


@pytest.fixture
def guest_customer(workshop):
    return ParticipantFactory(
        workshop=workshop, role=Role.CUSTOMER, guest=True, display_name="Chiara"
    )


@pytest.fixture
def other_org_participant(db):
    """Someone from another organisation, taking part in their own organisation's workshop."""
    return ParticipantFactory(role=Role.FACILITATOR)


@pytest.fixture
def invitation(workshop):
    return InvitationFactory(workshop=workshop, role=Role.AGENT)


def login(client, participant):
    """Sign a member participant's user in on the test client."""
    client.force_login(participant.user)
    return client


def as_guest(client, participant):
    """Put a guest participant's signed device cookie on the test client."""
    from django.conf import settings
    from django.http import HttpResponse

    from kpiworkshop.workshops.access import remember_guest

    response = HttpResponse()
    remember_guest(response, participant.guest_key)
    client.cookies[settings.KPIW_GUEST_COOKIE] = response.cookies[settings.KPIW_GUEST_COOKIE].value
    return client


@pytest.fixture
def operator(client, db):
    """A client signed in as a staff superuser: the admin's operator."""
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _broker_backoff_reset():
    # A test that made the broker fail must not leave the next test's wake-ups paused.
    from kpiworkshop.core.outbox import _broker_backoff

    _broker_backoff.reset()
    yield
    _broker_backoff.reset()


def written_outside_services(kind: str, object_id: int) -> None:
    """What a write made outside the services (a test's direct ``save()``, the admin, a
    shell) must do for the shared fragments that show it: bump its scope's version
    (``core.versions``)."""
    from django.db import transaction

    from kpiworkshop.core import versions

    with transaction.atomic():
        versions.version_bump(getattr(versions, kind), object_id)
