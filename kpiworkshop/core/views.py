from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .htmx import HtmxHttpRequest


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from kpiworkshop.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request: HtmxHttpRequest) -> JsonResponse:
    """Database and broker status for load balancers and monitoring. 503 when the database
    is unreachable or a configured broker is."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "error"
    broker = _broker_status()
    ok = database == "ok" and broker != "error"
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": database, "broker": broker},
        status=200 if ok else 503,
    )


@require_GET
def trivial(request: HtmxHttpRequest) -> HttpResponse:
    """The benchmarks' baseline: the cheapest response through the same middleware."""
    return HttpResponse("ok", content_type="text/plain")
