"""``core.rawsql`` gives what the ORM query it replaces gives, and the session engines that
use it behave as Django's."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from kpiworkshop.core import rawsql, sessions
from kpiworkshop.core.sessions_db import SessionStore
from tests.core.test_rawsql_modules import row

pytestmark = pytest.mark.django_db


def _orm(session_key, now):
    return Session.objects.filter(session_key=session_key, expire_date__gt=now).first()


def _same(session_key, now):
    raw, orm = rawsql.session_unexpired(session_key=session_key, now=now), _orm(session_key, now)
    assert (row(raw) if raw else None) == (row(orm) if orm else None)
    return raw


def test_session_unexpired_is_the_orm_query():
    now = timezone.now()
    store = SessionStore()
    store["k"] = "v"
    store.set_expiry(3600)
    store.save()
    other = SessionStore()
    other["k"] = "other"
    other.save()
    found = _same(store.session_key, now)
    assert found.get_decoded() == {"k": "v", "_session_expiry": 3600}
    assert _same(other.session_key, now).get_decoded()["k"] == "other"
    # Expired at "now": the row is there, but not found (exactly at its expiry too).
    expiry = Session.objects.get(session_key=store.session_key).expire_date
    assert _same(store.session_key, expiry) is None
    assert _same(store.session_key, expiry + datetime.timedelta(seconds=1)) is None
    assert _same(store.session_key, expiry - datetime.timedelta(microseconds=1)) is not None
    assert _same("no-such-key-000000000000", now) is None
    assert _same("", now) is None


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
        "kpiworkshop.core.sessions_db"
    )


def test_scope_versions_is_the_orm_query():
    from django.db import transaction
    from django.db.models import Q

    from kpiworkshop.core import versions
    from kpiworkshop.core.models import ScopeVersion

    with transaction.atomic():
        versions.version_bump(versions.BOARD, 7)
        versions.version_bump(versions.BOARD, 7)
        versions.version_bump(versions.MAP, 7)
        versions.version_bump(versions.BOARD, 8)

    def orm(scopes):
        where = Q(pk__in=[])
        for kind, object_id in scopes:
            where |= Q(kind=kind, object_id=object_id)
        return sorted(
            ScopeVersion.objects.filter(where).values_list("kind", "object_id", "epoch", "n")
        )

    for scopes in (
        [(versions.BOARD, 7)],
        [(versions.BOARD, 7), (versions.MAP, 7), (versions.ROSTER, 7)],
        [(versions.MAP, 8), (versions.BOARD, 8), (versions.BOARD, "7")],
        [(versions.GOALS, 10**12)],
        [],
    ):
        assert sorted(rawsql.scope_versions(scopes)) == orm(scopes)
    board = dict(((k, i), n) for k, i, _e, n in rawsql.scope_versions([(versions.BOARD, 7)]))
    assert board == {(versions.BOARD, 7): 2}
    # As the keys read them: a scope never written is "0", the rest "epoch.n", in order.
    read = versions.versions_read((versions.ROSTER, 7), (versions.BOARD, 7))
    assert read.split("|")[0] == "0" and read.split("|")[1].endswith(".2")
