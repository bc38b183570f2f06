import sys

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .cache import cache_status as _cache_status
from .dbfaults import RETRY_AFTER_SECONDS, connections_discard_broken, database_error_is_transient
from .heartbeat import heartbeat_ages
from .htmx import HtmxHttpRequest
from .live import live_token_valid, live_version


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


def _background_status() -> dict[str, str | float | None]:
    """Worker and beat liveness: "eager" without a broker (tasks run in the request), else "ok"
    or "stale" (no heartbeat within KPIW_HEARTBEAT_STALE_SECONDS, or none ever) with the age
    of the last heartbeat in seconds; "error" when the database cannot say."""
    if not settings.CELERY_BROKER_URL:
        return {"worker": "eager", "worker_age": None, "beat": "eager", "beat_age": None}
    try:
        ages = heartbeat_ages()
    except Exception:
        return {"worker": "error", "worker_age": None, "beat": "error", "beat_age": None}
    limit = settings.KPIW_HEARTBEAT_STALE_SECONDS
    out: dict[str, str | float | None] = {}
    for name, age in ages.items():
        out[name] = "ok" if age is not None and age <= limit else "stale"
        out[f"{name}_age"] = age
    return out


@never_cache
@require_GET
def healthz(request: HtmxHttpRequest) -> JsonResponse:
    """Each component's state for monitoring: database, broker, cache, and with a broker the
    workers' and beat's heartbeats (their ages in seconds). 503 when any of them is in error or
    stale. Answers within about 2 s whatever is down. Load balancers use /readyz."""
    database = _database_status()
    broker = _broker_status()
    cache_state = _cache_status()
    background = _background_status() if database == "ok" else _background_unknown()
    ok = (
        database == "ok"
        and broker != "error"
        and cache_state != "error"
        and background["worker"] in {"ok", "eager"}
        and background["beat"] in {"ok", "eager"}
    )
    return JsonResponse(
        {
            "status": "ok" if ok else "error",
            "database": database,
            "broker": broker,
            "cache": cache_state,
            **background,
        },
        status=200 if ok else 503,
    )


def _background_unknown() -> dict[str, str | float | None]:
    """Without the database the heartbeats cannot be read; say so, unless there is no broker."""
    state = "eager" if not settings.CELERY_BROKER_URL else "error"
    return {"worker": state, "worker_age": None, "beat": state, "beat_age": None}


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


@require_GET
def live(request: HttpRequest, pk: int) -> HttpResponse:
    """A workshop's "changed?" signal (core/live.py): its counter as an ETag, 304 when the
    page's ``If-None-Match`` already holds it. Needs the signed ``t`` its pages carry; no
    session and, with a shared cache, no database. 404 for a missing or foreign token, so it
    tells nothing about a workshop the asker was never shown."""
    token = request.GET.get("t", "")
    if len(token) > 200 or not live_token_valid(token=token, workshop_id=pk):
        return HttpResponse(status=404, content_type="text/plain")
    etag = f'"{pk}-{live_version(workshop_id=pk)}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(etag.strip('"'), content_type="text/plain")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a transient database failure (a dropped connection, a locked SQLite)
    answers 503 with Retry-After and a message, so a phone can simply try again; anything else
    is Django's plain 500 page. core/dbfaults.py says which errors are transient."""
    exc = sys.exc_info()[1]
    if exc is None or not database_error_is_transient(exc):
        return defaults.server_error(request)
    connections_discard_broken()
    message = _(
        "The server lost its connection to the database for a moment. Nothing is wrong with "
        "what you did: please try again."
    )
    htmx = request.headers.get("HX-Request") == "true"
    try:
        body = render_to_string(
            "core/database_unavailable.html",
            {
                "message": message,
                "htmx": htmx,
                "retry_after": RETRY_AFTER_SECONDS,
                # A page can simply be asked for again; a form must be sent again by its person.
                "again": request.get_full_path() if request.method == "GET" else "",
            },
        )
    except Exception:  # no template can be rendered either: plain words still help
        body = message
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    if htmx:
        # Shown in the page's retry slot (base.html) instead of the element that asked.
        response["HX-Retarget"] = "#kpiw-retry"
        response["HX-Reswap"] = "outerHTML"
    return response
