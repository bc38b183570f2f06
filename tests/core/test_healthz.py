from unittest import mock

from kpiworkshop.core.cache import redis_caches


def test_healthz_reports_database_and_eager_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "eager",
        "cache": "local",
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
