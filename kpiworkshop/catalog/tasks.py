from celery import shared_task
from django.db import OperationalError

from kpiworkshop.core.outbox import OutboxRetry


@shared_task(acks_late=True)
def publish_release(job_id: int) -> int | None:
    """Build the release of one publish job. Run from the outbox (``release_publish`` queues
    it): retries, backoff and picking the work up after a crash are the outbox's. Idempotent:
    the claim row and the unique constraints make a second run find the release done."""
    from .services import release_build

    try:
        release = release_build(job_id=job_id)
    except OperationalError as exc:  # database busy or gone: the build rolled back
        raise OutboxRetry(str(exc), seconds=5) from exc
    return release.pk if release else None


@shared_task(ignore_result=True)
def export_files_sweep() -> int:
    """Celery beat: remove export files no export references (``manage.py sweep_exports``)."""
    from .services import export_files_sweep as sweep

    return sweep()


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------


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
