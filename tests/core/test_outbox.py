"""The transactional outbox: work written with the change, woken after commit, swept when the
wake-up was lost, claimed so it runs once, retried with backoff when it fails."""

from datetime import timedelta
from unittest import mock

import pytest
from celery import shared_task
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from kpiworkshop.core import outbox
from kpiworkshop.core.models import OutboxItem

pytestmark = pytest.mark.django_db

CALLS: list[dict] = []


@shared_task(name="tests.core.outbox_probe")
def probe(n: int, fail: str = "") -> int:
    CALLS.append({"n": n, "claim": outbox.current_claim_until()})
    if fail == "error":
        raise OSError("mail server unreachable")
    if fail == "retry":
        raise outbox.OutboxRetry("not yet", seconds=5)
    return n


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def add(n: int = 1, **payload) -> OutboxItem:
    return outbox.outbox_add(task=probe.name, key=f"probe:{n}", payload={"n": n, **payload})


def test_added_work_runs_once_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        item = add(7)
        assert CALLS == []  # nothing happens before the commit
    assert len(callbacks) == 1
    assert [c["n"] for c in CALLS] == [7]
    item.refresh_from_db()
    assert item.done_at is not None
    assert item.attempts == 1
    assert item.claimed_until is None
    # A second wake-up for the same row (a duplicated message) does nothing.
    assert outbox.outbox_run(item_id=item.pk) == "skipped"
    assert len(CALLS) == 1


def test_work_rolled_back_with_its_change_never_runs(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        add(1)
        raise RuntimeError("the change failed")
    assert not OutboxItem.objects.exists()
    assert CALLS == []


def test_a_failed_wake_up_loses_nothing_and_the_sweep_runs_it_once(
    django_capture_on_commit_callbacks,
):
    with mock.patch(
        "kpiworkshop.core.tasks.outbox_process.apply_async", side_effect=OSError("broker down")
    ):
        with django_capture_on_commit_callbacks(execute=True):
            item = add(3)
        assert outbox.outbox_sweep(grace_seconds=0) == 0  # still down: nothing woken
    assert CALLS == []
    assert OutboxItem.objects.pending().count() == 1
    # The broker is back: the sweep wakes the row (eager here, so it runs at once).
    assert outbox.outbox_sweep(grace_seconds=0) == 1
    assert outbox.outbox_sweep(grace_seconds=0) == 0
    assert [c["n"] for c in CALLS] == [3]
    item.refresh_from_db()
    assert item.done_at is not None


def test_sweep_leaves_young_rows_to_their_own_wake_up():
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        add(1)
    assert outbox.outbox_sweep(run=True, grace_seconds=60) == 0
    OutboxItem.objects.update(due_at=timezone.now() - timedelta(seconds=61))
    assert outbox.outbox_sweep(run=True, grace_seconds=60) == 1
    assert len(CALLS) == 1


def test_a_claimed_row_is_left_alone_until_its_claim_lapses():
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        item = add(5)
    # A worker claimed it and was killed: the claim is still valid.
    OutboxItem.objects.filter(pk=item.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=4), attempts=1
    )
    assert outbox.outbox_run(item_id=item.pk) == "skipped"
    assert outbox.outbox_sweep(run=True, grace_seconds=0) == 0
    assert CALLS == []
    # The claim lapses: the next sweep runs it, once.
    OutboxItem.objects.filter(pk=item.pk).update(claimed_until=timezone.now() - timedelta(1))
    assert outbox.outbox_sweep(run=True, grace_seconds=0) == 1
    assert outbox.outbox_sweep(run=True, grace_seconds=0) == 0
    assert [c["n"] for c in CALLS] == [5]
    item.refresh_from_db()
    assert item.attempts == 2


def test_the_task_sees_its_claims_expiry(settings):
    settings.KPIW_OUTBOX_LEASE_SECONDS = 90
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        item = add(1)
    before = timezone.now()
    assert outbox.outbox_run(item_id=item.pk) == "done"
    [call] = CALLS
    assert before + timedelta(seconds=89) < call["claim"] < timezone.now() + timedelta(seconds=91)


def test_a_failing_task_is_retried_later_with_backoff_then_given_up(settings):
    settings.KPIW_OUTBOX_MAX_ATTEMPTS = 2
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        item = add(1, fail="error")
    assert outbox.outbox_run(item_id=item.pk) == "failed"
    item.refresh_from_db()
    assert item.done_at is None and item.claimed_until is None
    assert item.attempts == 1
    assert "mail server unreachable" in item.last_error
    assert item.due_at > timezone.now() + timedelta(seconds=25)
    assert outbox.outbox_sweep(run=True, grace_seconds=0) == 0  # not due yet
    OutboxItem.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert outbox.outbox_sweep(run=True, grace_seconds=0) == 1
    item.refresh_from_db()
    assert item.attempts == 2
    assert item.due_at > timezone.now() + timedelta(seconds=55)  # the wait doubled
    # Out of attempts: left for an operator to look at, never run again by itself.
    OutboxItem.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert outbox.outbox_sweep(run=True, grace_seconds=0) == 0
    assert len(CALLS) == 2
    assert outbox.outbox_counts() == {"pending": 1, "claimed": 0, "stuck": 1}


def test_a_task_asking_to_come_back_is_due_again_soon():
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        item = add(1, fail="retry")
    assert outbox.outbox_run(item_id=item.pk) == "retry"
    item.refresh_from_db()
    assert item.done_at is None
    assert item.last_error == "retry: not yet"
    assert timezone.now() < item.due_at < timezone.now() + timedelta(seconds=6)


