"""``accounts.rawsql`` gives what the ORM query it replaces gives, and the backend that uses
it signs people in and out as Django's ``ModelBackend`` does."""

import pytest
from django.contrib.auth import get_user
from django.test import RequestFactory

from kpiworkshop.accounts import rawsql
from kpiworkshop.accounts.backends import ModelBackend
from kpiworkshop.accounts.models import User
from tests.core.test_rawsql_modules import row
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_get_is_the_orm_query():
    alice, bob = UserFactory(), UserFactory(is_active=False)
    for user in (alice, bob):
        assert row(rawsql.user_get(user_id=user.pk)) == row(User.objects.get(pk=user.pk))
    assert rawsql.user_get(user_id=10**12) is None


def test_the_backend_refuses_an_inactive_or_missing_user():
    alice, bob = UserFactory(), UserFactory(is_active=False)
    backend = ModelBackend()
    assert backend.get_user(alice.pk) == alice
    assert backend.get_user(bob.pk) is None
    assert backend.get_user(10**12) is None


def test_a_signed_in_request_loads_its_user_and_a_changed_password_signs_it_out(client):
    alice = UserFactory()
    client.force_login(alice)
    request = RequestFactory().get("/")
    request.session = client.session
    assert get_user(request) == alice
    alice.set_password("another-long-password")
    alice.save()
    request.session = client.session
    assert get_user(request).is_anonymous


def test_a_session_of_djangos_backend_path_stays_signed_in(client):
    """Sessions signed in before this backend recorded Django's path: still signed in."""
    from django.contrib.auth import BACKEND_SESSION_KEY

    from kpiworkshop.accounts.backends import DJANGO_BACKEND

    alice = UserFactory()
    client.force_login(alice, backend=DJANGO_BACKEND)
    request = RequestFactory().get("/")
    request.session = client.session
    assert request.session[BACKEND_SESSION_KEY] == DJANGO_BACKEND
    assert get_user(request) == alice


def test_a_wrong_password_is_checked_once_and_refused(monkeypatch):
    """Django's backend, listed second, never checks a password again (no double hashing)."""
    from django.contrib.auth import authenticate

    alice = UserFactory()
    alice.set_password("the-right-long-password")
    alice.save()
    hashed = []
    for name in ("check_password", "set_password"):  # set_password: Django's timing guard
        original = getattr(User, name)
        monkeypatch.setattr(
            User, name, lambda self, raw, _o=original: hashed.append(raw) or _o(self, raw)
        )
    assert authenticate(username=alice.username, password="wrong-password") is None
    assert hashed == ["wrong-password"]
    assert authenticate(username="nobody-at-all", password="wrong-again") is None
    assert hashed == ["wrong-password", "wrong-again"]
    found = authenticate(username=alice.username, password="the-right-long-password")
    assert found == alice
    assert found.backend == "kpiworkshop.accounts.backends.ModelBackend"
