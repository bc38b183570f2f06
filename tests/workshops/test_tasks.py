"""Invitation e-mails through the outbox: queued with the addresses, sent outside any
transaction, never lost when the broker or the mail server is down, never sent twice."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.core.outbox import OutboxRetry, outbox_run, outbox_sweep
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import InvitationEmail
from kpiworkshop.workshops.tasks import deliver_invitation_emails
from tests.factories import InvitationFactory, ParticipantFactory, WorkshopFactory

JOIN_URL = "https://kpi.example.com/j/CODE/"
SENT_IN_TRANSACTION: list[bool] = []


class RecordingBackend(LocmemBackend):
    """Notes whether a database transaction was open while the mail server was talked to."""

    def send_messages(self, messages):
        SENT_IN_TRANSACTION.append(connection.in_atomic_block)
        return super().send_messages(messages)


def queue(facilitator, invitation, emails: str, callbacks) -> int:
    with callbacks(execute=False):
        return services.invitation_send_emails(
            actor=facilitator, invitation=invitation, emails=emails, join_url=JOIN_URL
        )


@pytest.fixture
def room(db):
    workshop = WorkshopFactory()
    return (
        ParticipantFactory(workshop=workshop, role=Role.FACILITATOR),
        InvitationFactory(workshop=workshop, role=Role.AGENT),
    )


def test_queueing_writes_one_outbox_row_with_the_addresses(
    room, django_capture_on_commit_callbacks
):
    facilitator, invitation = room
    n = queue(
        facilitator, invitation, "a@example.com b@example.com", django_capture_on_commit_callbacks
    )
    assert n == 2
    [item] = OutboxItem.objects.all()
    assert item.task == deliver_invitation_emails.name
    assert item.key == f"invitation:{invitation.pk}"
    assert item.payload == {"invitation_id": invitation.pk, "join_url": JOIN_URL}
    # Nothing new to send: no work queued.
    assert queue(facilitator, invitation, "A@example.com", django_capture_on_commit_callbacks) == 0
    assert OutboxItem.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_emails_are_sent_outside_any_database_transaction(settings):
    settings.EMAIL_BACKEND = "tests.workshops.test_tasks.RecordingBackend"
    SENT_IN_TRANSACTION.clear()
    workshop = WorkshopFactory()
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    invitation = InvitationFactory(workshop=workshop)
    services.invitation_send_emails(
        actor=facilitator,
        invitation=invitation,
        emails="a@example.com b@example.com c@example.com",
        join_url=JOIN_URL,
    )
    assert SENT_IN_TRANSACTION == [False, False, False]
    assert InvitationEmail.objects.filter(sent_at__isnull=False).count() == 3
    assert OutboxItem.objects.get().done_at is not None


def test_a_mail_server_outage_keeps_the_addresses_for_a_later_attempt(
    room, django_capture_on_commit_callbacks
):
    facilitator, invitation = room
    queue(
        facilitator, invitation, "a@example.com b@example.com", django_capture_on_commit_callbacks
    )
    item = OutboxItem.objects.get()
    with mock.patch("django.core.mail.send_mail", side_effect=OSError("SMTP down")):
        assert outbox_run(item_id=item.pk) == "failed"
    assert mail.outbox == []
    assert InvitationEmail.objects.filter(sent_at=None, claimed_until=None).count() == 2
    item.refresh_from_db()
    assert "SMTP down" in item.last_error
    OutboxItem.objects.update(due_at=timezone.now())
    assert outbox_sweep(run=True, grace_seconds=0) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]
    assert outbox_sweep(run=True, grace_seconds=0) == 0
    assert len(mail.outbox) == 2


def test_an_address_held_by_a_killed_sender_is_sent_once_its_claim_lapses(
    room, django_capture_on_commit_callbacks
):
    facilitator, invitation = room
    queue(
        facilitator, invitation, "a@example.com b@example.com", django_capture_on_commit_callbacks
    )
    # A sender claimed a@ and died before sending it.
    InvitationEmail.objects.filter(email="a@example.com").update(
        claimed_until=timezone.now() + timedelta(minutes=3)
    )
    with pytest.raises(OutboxRetry):
        services.invitation_emails_deliver(invitation_id=invitation.pk, join_url=JOIN_URL)
    assert [m.to for m in mail.outbox] == [["b@example.com"]]
    InvitationEmail.objects.filter(email="a@example.com").update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.invitation_emails_deliver(invitation_id=invitation.pk, join_url=JOIN_URL) == 1
    assert services.invitation_emails_deliver(invitation_id=invitation.pk, join_url=JOIN_URL) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]


def test_the_page_answers_and_says_queued_when_the_broker_is_down(
    client, room, django_capture_on_commit_callbacks
):
    facilitator, invitation = room
    client.force_login(facilitator.user)
    url = reverse("workshops:invitation_email", args=[invitation.workshop_id, invitation.pk])
    with (
        mock.patch(
            "kpiworkshop.core.tasks.outbox_process.apply_async",
            side_effect=OSError("broker down"),
        ) as wake,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, {"emails": "a@example.com"}, follow=True)
    assert wake.called
    assert response.status_code == 200
    assert "1 invitation queued for sending." in response.content.decode()
    assert InvitationEmail.objects.get().sent_at is None
    assert OutboxItem.objects.pending().count() == 1
