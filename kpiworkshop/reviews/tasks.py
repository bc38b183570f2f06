"""The reviews' Celery entry points: the reminder run (beat), one reminder's e-mail and the
measured values of a new dataset version (both from the outbox). Each is also registered under
the name it had before the app was split out of ``catalog`` (issue 18), so outbox rows and beat
schedules written before the deploy still find it."""

from celery import shared_task


@shared_task
def review_reminders_send() -> int:
    """Celery beat entry point (``manage.py send_review_reminders`` without beat)."""
    from .services import review_reminders_send as send

    return send()


@shared_task
def review_reminder_deliver(reminder_id: int) -> bool:
    """One reminder's e-mail, run from the outbox."""
    from .services import review_reminder_deliver as deliver

    return deliver(reminder_id=reminder_id)


@shared_task(acks_late=True)
def measurements_compute(version_id: int) -> int:
    """The current catalogue's measured values from one dataset version (issue 19). Queued by
    name through the outbox by the datasets app when a version becomes current (datasets sits
    below catalog and cannot import it). Idempotent: see ``services.measurements_compute``."""
    from .services import measurements_compute as compute

    return compute(version_id=version_id)


# The names these tasks had in ``kpiworkshop.catalog.tasks``: outbox rows queued before the
# split carry them (``core.outbox`` looks a task up by name).
LEGACY_NAMES = {
    "kpiworkshop.catalog.tasks.review_reminders_send": review_reminders_send,
    "kpiworkshop.catalog.tasks.review_reminder_deliver": review_reminder_deliver,
    "kpiworkshop.catalog.tasks.measurements_compute": measurements_compute,
}
for _name, _task in LEGACY_NAMES.items():
    shared_task(name=_name, acks_late=_task.acks_late)(_task.run)
