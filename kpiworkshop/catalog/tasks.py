from celery import shared_task
from django.db import OperationalError


@shared_task(bind=True, max_retries=3, default_retry_delay=5, acks_late=True)
def publish_release(self, job_id: int) -> int | None:
    """Build the release of one publish job. Idempotent: the claim row and the unique
    constraints make a second run (a retry, a duplicate message) find the release done."""
    from .services import release_build

    try:
        release = release_build(job_id=job_id)
    except OperationalError as exc:  # database busy or gone: the build rolled back, try again
        raise self.retry(exc=exc) from exc
    except Exception:  # recorded on the job (FAILED, with the error) for the facilitator
        return None
    return release.pk if release else None
