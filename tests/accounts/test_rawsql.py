"""``accounts.rawsql`` gives what the ORM queries it replaces give; the session engines that
use it behave as Django's; the backend that uses it signs people in and out as Django's
``ModelBackend`` does, and uses the user read with the session only when it is the session's."""

import datetime

import pytest
from django.contrib.auth import get_user
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from kpiworkshop.accounts import rawsql, sessions
from kpiworkshop.accounts.backends import ModelBackend
from kpiworkshop.accounts.models import Session, User
from kpiworkshop.accounts.sessions_db import SessionStore
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


def _orm(session_key, now):
    return (
        Session.objects.select_related("user")
        .filter(session_key=session_key, expire_date__gt=now)
        .first()
    )


def _same(session_key, now):
    raw, user = rawsql.session_with_user(session_key=session_key, now=now)
    orm = _orm(session_key, now)
    assert (row(raw) if raw else None) == (row(orm) if orm else None)
    orm_user = orm.user if orm else None
    assert (row(user) if user else None) == (row(orm_user) if orm_user else None)
    return raw, user


def test_session_with_user_is_the_orm_query(client):
    now = timezone.now()
    store = SessionStore()
    store["k"] = "v"
    store.set_expiry(3600)
    store.save()
    alice = UserFactory()
    client.force_login(alice)
    signed_in = client.cookies["sessionid"].value
    found, user = _same(store.session_key, now)
    assert found.get_decoded() == {"k": "v", "_session_expiry": 3600}
    assert found.user_id is None and user is None
    found, user = _same(signed_in, now)
    assert found.user_id == alice.pk and user == alice
    # Expired at "now": the row is there, but not found (exactly at its expiry too).
    expiry = Session.objects.get(session_key=store.session_key).expire_date
    assert _same(store.session_key, expiry) == (None, None)
    assert _same(store.session_key, expiry + datetime.timedelta(seconds=1)) == (None, None)
    assert _same(store.session_key, expiry - datetime.timedelta(microseconds=1))[0] is not None
    assert _same("no-such-key-000000000000", now) == (None, None)
    assert _same("", now) == (None, None)
    # A user gone since (no constraint ties the column to a user): the session, no one.
    User.objects.filter(pk=alice.pk).delete()
    found, user = _same(signed_in, now)
    assert found is not None and found.user_id == alice.pk and user is None


def test_the_database_engine_reads_and_forgets_as_djangos():
    store = SessionStore()
    store["who"] = "me"
    store.save()
    assert SessionStore(store.session_key)["who"] == "me"
    # An unknown or expired key: an empty session whose key is forgotten (a new one is made
    # on save, never the key the browser sent).
    unknown = SessionStore("abcdefgh12345678abcdefgh12345678")
    assert unknown.load() == {}
    assert unknown.session_key is None
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert "who" not in expired
    assert expired.session_key is None


def test_the_default_engine_without_redis_is_ours(settings):
    assert settings.SESSION_ENGINE in (sessions.DB_ENGINE, sessions.ENGINE)
    assert sessions.session_engine_for({"default": {"BACKEND": "locmem"}}) == (
        "kpiworkshop.accounts.sessions_db"
    )


@pytest.mark.parametrize("engine", [sessions.DB_ENGINE, sessions.ENGINE])
def test_each_save_writes_the_signed_in_users_id_beside_the_data(settings, client, engine):
    settings.SESSION_ENGINE = engine
    alice = UserFactory()
    client.force_login(alice)
    key = client.cookies["sessionid"].value
    assert Session.objects.get(session_key=key).user_id == alice.pk
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    store = SessionStore()
    store["_auth_user_id"] = "not-an-id"
    store.save()
    assert Session.objects.get(session_key=store.session_key).user_id is None


def _signed_in_page(client):
    return client.get(reverse("accounts:tokens"))


def test_a_signed_in_request_reads_its_session_and_user_in_one_query(
    client, django_assert_num_queries
):
    alice = UserFactory()
    client.force_login(alice)
    with django_assert_num_queries(1) as captured:
        request = RequestFactory().get("/")
        request.session = SessionStore(client.cookies["sessionid"].value)
        from kpiworkshop.accounts.middleware import _user_of

        assert _user_of(request) == alice
    assert "accounts_user" in captured.captured_queries[0]["sql"]


def test_the_user_read_with_the_session_is_used_only_if_it_is_the_sessions(
    client, django_assert_num_queries
):
    """The column is a hint: the user id in the signed data decides. A row whose column names
    someone else (written behind Django's back) still gives the session's own user."""
    from kpiworkshop.accounts.middleware import _user_of

    alice, mallory = UserFactory(), UserFactory()
    client.force_login(alice)
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(user_id=mallory.pk)
    request = RequestFactory().get("/")
    request.session = SessionStore(key)
    with django_assert_num_queries(2):  # the session (with mallory), then alice herself
        assert _user_of(request) == alice
    # Outside a request's loading the backend never takes a session's user.
    assert ModelBackend().get_user(alice.pk) == alice


def test_a_changed_password_signs_out_a_session_read_with_its_user(client):
    alice = UserFactory()
    client.force_login(alice)
    assert _signed_in_page(client).status_code == 200
    alice.set_password("another-long-password")
    alice.save()
    response = _signed_in_page(client)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_an_inactive_user_is_signed_out_though_read_with_the_session(client):
    alice = UserFactory()
    client.force_login(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = _signed_in_page(client)
    assert response.status_code == 302
