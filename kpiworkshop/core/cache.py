"""The cache as an optimisation that can never break a page.

``ResilientRedisCache`` is Django's Redis cache whose reads answer "not cached" and whose writes
are skipped when Redis cannot be reached, so every fragment cache, ``{% cache %}`` block and
progress note degrades to rendering or reading from the database instead of a 500. After a
failure it leaves Redis alone for ``KPIW_CACHE_RETRY_SECONDS`` (default 5), so a hung Redis
costs a page one socket timeout, not one per cached fragment. That pause lives on the backend
instance (Django keeps one per thread), never in module state.

Code that must *know* whether the cache answered — the join throttle, which fails open on
purpose and skips counting, and ``/healthz`` — uses the ``strict`` alias: the same server through
Django's plain backend, whose errors propagate — at once, without asking Redis, for
``KPIW_CACHE_RETRY_SECONDS`` after a failure (``FailFastRedisCache``).
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def _guarded(self, call: Callable[[], Any], default: Any) -> Any:
        if time.monotonic() < self._down_until:
            return default
        try:
            return call()
        except RedisError as exc:
            pause = getattr(settings, "KPIW_CACHE_RETRY_SECONDS", 5)
            self._down_until = time.monotonic() + pause
            log.warning("cache unreachable (%s): serving without it for %s s", exc, pause)
            return default

    def get(self, key, default=None, version=None):
        return self._guarded(lambda: RedisCache.get(self, key, default, version), default)

    def get_many(self, keys, version=None):
        return self._guarded(lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key, version=None):
        return self._guarded(lambda: RedisCache.has_key(self, key, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guarded(lambda: RedisCache.set(self, key, value, timeout, version), None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: RedisCache.set_many(self, data, timeout, version), list(data))

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: RedisCache.add(self, key, value, timeout, version), False)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: RedisCache.touch(self, key, timeout, version), False)

    def delete(self, key, version=None):
        return self._guarded(lambda: RedisCache.delete(self, key, version), False)

    def delete_many(self, keys, version=None):
        self._guarded(lambda: RedisCache.delete_many(self, keys, version), None)


class Backoff:
    """After a failure of a remote service, "leave it alone for ``KPIW_CACHE_RETRY_SECONDS``":
    a hung Redis then costs one timeout per pause, not one per request. One per cache backend
    instance (per thread); the broker's wake-up send has one per process (core/outbox.py)."""

    def __init__(self) -> None:
        self.until = 0.0

    def paused(self) -> bool:
        return time.monotonic() < self.until

    def failed(self) -> float:
        pause = getattr(settings, "KPIW_CACHE_RETRY_SECONDS", 5)
        self.until = time.monotonic() + pause
        return pause

    def reset(self) -> None:
        self.until = 0.0


class CacheUnavailable(RedisError):
    """Raised without asking Redis while the ``strict`` cache pauses after a failure."""


class FailFastRedisCache(RedisCache):
    """Django's Redis cache whose errors propagate (the ``strict`` alias), but which after a
    failure raises ``CacheUnavailable`` at once for ``KPIW_CACHE_RETRY_SECONDS`` instead of
    waiting for the socket timeout again: the join throttle fails open in microseconds."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._backoff = Backoff()

    @property
    def _down_until(self) -> float:
        return self._backoff.until

    @property
    def _cache(self):
        if self._backoff.paused():
            raise CacheUnavailable("cache paused after a failure")
        watch = self.__dict__.get("_watched_client")
        if watch is None:  # one client (and connection pool) per backend, as in RedisCache
            client = self._class(self._servers, **self._options)
            watch = self.__dict__["_watched_client"] = _FailureWatch(client, self._backoff)
        return watch


class _FailureWatch:
    """The cache client, starting the back-off when one of its commands fails."""

    def __init__(self, client, backoff: Backoff) -> None:
        self._client, self._backoff = client, backoff

    def __getattr__(self, name: str):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except RedisError as exc:
                pause = self._backoff.failed()
                log.warning("cache unreachable (%s): failing fast for %s s", exc, pause)
                raise

        return call


def redis_caches(location: str, options: dict) -> dict:
    """``CACHES`` for a Redis server: ``default`` (resilient) and ``strict`` (errors reported,
    failing fast for a while after one)."""
    plain = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "OPTIONS": dict(options),
    }
    return {
        "default": plain | {"BACKEND": "kpiworkshop.core.cache.ResilientRedisCache"},
        "strict": plain | {"BACKEND": "kpiworkshop.core.cache.FailFastRedisCache"},
    }


def cache_status() -> str:
    """For /healthz: "local" for an in-process cache; otherwise a round trip bounded by the
    cache's socket timeouts (settings). A cache error degrades the app (throttles fail open),
    it does not stop it."""
    from django.core.cache import caches

    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        return "local"
    try:
        caches["strict"].get("kpiw:healthz")
    except Exception:
        return "error"
    return "ok"
