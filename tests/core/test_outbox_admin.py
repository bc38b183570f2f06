from datetime import timedelta

from django.utils import timezone

from kpiworkshop.core.models import OutboxItem
from tests.factories import UserFactory


def _admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_outbox_admin_lists_items_and_is_read_only(client, db):
    item = OutboxItem.objects.create(task="t.send", key="k:1", due_at=timezone.now())
    client = _admin_client(client)
    assert client.get("/admin/core/outboxitem/").status_code == 200
    page = client.get(f"/admin/core/outboxitem/{item.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/admin/core/outboxitem/add/").status_code == 403


def test_outbox_admin_retry_sends_a_given_up_item_round_again_but_not_a_claimed_one(client, db):
    now = timezone.now()
    gave_up = OutboxItem.objects.create(
        task="t.send", due_at=now - timedelta(hours=1), attempts=8, last_error="boom"
    )
    running = OutboxItem.objects.create(
        task="t.send", due_at=now, attempts=1, claimed_until=now + timedelta(minutes=4)
    )
    done = OutboxItem.objects.create(task="t.send", due_at=now, attempts=1, done_at=now)
    client = _admin_client(client)
    response = client.post(
        "/admin/core/outboxitem/",
        {"action": "retry_now", "_selected_action": [gave_up.pk, running.pk, done.pk]},
    )
    assert response.status_code == 302
    gave_up.refresh_from_db()
    running.refresh_from_db()
    done.refresh_from_db()
    assert (gave_up.attempts, gave_up.last_error) == (0, "")
    assert gave_up.due_at >= now
    assert running.attempts == 1
    assert done.attempts == 1
