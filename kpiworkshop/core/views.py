from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .htmx import HtmxHttpRequest


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return "error"
    return "ok"


def _broker_status() -> str:
    """ "eager" without a broker; otherwise one connection attempt bounded by the broker's
    short connection timeout (settings), so a dead Redis answers in about a second."""
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from kpiworkshop.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
    except Exception:
        return "error"
    return "ok"


def _cache_status() -> str:
    """ "local" for an in-process cache; otherwise a round trip bounded by the cache's socket
    timeouts (settings). A cache error degrades the app (throttles fail open), it does not
    stop it."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("locmem.LocMemCache", "dummy.DummyCache")):
        return "local"
    try:
        caches["strict"].get("kpiw:healthz")
    except Exception:
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request: HtmxHttpRequest) -> JsonResponse:
    """Each component's state for monitoring: database, broker, cache. 503 when any of them is
    in error. Answers within about 2 s whatever is down. Load balancers use /readyz."""
    database = _database_status()
    broker = _broker_status()
    cache_state = _cache_status()
    ok = database == "ok" and broker != "error" and cache_state != "error"
    return JsonResponse(
        {
            "status": "ok" if ok else "error",
            "database": database,
            "broker": broker,
            "cache": cache_state,
        },
        status=200 if ok else 503,
    )


@never_cache
@require_GET
def readyz(request: HtmxHttpRequest) -> JsonResponse:
    """Can this node take traffic? Only the database decides: with Redis or the workers down
    the app still serves (queued work waits in the outbox), so a load balancer must not pull
    every web node when Redis blips."""
    database = _database_status()
    ok = database == "ok"
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": database}, status=200 if ok else 503
    )


@require_GET
def trivial(request: HtmxHttpRequest) -> HttpResponse:
    """The benchmarks' baseline: the cheapest response through the same middleware."""
    return HttpResponse("ok", content_type="text/plain")
