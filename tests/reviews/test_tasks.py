"""The reviews' tasks after the split (issue 18): beat runs the reminder run under its new name,
and an outbox row written before the upgrade, naming the task by its old ``catalog.tasks``
module, still runs the same body."""

import datetime

from django.conf import settings
from django.core import mail

from kpiworkshop.accounts.models import Role
from kpiworkshop.celery import app
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.core.outbox import outbox_run
from kpiworkshop.datasets.services import MEASUREMENTS_TASK
from kpiworkshop.reviews import tasks
from kpiworkshop.reviews.models import ReviewReminder
from tests.catalog.review_helpers import make_release, member


def test_beat_runs_the_reminders_under_the_schedule_name_it_always_had():
    entry = settings.CELERY_BEAT_SCHEDULE["catalog-review-reminders"]
    assert entry["task"] == "kpiworkshop.reviews.tasks.review_reminders_send"
    assert app.tasks[entry["task"]].name == tasks.review_reminders_send.name


def test_the_datasets_app_queues_the_reviews_task_by_a_name_that_exists():
    assert tasks.measurements_compute.name == MEASUREMENTS_TASK
    assert MEASUREMENTS_TASK in app.tasks


def test_every_old_task_name_is_still_registered():
    for old in tasks.LEGACY_NAMES:
        assert old.startswith("kpiworkshop.catalog.tasks.")
        assert old in app.tasks


def test_an_outbox_row_queued_before_the_upgrade_still_delivers_its_reminder(organisation):
    release = make_release(organisation, next_review=datetime.date(2000, 1, 1))
    facilitator, _m = member(organisation, Role.FACILITATOR)
    reminder = ReviewReminder.objects.create(
        release=release, due=release.next_review, recipient=facilitator
    )
    item = OutboxItem.objects.create(
        task="kpiworkshop.catalog.tasks.review_reminder_deliver",
        key=f"review-reminder:{reminder.pk}",
        payload={"reminder_id": reminder.pk},
        due_at=reminder.created_at,
    )
    assert outbox_run(item_id=item.pk) == "done"
    assert [m.to for m in mail.outbox] == [[facilitator.email]]
    reminder.refresh_from_db()
    assert reminder.sent_at is not None
