"""Sessions read from the cache, with the database as the truth.

Every signed-in page (the facilitators') loads its session first: with Django's database
engine that is one query per request. This is Django's ``cached_db`` engine — reads from the
cache, the database on a miss, writes to both — with two rules of ours:

- Only with a cache that every server process shares (Redis). With the in-process cache each
  process would keep its own copy, and signing out through one would leave the session alive
  in the others: ``session_engine_for`` picks the plain database engine there.
- A cached copy lives at most ``CACHE_SECONDS``. The default cache skips writes and deletes
  while Redis is unreachable (``core.cache``), so a session ended during an outage could
  otherwise come back from a Redis that kept its memory; this bounds that window. With Redis
  down, reads miss and fall back to the database: sessions keep working.

Both engines (this one and ``kpiworkshop.accounts.sessions_db``, the database alone) keep their
rows in ``models.Session``, whose ``user`` column is written from the session's data, and read
a row with its user in one statement compiled once (``rawsql.session_with_user``,
``WithUser``): a signed-in request whose session comes from the database makes one query for
both, where Django's engines build and run two ORM queries. ``middleware`` hands the user read
with the session to ``backends.ModelBackend``, which uses it only if it is the session's own.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

CACHE_SECONDS = 300
ENGINE = "kpiworkshop.accounts.sessions"
DB_ENGINE = "kpiworkshop.accounts.sessions_db"


def user_id_of(data: dict) -> int | None:
    """The signed-in user's id in a session's data (Django's ``SESSION_KEY``), None when there
    is none or it is not an id."""
    from django.contrib.auth import SESSION_KEY  # settings import this module

    value = data.get(SESSION_KEY)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class WithUser:
    """What both engines add to Django's database session store: the rows are ``Session``'s,
    with the user's id beside the data, and a row is read with its user in one statement.

    ``user_read_with_session`` is the user that statement found for the row's ``user`` column,
    or None: a hint for ``backends.ModelBackend``, which checks it is the session's user."""

    user_read_with_session = None

    @classmethod
    def get_model_class(cls):
        from .models import Session  # settings import this module, before the models are ready

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = user_id_of(data)
        return session

    def _get_session_from_db(self):
        from . import rawsql

        self.user_read_with_session = None
        try:
            found, user = rawsql.session_with_user(session_key=self.session_key, now=timezone.now())
        except SuspiciousOperation as exc:
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            found, user = None, None
        if found is None:
            self._session_key = None
        else:
            self.user_read_with_session = user
        return found


def session_engine_for(caches: dict) -> str:
    """``SESSION_ENGINE`` for these ``CACHES``: cached sessions only on a shared Redis."""
    backend = caches.get("default", {}).get("BACKEND", "")
    shared = backend.endswith(("ResilientRedisCache", "RedisCache"))
    return ENGINE if shared else DB_ENGINE


class _ShortLived:
    """The session cache, with every entry's lifetime capped at ``CACHE_SECONDS``."""

    def __init__(self, cache, seconds: int):
        self._cache = cache
        self._seconds = seconds

    def _cap(self, timeout):
        return self._seconds if timeout is None else min(timeout, self._seconds)

    def set(self, key, value, timeout=None, version=None):
        return self._cache.set(key, value, self._cap(timeout), version=version)

    async def aset(self, key, value, timeout=None, version=None):
        return await self._cache.aset(key, value, self._cap(timeout), version=version)

    def __contains__(self, key) -> bool:
        return key in self._cache

    def __getattr__(self, name):
        return getattr(self._cache, name)


class SessionStore(WithUser, CachedDBStore):
    cache_key_prefix = "kpiw:session:"

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _ShortLived(self._cache, CACHE_SECONDS)
