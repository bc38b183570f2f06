from celery import shared_task


@shared_task(acks_late=True)
def convert_dataset_version(version_id: int) -> str:
    """Convert one uploaded dataset version; idempotent (a finished version is left alone)."""
    from .services import dataset_version_convert

    return dataset_version_convert(version_id=version_id).status
