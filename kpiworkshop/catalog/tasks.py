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
