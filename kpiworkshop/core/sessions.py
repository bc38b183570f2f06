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

Both engines (this one and ``kpiworkshop.core.sessions_db``, the database alone) read the
session row with ``rawsql.session_unexpired``, a statement compiled once, instead of Django's
ORM query built on every request (``RawRead``).
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

CACHE_SECONDS = 300
ENGINE = "kpiworkshop.core.sessions"
DB_ENGINE = "kpiworkshop.core.sessions_db"


class RawRead:
    """Django's database session store's read, as one statement compiled once: the unexpired
    row with the session's key, else the key is forgotten (a new session starts), as Django
    does."""

    def _get_session_from_db(self):
        from . import rawsql  # settings import this module, before the models are ready

        try:
            found = rawsql.session_unexpired(session_key=self.session_key, now=timezone.now())
        except SuspiciousOperation as exc:
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            found = None
        if found is None:
            self._session_key = None
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


class SessionStore(RawRead, CachedDBStore):
    cache_key_prefix = "kpiw:session:"

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _ShortLived(self._cache, CACHE_SECONDS)
