"""Send the catalogue review reminders once, for deployments without Celery beat (cron)."""

from django.core.management.base import BaseCommand

from kpiworkshop.reviews.services import review_reminders_send


class Command(BaseCommand):
    help = (
        "Write one reminder per due catalogue review per facilitator and queue its e-mail in "
        "the outbox. Idempotent: run it from cron as often as you like; a review is reminded "
        "to each person once."
    )

    def handle(self, *args, **options):
        created = review_reminders_send()
        self.stdout.write(f"{created} new review reminder(s) queued.")
