"""Slowing down join-code guessing without locking out a room.

Only *failed* attempts count. Three buckets, each a counter in the shared cache with a fixed
window: per device (its guest cookie, or address + user agent when it has none), per network
address, and per code typed. A room of 200 phones behind one Wi-Fi address that all type the
right code never fails, so it never fills a bucket; one device typing guesses is stopped after
a few, and a whole address only after many. The address bucket is generous because a venue's
phones share it.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


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


def join_blocked(*, client: JoinClient, code: str) -> bool:
    values = cache.get_many([k for k, _ in _limits(client, code)])
    return any(values.get(k, 0) >= limit for k, limit in _limits(client, code))


def join_failure_record(*, client: JoinClient, code: str) -> None:
    window = settings.KPIW_JOIN_FAILURE_WINDOW
    for key, _limit in _limits(client, code):
        # add() is a no-op when the key exists, so the window starts at the first failure.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
