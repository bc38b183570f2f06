"""Celery entry points of the outbox (kpiworkshop/core/outbox.py)."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def outbox_process(item_id: int) -> str:
    """The wake-up message for one outbox row: claim it and run its task."""
    from .outbox import outbox_run

    return outbox_run(item_id=item_id)


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Celery beat's periodic sweep: wake every due, unclaimed row again."""
    from .outbox import outbox_sweep as sweep

    return sweep()


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Sent by beat every KPIW_HEARTBEAT_SECONDS: a worker running it is alive (/healthz)."""
    from .heartbeat import heartbeat_record

    heartbeat_record(name="worker")
