from celery import shared_task


@shared_task(acks_late=True)
def deliver_invitation_emails(invitation_id: int, join_url: str) -> int:
    """Run from the outbox (``invitation_send_emails`` queues it): retries, backoff and
    picking the work up after a crash are the outbox's; the service is idempotent."""
    from .services import invitation_emails_deliver

    return invitation_emails_deliver(invitation_id=invitation_id, join_url=join_url)
