"""A real Celery worker is killed with SIGKILL in the middle of sending invitation e-mails;
another worker and the outbox sweep finish the work, and every address gets exactly one e-mail.

Part of the worker group (`.ci/run`, `make worker-test`): it needs PostgreSQL (the workers share
the test database) and starts its own redis-server as the broker (conftest.py).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from kpiworkshop.accounts.models import Role
from kpiworkshop.celery import app as celery_app
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.core.outbox import outbox_sweep
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import InvitationEmail
from tests.factories import InvitationFactory, ParticipantFactory, WorkshopFactory

from .conftest import reset_broker_connections
from .test_celery_worker import _database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 4
ADDRESSES = ["ada@example.com", "grace@example.com", "linus@example.com"]


def wait_for(condition, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s" + (f":\n{log.read_text()}" if log else ""))
        time.sleep(0.2)


@pytest.fixture
def workers(redis_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes must share the test database: run with PostgreSQL")
    queue = f"kpiw-kill-{uuid.uuid4().hex[:8]}"
    started: list[subprocess.Popen] = []

    def start(name: str, mail_delay: float) -> tuple[subprocess.Popen, Path]:
        env = os.environ | {
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": redis_server.url(1),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "KPIW_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "EMAIL_BACKEND": "tests.integration.slow_mail.SlowFileBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "KPIW_TEST_MAIL_MARKERS": str(tmp_path / "markers"),
            "KPIW_TEST_MAIL_DELAY": str(mail_delay),
            "DJANGO_SETTINGS_MODULE": "kpiworkshop.settings",
        }
        log_path = tmp_path / f"worker-{name}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kpiworkshop", "worker", "--pool=solo",
             "--concurrency=1", "-Q", queue, "-n", f"{name}@%h", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-l", "info"],
            cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(proc)
        return proc, log_path

    conf = celery_app.conf
    saved = (conf.get("broker_write_url"), conf.task_always_eager, conf.task_default_queue)
    conf.broker_write_url = redis_server.url(1)
    conf.task_always_eager = False
    conf.task_default_queue = queue
    reset_broker_connections(celery_app)
    try:
        yield start, tmp_path
    finally:
        conf.broker_write_url, conf.task_always_eager, conf.task_default_queue = saved
        reset_broker_connections(celery_app)
        for proc in started:  # only the workers this test started, by their PIDs
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def test_a_worker_killed_mid_send_leaves_work_that_runs_again_exactly_once(workers):
    start, tmp = workers
    workshop = WorkshopFactory()
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    invitation = InvitationFactory(workshop=workshop, role=Role.CUSTOMER)
    first, first_log = start("first", mail_delay=60)

    queued = services.invitation_send_emails(
        actor=facilitator,
        invitation=invitation,
        emails=", ".join(ADDRESSES),
        join_url=f"http://kpi.example.com/j/{invitation.code}/",
    )
    assert queued == 3
    markers = tmp / "markers"
    wait_for(
        lambda: markers.exists() and any(markers.iterdir()),
        60,
        "the first worker did not start sending",
        first_log,
    )

    first.send_signal(signal.SIGKILL)  # in the middle of the task, mid-send
    first.wait(timeout=10)
    item = OutboxItem.objects.get()
    assert item.done_at is None and item.claimed_until is not None
    assert not (tmp / "mail").exists() or not any((tmp / "mail").iterdir())
    assert InvitationEmail.objects.filter(sent_at__isnull=False).count() == 0

    second, second_log = start("second", mail_delay=0)

    def swept_and_done() -> bool:
        assert second.poll() is None, second_log.read_text()
        outbox_sweep(grace_seconds=0)  # what Celery beat does every minute
        item.refresh_from_db()
        return item.done_at is not None

    wait_for(swept_and_done, 90, "the second worker did not finish the work", second_log)

    mails = [p.read_text() for p in (tmp / "mail").iterdir()]
    assert len(mails) == len(ADDRESSES)
    for address in ADDRESSES:
        assert sum(m.count(f"To: {address}") for m in mails) == 1, address
    assert InvitationEmail.objects.filter(sent_at__isnull=True).count() == 0
    assert item.attempts == 2
    assert "succeeded" in second_log.read_text()
