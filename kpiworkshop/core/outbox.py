"""Transactional outbox: background work that is never lost, and happens once in effect.

Use it for any work a request starts but must not wait for (e-mails, publishing a release,
review reminders)::

    from kpiworkshop.core.outbox import outbox_add

    @transaction.atomic
    def invitation_send_emails(...):
        ...  # the change itself
        outbox_add(
            task=deliver_invitation_emails.name,   # a registered Celery task's name
            key=f"invitation:{invitation.pk}",     # what it is about, for people and queries
            payload={"invitation_id": invitation.pk, "join_url": join_url},  # its kwargs
        )

How a row lives:

1. ``outbox_add`` writes an ``OutboxItem`` in the caller's transaction: the work exists if and
   only if the change committed. After the commit it sends a *wake-up* message
   (``core.tasks.outbox_process`` with the row id). If the broker is down the wake-up is
   logged and dropped; the row is still there.
2. ``outbox_run`` (what a wake-up does, in a worker) *claims* the row with one conditional
   UPDATE — due, not done, not claimed or claim expired — so one runner wins however many
   wake-ups arrive. The claim lasts ``KPIW_OUTBOX_LEASE_SECONDS`` (20 s) and a heartbeat
   thread renews it every ``KPIW_OUTBOX_HEARTBEAT_SECONDS`` while the task runs, however long
   it runs: a worker killed mid-task stops beating, its claim lapses within the lease, and the
   next sweep hands the row to another worker. The task is then called in-process with the
   payload, outside any transaction, and the row is marked done. An exception records the
   error and makes the row due again later (backing off); ``OutboxRetry`` asks for a plain
   later retry.
3. ``outbox_sweep`` (Celery beat every ``KPIW_OUTBOX_SWEEP_SECONDS``; ``manage.py sweep_outbox``
   where there is no beat) finds rows that are due and unclaimed and older than
   ``KPIW_OUTBOX_SWEEP_GRACE_SECONDS`` (a lapsed claim needs no grace), and sends their
   wake-ups again (or, with ``run=True``, runs them in the calling process). Work queued
   before or during a broker outage therefore runs when it is back; a message lost with
   Redis's memory costs nothing.

A row may carry its own ``time_limit`` (seconds; the soft limit, the hard one a minute later),
sent with every wake-up, for work whose length depends on its size (publishing a release).
In the embedded set-up (no broker, tasks eager) a row added with ``background=True`` runs in
a thread of its own after the commit, so the request that added it returns at once; the
claim, the heartbeat and the sweep make it as safe as in a worker.

A task run from the outbox must be idempotent in effect: running it again after a crash must
not repeat what already happened. Claim the unit of effect in a short transaction (a row per
e-mail, a release's state) before doing it, and use ``current_claim_until()`` as that claim's
expiry so it lapses together with the outbox row's.

The outbox knows tasks only by name, so core imports nothing from the apps.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from .cache import Backoff
from .models import OutboxItem

log = logging.getLogger(__name__)

# After the broker failed to take a wake-up, requests skip sending for KPIW_CACHE_RETRY_SECONDS
# (the row waits for the sweep): a hung Redis costs one broker timeout per pause per process,
# not one per request. Module state on purpose: the broker connection is the process's too.
_broker_backoff = Backoff()


class OutboxRetry(Exception):
    """Raised by a task run from the outbox: "not finished, run me again in ``seconds``"."""

    def __init__(self, reason: str = "", seconds: float = 30):
        super().__init__(reason)
        self.seconds = seconds


def _lease() -> timedelta:
    return timedelta(seconds=settings.KPIW_OUTBOX_LEASE_SECONDS)


def current_claim_until() -> datetime:
    """When a claim taken now should lapse: now + the lease, as the outbox row's own claim
    does after the heartbeat that renews it stops. Claims a task takes on its own rows should
    use it, so that whoever picks the row up after a crash finds them free."""
    return timezone.now() + _lease()


class _Heartbeat(threading.Thread):
    """Renews a running row's claim every ``KPIW_OUTBOX_HEARTBEAT_SECONDS`` until stopped.
    Its own thread, so its own database connection: the renewals commit at once even while
    the task holds a long transaction (publishing builds a release in one)."""

    def __init__(self, item_id: int):
        super().__init__(name=f"outbox-heartbeat-{item_id}", daemon=True)
        self.item_id = item_id
        self.stopped = threading.Event()

    def run(self) -> None:
        every = max(0.05, float(settings.KPIW_OUTBOX_HEARTBEAT_SECONDS))
        try:
            while not self.stopped.wait(every):
                try:
                    OutboxItem.objects.filter(pk=self.item_id, done_at__isnull=True).update(
                        claimed_until=timezone.now() + _lease()
                    )
                except Exception as exc:  # a missed beat is retried at the next one
                    log.warning("outbox: heartbeat of item %s failed: %s", self.item_id, exc)
        finally:
            connections.close_all()  # this thread's connections only

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def outbox_add(
    *,
    task: str,
    key: str = "",
    payload: dict | None = None,
    delay_seconds: float = 0,
    time_limit: int | None = None,
    background: bool = False,
) -> OutboxItem:
    """Record work to do once the caller's transaction commits, and wake a worker then.

    Call it inside the ``transaction.atomic`` block of the change that needs the work.
    ``payload`` holds JSON values only (ids, not model instances). ``time_limit``: the run's
    soft time limit in seconds, if not the workers' default. ``background``: in the embedded
    set-up, run it in a thread after the commit instead of in the committing request."""
    item = OutboxItem.objects.create(
        task=task,
        key=key[:200],
        payload=payload or {},
        due_at=timezone.now() + timedelta(seconds=delay_seconds),
        time_limit=time_limit,
    )
    if not delay_seconds:
        item_id = item.pk
        transaction.on_commit(
            lambda: outbox_wake(item_id=item_id, time_limit=time_limit, background=background),
            robust=True,
        )
    return item


def _run_in_thread(item_id: int) -> None:
    try:
        outbox_run(item_id=item_id)
    except Exception:  # outbox_run records task failures; this is the outbox's own
        log.exception("outbox: background run of item %s failed", item_id)
    finally:
        connections.close_all()


def outbox_wake(
    *,
    item_id: int,
    time_limit: int | None = None,
    background: bool = False,
    wait_for_backoff: bool = True,
) -> bool:
    """Send the wake-up message for a row. Never raises and never waits long (the broker's
    timeouts are short, see settings): if the broker is unreachable the sweep sends it again
    later. In the embedded set-up (no broker) this runs the row at once, in-process: in a new
    thread with ``background`` (unless ``KPIW_OUTBOX_THREADS`` is off), else in this one.
    After a broker failure it sends nothing for KPIW_CACHE_RETRY_SECONDS (returns False at
    once) unless ``wait_for_backoff`` is False, as for the sweep."""
    from .tasks import outbox_process

    if background and settings.CELERY_TASK_ALWAYS_EAGER and settings.KPIW_OUTBOX_THREADS:
        # Not a daemon: a process that exits normally (a management command, a server's
        # graceful stop) finishes the run first; one that is killed leaves the claim to lapse.
        threading.Thread(
            target=_run_in_thread, args=(item_id,), name=f"outbox-{item_id}", daemon=False
        ).start()
        return True
    broker = bool(settings.CELERY_BROKER_URL)
    if broker and wait_for_backoff and _broker_backoff.paused():
        return False
    limits = {"soft_time_limit": time_limit, "time_limit": time_limit + 60} if time_limit else {}
    try:
        outbox_process.apply_async(args=[item_id], retry=False, **limits)
    except Exception as exc:
        if broker:  # eager runs (no broker) raise the task's own errors: no pause for those
            _broker_backoff.failed()
        log.warning(
            "outbox: could not send the wake-up for item %s (%s: %s); the sweep will",
            item_id,
            type(exc).__name__,
            exc,
        )
        return False
    _broker_backoff.reset()  # the broker took it: requests send their wake-ups again
    return True


def outbox_run(*, item_id: int) -> str:
    """Claim a row and run its task here. Returns "done", "retry", "failed" or "skipped"
    (someone else holds it, it is done, not due yet, or out of attempts).

    Must be called outside a transaction: the claim and the result are committed on their
    own, and the task's slow parts (SMTP, rendering) hold no database lock."""
    from kpiworkshop.celery import app

    now = timezone.now()
    until = now + _lease()
    claimed = (
        OutboxItem.objects.runnable(now)
        .filter(pk=item_id)
        .update(claimed_until=until, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "skipped"
    item = OutboxItem.objects.get(pk=item_id)
    try:
        heartbeat = _Heartbeat(item_id)
        heartbeat.start()
        try:
            if item.task not in app.tasks:  # outside a worker, apps' tasks modules load lazily
                app.loader.import_default_modules()
            task = app.tasks[item.task]
            task(**item.payload)
        finally:
            heartbeat.stop()  # before the result is written: no beat may claim it again
    except OutboxRetry as retry:
        OutboxItem.objects.filter(pk=item_id).update(
            claimed_until=None,
            due_at=timezone.now() + timedelta(seconds=retry.seconds),
            last_error=f"retry: {retry}"[:2000],
        )
        return "retry"
    except Exception as exc:
        backoff = min(3600, 30 * 2 ** max(0, item.attempts - 1))
        log.exception("outbox: %s (item %s) failed, attempt %s", item.task, item.pk, item.attempts)
        OutboxItem.objects.filter(pk=item_id).update(
            claimed_until=None,
            due_at=timezone.now() + timedelta(seconds=backoff),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        return "failed"
    OutboxItem.objects.filter(pk=item_id).update(
        done_at=timezone.now(), claimed_until=None, last_error=""
    )
    return "done"


def outbox_sweep(*, run: bool = False, grace_seconds: float | None = None, limit: int = 500) -> int:
    """Wake (or, with ``run``, run here) every row that is due, unclaimed and older than the
    grace period. Returns how many rows were woken or run. Safe to run anywhere, any number
    of times at once: claims decide who runs a row."""
    grace = settings.KPIW_OUTBOX_SWEEP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    now = timezone.now()
    # The grace is for fresh rows whose own wake-up is on its way; a claim that lapsed means
    # its worker stopped beating, so the row is handed on at once.
    rows = list(
        OutboxItem.objects.runnable(now)
        .filter(Q(claimed_until__isnull=False) | Q(due_at__lte=now - timedelta(seconds=grace)))
        .order_by("due_at", "id")
        .values_list("pk", "time_limit")[:limit]
    )
    handled = 0
    for item_id, time_limit in rows:
        if run:
            outbox_run(item_id=item_id)
        # The sweep runs off the request path and exists to retry: it tries the broker even
        # while requests leave it alone, and a success ends their pause.
        elif not outbox_wake(item_id=item_id, time_limit=time_limit, wait_for_backoff=False):
            break  # the broker is down: the next sweep tries again
        handled += 1
    return handled


def outbox_counts() -> dict[str, int]:
    """Pending, stuck (out of attempts) and claimed rows, for operators and /healthz-style
    checks."""
    now = timezone.now()
    pending = OutboxItem.objects.pending()
    return {
        "pending": pending.count(),
        "claimed": pending.filter(claimed_until__gte=now).count(),
        "stuck": pending.filter(attempts__gte=settings.KPIW_OUTBOX_MAX_ATTEMPTS).count(),
    }
