import contextlib
import io
from datetime import timedelta
from unittest import mock

from django.utils import timezone

from kpiworkshop.core.cache import redis_caches
from kpiworkshop.core.heartbeat import heartbeat_record


def test_healthz_reports_database_and_eager_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "eager",
        "cache": "local",
        "worker": "eager",
        "worker_age": None,
        "beat": "eager",
        "beat_age": None,
    }
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_is_down(client, db):
    broken = mock.Mock()
    broken.cursor.side_effect = RuntimeError("database is gone")
    with mock.patch("kpiworkshop.core.views.connection", broken):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error",
        "broker": "eager",
        "cache": "local",
        "worker": "eager",
        "worker_age": None,
        "beat": "eager",
        "beat_age": None,
    }


def test_healthz_is_503_when_a_configured_broker_is_unreachable(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with mock.patch("kpiworkshop.celery.app.connection_for_write", side_effect=OSError("refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


def test_healthz_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405


def test_trivial_benchmark_view(client, db):
    response = client.get("/bench/trivial")
    assert response.content == b"ok"


def test_healthz_reports_an_unreachable_redis_cache(client, db, settings):
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0", settings.KPIW_REDIS_CACHE_OPTIONS)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"
    assert response.json()["database"] == "ok"


def test_readyz_says_ready_while_the_background_side_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with mock.patch("kpiworkshop.celery.app.connection_for_write", side_effect=OSError("refused")):
        assert client.get("/healthz").status_code == 503
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_503_without_the_database(client, db):
    broken = mock.Mock()
    broken.cursor.side_effect = RuntimeError("database is gone")
    with mock.patch("kpiworkshop.core.views.connection", broken):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}


# --- worker liveness (issue 17, item 15) ------------------------------------------------------


def _with_broker(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    return mock.patch("kpiworkshop.core.views._broker_status", return_value="ok")


def test_healthz_is_503_with_a_broker_but_no_worker_ever_seen(client, db, settings):
    with _with_broker(settings):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["worker"] == "stale" and body["worker_age"] is None
    assert body["beat"] == "stale" and body["beat_age"] is None
    assert client.get("/readyz").status_code == 200  # readiness stays database-only


def test_healthz_reports_the_age_of_the_worker_and_beat_heartbeats(client, db, settings):
    from kpiworkshop.core.tasks import heartbeat

    heartbeat_record(name="beat")
    heartbeat.apply()  # what beat sends every KPIW_HEARTBEAT_SECONDS; a worker runs it
    with _with_broker(settings):
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["worker"] == "ok" and 0 <= body["worker_age"] < 5
    assert body["beat"] == "ok" and 0 <= body["beat_age"] < 5


def test_healthz_is_503_when_the_worker_heartbeat_is_stale(client, db, settings):
    heartbeat_record(name="beat")
    heartbeat_record(name="worker")
    later = timezone.now() + timedelta(seconds=settings.KPIW_HEARTBEAT_STALE_SECONDS + 1)
    heartbeat_record(name="beat", at=later)
    with _with_broker(settings), mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["worker"] == "stale" and body["worker_age"] > settings.KPIW_HEARTBEAT_STALE_SECONDS
    assert body["beat"] == "ok"


def test_worker_start_and_beat_ticks_record_heartbeats(db, settings):
    from celery.signals import worker_ready

    from kpiworkshop.core.heartbeat import HeartbeatScheduler
    from kpiworkshop.core.models import Heartbeat

    worker_ready.send(sender=None)
    assert Heartbeat.objects.filter(name="worker").exists()
    scheduler = HeartbeatScheduler.__new__(HeartbeatScheduler)
    scheduler._heartbeat_at = 0.0
    with mock.patch("celery.beat.PersistentScheduler.tick", return_value=5.0) as tick:
        assert scheduler.tick() == 5.0
        first = Heartbeat.objects.get(name="beat").seen_at
        scheduler.tick()  # within the interval: no second write
    assert tick.call_count == 2
    assert Heartbeat.objects.get(name="beat").seen_at == first
    assert settings.CELERY_BEAT_SCHEDULER == "kpiworkshop.core.heartbeat:HeartbeatScheduler"
    assert (
        settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["task"]
        == "kpiworkshop.core.tasks.heartbeat"
    )


def test_sweep_outbox_standing_in_for_beat_records_beat_and_sends_the_worker_heartbeat(db):
    from django.core.management import call_command

    from kpiworkshop.core.models import Heartbeat

    with (
        mock.patch("time.sleep", side_effect=KeyboardInterrupt),
        mock.patch("kpiworkshop.core.tasks.heartbeat.apply_async") as send,
        contextlib.suppress(KeyboardInterrupt),
    ):
        call_command("sweep_outbox", "--every", "60", stdout=io.StringIO())
    assert Heartbeat.objects.filter(name="beat").exists()
    assert send.call_args.kwargs["expires"] == 60
