"""Are the workers and beat alive? Heartbeats in the database, their ages for /healthz.

- A worker records ``worker`` when it starts (``worker_ready``) and whenever it runs
  ``core.tasks.heartbeat``, which beat sends every ``KPIW_HEARTBEAT_SECONDS`` (the message
  expires after that long, so a heartbeat queued while no worker ran is dropped, not run late
  as a false sign of life).
- Beat records ``beat`` from its scheduler's loop (``HeartbeatScheduler``, the configured
  ``CELERY_BEAT_SCHEDULER``), at most once per interval; ``sweep_outbox --every``, the
  stand-in for beat, records it and sends the heartbeat task too.

A worker heartbeat older than ``KPIW_HEARTBEAT_STALE_SECONDS`` means no worker took a message
for that long: none runs, none reaches the broker, or every worker process has been busy (a
long publish) — the queue waits either way. The rows live in the database, not the cache, so
they are seen from every web node whatever the cache is.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from celery.beat import PersistentScheduler
from celery.signals import worker_ready
from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)


def heartbeat_record(*, name: str, at: datetime | None = None) -> None:
    """Say that process ``name`` ("worker" or "beat") is alive now (or at ``at``)."""
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": at or timezone.now()})


def heartbeat_ages() -> dict[str, float | None]:
    """Seconds since each process's last heartbeat; None for one never seen."""
    from .models import Heartbeat

    now = timezone.now()
    seen = dict(Heartbeat.objects.values_list("name", "seen_at"))
    return {
        name: (round((now - seen[name]).total_seconds(), 1) if name in seen else None)
        for name in ("worker", "beat")
    }


def _record_quietly(name: str) -> None:
    # A heartbeat must never stop the process it reports on (e.g. the database blinked).
    try:
        heartbeat_record(name=name)
    except Exception as exc:
        log.warning("heartbeat: could not record %s (%s: %s)", name, type(exc).__name__, exc)


@worker_ready.connect(weak=False)
def _worker_started(**_kwargs) -> None:
    _record_quietly("worker")


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler, recording beat's heartbeat as it loops."""

    _heartbeat_at = 0.0

    def tick(self, *args, **kwargs):
        if time.monotonic() - self._heartbeat_at >= settings.KPIW_HEARTBEAT_SECONDS:
            self._heartbeat_at = time.monotonic()
            _record_quietly("beat")
        return super().tick(*args, **kwargs)
