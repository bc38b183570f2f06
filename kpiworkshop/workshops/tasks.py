from celery import shared_task


@shared_task(bind=True, max_retries=3, default_retry_delay=30, acks_late=True)
def deliver_invitation_emails(self, invitation_id: int, join_url: str) -> int:
    from .services import invitation_emails_deliver

    try:
        return invitation_emails_deliver(invitation_id=invitation_id, join_url=join_url)
    except OSError as exc:  # SMTP unreachable: try again later, rows not yet sent stay pending
        raise self.retry(exc=exc) from exc