def test_an_unknown_task_name_is_a_recorded_failure_not_a_crash():
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        item = outbox.outbox_add(task="kpiworkshop.nowhere.tasks.gone", payload={})
    assert outbox.outbox_run(item_id=item.pk) == "failed"
    item.refresh_from_db()
    assert "kpiworkshop.nowhere.tasks.gone" in item.last_error


def test_sweep_command_runs_due_rows_here_and_reports(capsys):
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        add(1)
        add(2)
    call_command("sweep_outbox", "--run", "--grace", "0")
    assert sorted(c["n"] for c in CALLS) == [1, 2]
    assert "ran 2; pending 0, claimed 0, out of attempts 0" in capsys.readouterr().out


# --- issue 17: heartbeats, per-row time limits, background runs in the embedded set-up --------


@shared_task(name="tests.core.outbox_slow_probe")
def slow_probe(seconds: float) -> None:
    import time

    start = timezone.now()
    time.sleep(seconds)
    row = OutboxItem.objects.get(task="tests.core.outbox_slow_probe")
    CALLS.append({"start": start, "claimed_until": row.claimed_until, "end": timezone.now()})


@pytest.mark.django_db(transaction=True)
def test_a_running_task_keeps_its_claim_alive_with_heartbeats(settings):
    settings.KPIW_OUTBOX_LEASE_SECONDS = 1
    settings.KPIW_OUTBOX_HEARTBEAT_SECONDS = 0.2
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        item = outbox.outbox_add(task=slow_probe.name, payload={"seconds": 2})
    assert outbox.outbox_run(item_id=item.pk) == "done"
    [call] = CALLS
    # Two leases later the claim is still in the future: the heartbeat moved it on.
    assert call["claimed_until"] > call["end"], call
    item.refresh_from_db()
    assert item.done_at is not None and item.claimed_until is None


def test_the_sweep_reclaims_a_lapsed_claim_without_waiting_out_the_grace():
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async"):
        item = add(4)
    # A worker claimed it at once, then stopped beating: the claim lapsed a second ago.
    OutboxItem.objects.filter(pk=item.pk).update(
        due_at=timezone.now() - timedelta(seconds=5),
        claimed_until=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )
    assert outbox.outbox_sweep(run=True, grace_seconds=60) == 1
    assert [c["n"] for c in CALLS] == [4]


def test_a_rows_time_limit_goes_with_every_wake_up(django_capture_on_commit_callbacks):
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True):
            item = outbox.outbox_add(task=probe.name, payload={"n": 1}, time_limit=500)
        assert send.call_args.kwargs["soft_time_limit"] == 500
        assert send.call_args.kwargs["time_limit"] == 560
        OutboxItem.objects.update(due_at=timezone.now() - timedelta(minutes=5))
        send.reset_mock()
        assert outbox.outbox_sweep(grace_seconds=0) == 1
        assert send.call_args.kwargs["soft_time_limit"] == 500
    assert item.time_limit == 500


@pytest.mark.django_db(transaction=True)
def test_background_work_runs_after_the_commit_without_holding_the_caller(settings):
    import time

    settings.KPIW_OUTBOX_THREADS = True
    started = time.monotonic()
    with transaction.atomic():
        item = outbox.outbox_add(task=slow_probe.name, payload={"seconds": 1}, background=True)
    assert time.monotonic() - started < 0.5  # the request goes on; a thread does the work
    deadline = time.monotonic() + 10
    while not OutboxItem.objects.filter(pk=item.pk, done_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the background run did not finish"
        time.sleep(0.1)
    assert len(CALLS) == 1


# --- issue 17, item 16: a hung broker costs one timeout per few seconds, not one per request ---


def test_wake_up_send_backs_off_after_a_broker_failure(db, settings):
    from kombu.exceptions import OperationalError

    from kpiworkshop.core import outbox

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    outbox._broker_backoff.reset()
    with mock.patch(
        "kpiworkshop.core.tasks.outbox_process.apply_async",
        side_effect=OperationalError("timed out"),
    ) as send:
        assert outbox.outbox_wake(item_id=1) is False
        assert outbox.outbox_wake(item_id=2) is False  # within the pause: not sent, no wait
        assert send.call_count == 1
        later = outbox._broker_backoff.until + 0.1
        with mock.patch("time.monotonic", return_value=later):
            assert outbox.outbox_wake(item_id=3) is False
        assert send.call_count == 2
    outbox._broker_backoff.reset()


def test_the_sweep_tries_the_broker_during_the_pause_and_its_success_ends_it(db, settings):
    from kombu.exceptions import OperationalError

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    item = OutboxItem.objects.create(task="t", due_at=timezone.now() - timedelta(minutes=5))
    with mock.patch(
        "kpiworkshop.core.tasks.outbox_process.apply_async",
        side_effect=OperationalError("timed out"),
    ):
        assert outbox.outbox_wake(item_id=item.pk) is False  # a request: the pause starts
    assert outbox._broker_backoff.paused()
    with mock.patch("kpiworkshop.core.tasks.outbox_process.apply_async") as send:
        assert outbox.outbox_sweep(grace_seconds=0) == 1  # Redis is back: the sweep sends
        assert send.call_count == 1
        assert not outbox._broker_backoff.paused()
        assert outbox.outbox_wake(item_id=item.pk) is True  # and requests send again
