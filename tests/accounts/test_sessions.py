"""Signed-in pages read their session from the cache when it is a shared Redis, never lose it
when Redis is down, and a signed-out session stays signed out."""

import time

import pytest
from django.core.cache import caches
from django.urls import reverse

from kpiworkshop.accounts import sessions
from kpiworkshop.accounts.sessions import CACHE_SECONDS, SessionStore, session_engine_for
from kpiworkshop.core.cache import redis_caches
from tests.conftest import login

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def page(client, workshop):
    return client.get(reverse("workshops:detail", args=[workshop.pk]))


def test_cached_sessions_only_on_a_shared_redis(settings):
    assert session_engine_for(redis_caches(DEAD, {})) == sessions.ENGINE
    # Each process's own memory: a sign-out in one would not reach the others.
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert session_engine_for(locmem) == sessions.DB_ENGINE


def test_a_cached_session_spares_the_session_query(
    settings, client, workshop, facilitator, django_assert_num_queries
):
    settings.SESSION_ENGINE = sessions.ENGINE
    login(client, facilitator)
    assert page(client, workshop).status_code == 200
    # User, participant with workshop and its roster version, the run-sheet's countdown: no
    # session query.
    with django_assert_num_queries(3):
        assert "Invite people" in page(client, workshop).content.decode()


def test_signing_out_ends_the_cached_session(settings, client, workshop, facilitator):
    settings.SESSION_ENGINE = sessions.ENGINE
    login(client, facilitator)
    assert page(client, workshop).status_code == 200
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("accounts:logout"))
    client.cookies[settings.SESSION_COOKIE_NAME] = old_cookie  # someone kept the old cookie
    assert page(client, workshop).status_code == 404  # not signed in: no workshop to see


def test_cached_copies_live_briefly(db):
    store = SessionStore()
    store["k"] = "v"
    store.save()
    key = store.cache_key
    cache = caches["default"]
    internal = cache.make_and_validate_key(key)
    remaining = cache._expire_info[internal] - time.time()
    assert 0 < remaining <= CACHE_SECONDS
    assert SessionStore(store.session_key).load() == {"k": "v"}


@pytest.fixture
def dead_redis_sessions(settings):
    settings.CACHES = redis_caches(DEAD, settings.KPIW_REDIS_CACHE_OPTIONS)
    settings.SESSION_ENGINE = sessions.ENGINE


def test_sessions_work_with_redis_down(dead_redis_sessions, client, workshop, facilitator):
    login(client, facilitator)  # saved to the database; the cache write is skipped
    response = page(client, workshop)
    assert response.status_code == 200 and "Invite people" in response.content.decode()
    client.post(reverse("accounts:logout"))
    assert page(client, workshop).status_code == 404
