"""A task sent through a real Redis broker to a real Celery worker that this test starts and
stops itself. Run by `.ci/run` (`make worker-test` with CELERY_BROKER_URL and PostgreSQL); in
the default embedded set-up there is no broker, so it is skipped there."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from kpiworkshop.accounts.models import Role
from kpiworkshop.celery import app as celery_app
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import InvitationEmail
from tests.factories import InvitationFactory, ParticipantFactory, WorkshopFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    auth = f"{user}:{s['PASSWORD']}" if s.get("PASSWORD") else user
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs CELERY_BROKER_URL (a real Redis broker); .ci/run provides it")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must share the test database: run with PostgreSQL")
    queue = f"kpiw-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DJANGO_SETTINGS_MODULE": "kpiworkshop.settings",
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kpiworkshop", "worker", "--pool=solo",
         "--concurrency=1", "-Q", queue, "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-l", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    old_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield {"mail_dir": mail_dir, "log": tmp_path / "worker.log", "proc": proc}
    finally:
        celery_app.conf.task_default_queue = old_queue
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_invitation_emails_are_delivered_by_a_real_worker(worker):
    workshop = WorkshopFactory()
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    invitation = InvitationFactory(workshop=workshop, role=Role.CUSTOMER)
    join_url = f"http://kpi.example.com/j/{invitation.code}/"

    queued = services.invitation_send_emails(
        actor=facilitator,
        invitation=invitation,
        emails="ada@example.com, grace@example.com",
        join_url=join_url,
    )
    assert queued == 2

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            InvitationEmail.objects.filter(invitation=invitation, sent_at__isnull=False).count()
            == 2
        ):
            break
        assert worker["proc"].poll() is None, worker["log"].read_text()
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not deliver in 60 s:\n" + worker["log"].read_text())

    mails = "\n".join(p.read_text() for p in worker["mail_dir"].glob("*"))
    assert "ada@example.com" in mails
    assert "grace@example.com" in mails
    assert join_url in mails
    assert "succeeded" in worker["log"].read_text()
