"""Slowing down join-code guessing without locking out a room.

Only *failed* attempts count. Three buckets, each a counter in the shared cache with a fixed
window: per device (its guest cookie, or address + user agent when it has none), per network
address, and per code typed. A room of 200 phones behind one Wi-Fi address that all type the
right code never fails, so it never fills a bucket; one device typing guesses is stopped after
a few, and a whole address only after many. The address bucket is generous because a venue's
phones share it.

When the cache is unreachable the throttle *fails open*, deliberately: the attempt goes through
and a warning is logged. Failing closed would lock every room out of joining for as long as
Redis is down, while failing open only lets a guesser try more codes for that time, out of
25^6 (about 244 million), against a code that is also usually limited in time and people. The
cache's short socket timeouts (settings) keep the cost of a dead Redis to milliseconds, a
request makes at most one attempt at it, and after a failure the ``strict`` cache answers
"unavailable" at once for a few seconds (core/cache.py), so a hung Redis costs one timeout per
pause, not one per join.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JoinClient:
    device: str
    address: str


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"kpiw:joinfail:{kind}:{digest}"


def _limits(client: JoinClient, code: str) -> list[tuple[str, int]]:
    buckets = [
        (_key("device", client.device), settings.KPIW_JOIN_MAX_FAILURES_PER_DEVICE),
        (_key("addr", client.address), settings.KPIW_JOIN_MAX_FAILURES_PER_ADDRESS),
    ]
    if code:
        buckets.append((_key("code", code), settings.KPIW_JOIN_MAX_FAILURES_PER_CODE))
    return buckets


def join_throttle_check(*, client: JoinClient, code: str) -> str:
    """ "blocked" when this device, address or code has failed too often lately, "ok" when not,
    "unavailable" when the cache cannot be reached (fail open, see the module docstring; the
    caller then skips counting this attempt, so a dead cache costs one timeout, not two)."""
    limits = _limits(client, code)
    try:
        values = caches["strict"].get_many([k for k, _ in limits])
    except Exception:
        log.warning("join throttle: cache unreachable, letting the attempt through")
        return "unavailable"
    return "blocked" if any(values.get(k, 0) >= limit for k, limit in limits) else "ok"


def join_blocked(*, client: JoinClient, code: str) -> bool:
    """Has this device, address or code failed too often lately? False when the cache is
    unreachable."""
    return join_throttle_check(client=client, code=code) == "blocked"


def join_failure_record(*, client: JoinClient, code: str) -> None:
    """Count a failed attempt in each bucket. Gives up quietly at the first cache error."""
    window = settings.KPIW_JOIN_FAILURE_WINDOW
    try:
        for key, _limit in _limits(client, code):
            # add() is a no-op when the key exists, so the window starts at the first failure.
            caches["strict"].add(key, 0, timeout=window)
            try:
                caches["strict"].incr(key)
            except ValueError:  # expired between add and incr
                caches["strict"].set(key, 1, timeout=window)
    except Exception:
        log.warning("join throttle: cache unreachable, failed attempt not counted")
