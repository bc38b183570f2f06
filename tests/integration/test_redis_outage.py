"""Redis really stops under the app (cache and broker both on it) and comes back empty.

The app's own code runs in this process against a private redis-server: joins keep answering,
the e-mail request answers at once and says the e-mails are queued, and once Redis is back the
sweep delivers every queued e-mail — including one whose wake-up message Redis lost — exactly
once. Part of the worker group (`.ci/run`); see conftest.py.
"""

import json
import time

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.celery import app as celery_app
from kpiworkshop.core.cache import redis_caches
from kpiworkshop.core.heartbeat import heartbeat_record
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.core.outbox import outbox_sweep
from kpiworkshop.workshops.models import InvitationEmail, Participant
from tests.factories import InvitationFactory, ParticipantFactory, WorkshopFactory

from .conftest import reset_broker_connections

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def app_on_redis(redis_server):
    """Point the cache and the broker of this process at the private Redis."""
    caches = redis_caches(redis_server.url(0), settings.KPIW_REDIS_CACHE_OPTIONS)
    conf = celery_app.conf
    saved = (conf.get("broker_write_url"), conf.task_always_eager, conf.task_default_queue)
    # broker_url would lose to the CELERY_BROKER_URL environment variable; the write URL does
    # not, and it is the one publishing (and /healthz) uses.
    conf.broker_write_url = redis_server.url(1)
    conf.task_always_eager = False
    conf.task_default_queue = "kpiw-outage-test"  # no worker listens: only the sweep delivers
    reset_broker_connections(celery_app)
    try:
        with override_settings(CACHES=caches, CELERY_BROKER_URL=redis_server.url(1)):
            yield redis_server
    finally:
        conf.broker_write_url, conf.task_always_eager, conf.task_default_queue = saved
        reset_broker_connections(celery_app)


def timed(fn, label: str = ""):
    started = time.monotonic()
    response = fn()
    took = time.monotonic() - started
    if label:  # shown with `pytest -s`: the figures docs/operations.md quotes
        print(f"redis outage: {label} answered {response.status_code} in {took * 1000:.0f} ms")
    return response, took


def queued_messages(redis_server) -> int:
    import redis

    return redis.Redis.from_url(redis_server.url(1)).llen("kpiw-outage-test")


def test_joins_and_emails_survive_redis_stopping_and_losing_its_memory(client, app_on_redis):
    redis_server = app_on_redis
    workshop = WorkshopFactory()
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    invitation = InvitationFactory(workshop=workshop, role=Role.AGENT)
    email_url = reverse("workshops:invitation_email", args=[workshop.pk, invitation.pk])
    join_url = reverse("workshops:join")
    code_url = reverse("workshops:join_code", args=[invitation.code])
    client.force_login(facilitator.user)

    # Redis up: an e-mail is queued and its wake-up message sits in Redis (no worker yet).
    response = client.post(email_url, {"emails": "before@example.com"})
    assert response.status_code == 302
    assert queued_messages(redis_server) == 1
    assert json.loads(client.get("/healthz").content)["broker"] == "ok"
    guest = type(client)()  # a fresh, signed-out phone
    assert guest.post(join_url, {"code": "ZZZ ZZZ"}).status_code == 200  # a warm server

    # Redis hangs (it accepts connections and never answers): still answers, fast.
    redis_server.pause()
    try:
        wrong, took = timed(lambda: guest.post(join_url, {"code": "ZZZ ZZZ"}), "hung: wrong code")
        assert wrong.status_code == 200
        assert took < 1.0
        sent, took = timed(
            lambda: client.post(email_url, {"emails": "hung@example.com"}), "hung: e-mails"
        )
        assert sent.status_code == 302
        assert took < 2.0
        health, took = timed(lambda: client.get("/healthz"), "hung: /healthz")
        assert health.status_code == 503
        assert took < 2.0
    finally:
        redis_server.resume()

    redis_server.stop()

    # Wrong and right codes: answers, no 500, under a second each.
    wrong, took = timed(lambda: guest.post(join_url, {"code": "ZZZ ZZZ"}), "wrong code")
    assert wrong.status_code == 200, took
    assert "No workshop has this code" in wrong.content.decode()
    assert took < 1.0
    right, took = timed(lambda: guest.post(join_url, {"code": invitation.code}), "right code")
    assert right.status_code == 302
    assert took < 1.0
    joined, took = timed(lambda: guest.post(code_url, {"display_name": "Ada"}), "guest join")
    assert joined.status_code == 302
    assert took < 1.0
    assert Participant.objects.filter(invitation=invitation, display_name="Ada").exists()

    # The e-mail request: answers within 2 s and says the e-mails are queued.
    sent, took = timed(
        lambda: client.post(email_url, {"emails": "during@example.com"}, follow=True), "e-mails"
    )
    assert sent.status_code == 200
    assert "1 invitation queued for sending." in sent.content.decode()
    assert took < 2.0

    # Health: within 2 s, says what is down; ready for traffic all the same.
    health, took = timed(lambda: client.get("/healthz"), "/healthz")
    assert took < 2.0
    assert health.status_code == 503
    assert {
        k: v for k, v in json.loads(health.content).items() if not k.startswith(("worker", "beat"))
    } == {
        "status": "error",
        "database": "ok",
        "broker": "error",
        "cache": "error",
    }
    assert client.get("/readyz").status_code == 200

    # The sweep while Redis is still down: it wakes nothing and loses nothing.
    assert outbox_sweep(grace_seconds=0) == 0
    assert mail.outbox == []

    # Redis comes back empty: the first wake-up message is gone with its memory.
    # The web process's pooled broker connections recover by themselves.
    redis_server.start()
    assert queued_messages(redis_server) == 0
    assert OutboxItem.objects.pending().count() == 3

    # The sweep re-sends both wake-ups to the broker (a worker would run them) ...
    assert outbox_sweep(grace_seconds=0) == 3
    assert queued_messages(redis_server) == 3
    # ... and, run here as `manage.py sweep_outbox --run` would, delivers each e-mail once.
    assert outbox_sweep(run=True, grace_seconds=0) == 3
    assert outbox_sweep(run=True, grace_seconds=0) == 0
    assert sorted(m.to[0] for m in mail.outbox) == [
        "before@example.com",
        "during@example.com",
        "hung@example.com",
    ]
    assert InvitationEmail.objects.filter(sent_at__isnull=True).count() == 0
    assert OutboxItem.objects.pending().count() == 0
    # No worker or beat runs in this test: say they are alive, and let the web thread's cache
    # pause after the outage (KPIW_CACHE_RETRY_SECONDS) end, as the next minute's probe would.
    heartbeat_record(name="worker")
    heartbeat_record(name="beat")
    with override_settings(KPIW_CACHE_RETRY_SECONDS=0):
        from django.core.cache import caches

        caches["strict"]._backoff.reset()
        assert json.loads(client.get("/healthz").content)["status"] == "ok"
