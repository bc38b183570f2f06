"""The join throttle when its cache is unreachable: it fails open, fast, and never 500s."""

import time
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpiworkshop.core.cache import redis_caches
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import Participant
from kpiworkshop.workshops.throttle import (
    JoinClient,
    join_blocked,
    join_failure_record,
    join_throttle_check,
)

# Nothing listens on port 1.
DEAD_REDIS = redis_caches("redis://127.0.0.1:1/0", settings.KPIW_REDIS_CACHE_OPTIONS)


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = DEAD_REDIS


def test_throttle_fails_open_when_the_cache_is_down(dead_cache, caplog):
    device = JoinClient(device="phone", address="10.0.0.1")
    join_failure_record(client=device, code="ABCDEF")
    assert join_blocked(client=device, code="ABCDEF") is False
    assert join_throttle_check(client=device, code="ABCDEF") == "unavailable"
    assert "cache unreachable" in caplog.text


def test_wrong_and_right_codes_answer_without_the_cache(dead_cache, invitation):
    device = JoinClient(device="phone", address="10.0.0.1")
    with pytest.raises(ValidationError) as exc_info:
        services.invitation_resolve(code="ZZZZZZ", client=device)
    assert exc_info.value.code == "unknown"
    assert services.invitation_resolve(code=invitation.code, client=device) == invitation


def test_join_pages_answer_fast_without_the_cache(dead_cache, client, invitation):
    started = time.monotonic()
    wrong = client.post(reverse("workshops:join"), {"code": "ZZZ ZZZ"})
    right = client.post(
        reverse("workshops:join_code", args=[invitation.code]), {"display_name": "Ada"}
    )
    elapsed = time.monotonic() - started
    assert wrong.status_code == 200
    assert "No workshop has this code" in wrong.content.decode()
    assert right.status_code == 302
    assert Participant.objects.filter(invitation=invitation, display_name="Ada").exists()
    assert elapsed < 1.0


def test_a_wrong_code_waits_for_a_dead_cache_once(dead_cache):
    device = JoinClient(device="phone", address="10.0.0.1")
    with (
        mock.patch("kpiworkshop.workshops.services.join_failure_record") as record,
        pytest.raises(ValidationError),
    ):
        services.invitation_resolve(code="ZZZZZZ", client=device)
    assert not record.called
