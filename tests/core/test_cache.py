"""The cache never breaks a page: with Redis unreachable, reads are misses and writes are
skipped (``default``), while ``strict`` still reports the failure to the code that must know."""

from unittest import mock

import pytest
from django.core.cache import caches
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from kpiworkshop.core.cache import redis_caches
from tests.conftest import login

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def dead_redis(settings):
    settings.CACHES = redis_caches(DEAD, settings.KPIW_REDIS_CACHE_OPTIONS)


def test_default_cache_reads_miss_and_writes_are_skipped_when_redis_is_down(dead_redis):
    cache = caches["default"]
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    cache.set("k", 1, 60)
    assert cache.add("k", 1) is False
    assert cache.delete("k") is False
    assert cache.get_or_set("k", lambda: 7) == 7


def test_strict_cache_still_raises(dead_redis):
    with pytest.raises(RedisConnectionError):
        caches["strict"].get("k")


def test_after_a_failure_the_cache_is_left_alone_for_a_while(dead_redis):
    cache = caches["default"]
    assert cache.get("k") is None  # the failure that starts the pause
    with mock.patch(
        "django.core.cache.backends.redis.RedisCache.get", side_effect=AssertionError("called")
    ):
        assert cache.get("k", "x") == "x"  # paused: Redis is not asked again


def test_pages_with_cached_fragments_answer_without_redis(
    dead_redis, client, workshop, facilitator
):
    login(client, facilitator)
    # The workshop page caches its invitation form; the board caches its cards.
    assert client.get(reverse("workshops:detail", args=[workshop.pk])).status_code == 200
    assert client.get(reverse("kpis:board", args=[workshop.pk])).status_code == 200


# --- issue 17, item 16: a hung Redis costs one timeout per few seconds, not one per request ---


def test_strict_cache_fails_fast_after_a_failure_until_the_pause_ends(dead_redis, settings):
    from redis.exceptions import RedisError

    with pytest.raises(RedisConnectionError):
        caches["strict"].get("k")  # the timeout that starts the pause
    with (
        mock.patch(
            "django.core.cache.backends.redis.RedisCacheClient.get_many",
            side_effect=AssertionError("Redis asked again during the pause"),
        ),
        pytest.raises(RedisError),
    ):  # still reported to the code that must know
        caches["strict"].get_many(["k"])
    later = caches["strict"]._down_until + 0.1
    with mock.patch("time.monotonic", return_value=later), pytest.raises(RedisConnectionError):
        caches["strict"].get("k")  # the pause is over: Redis is tried again


def test_join_throttle_pays_one_cache_timeout_per_pause_not_per_join(dead_redis):
    from kpiworkshop.workshops.throttle import JoinClient, join_throttle_check

    client = JoinClient(device="d", address="a")
    with mock.patch(
        "django.core.cache.backends.redis.RedisCacheClient.get_many",
        side_effect=RedisConnectionError("timed out"),
    ) as get_many:
        assert [join_throttle_check(client=client, code="ABC") for _ in range(5)] == [
            "unavailable"
        ] * 5
    assert get_many.call_count == 1
