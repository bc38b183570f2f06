"""Publishing through the real Redis broker and a real Celery worker (run by `.ci/run` with
PostgreSQL and CELERY_BROKER_URL; skipped in the embedded set-up): the request returns at once,
the worker builds the release; and a worker killed half-way leaves nothing, the retried run
exactly one release with one set of exports."""

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.catalog import services
from kpiworkshop.catalog.models import (
    CatalogEntry,
    CatalogRelease,
    Export,
    PublishJob,
    PublishState,
)
from kpiworkshop.celery import app as celery_app
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.core.outbox import outbox_sweep
from kpiworkshop.kpis.models import Category, Proposal, ProposalState, Revision
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
#: The workers' lease (20 s in production): the heartbeat renews it every second.
LEASE_SECONDS = 4
NOTES = {
    "how_to_read": "Read it weekly.",
    "when_it_moves": "Look at the reasons.",
    "pitfalls": "Do not game it.",
    "worked_example": "8 of 10: 80%.",
}


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    auth = f"{user}:{s['PASSWORD']}" if s.get("PASSWORD") else user
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def workers(tmp_path):
    """Starts workers on a private queue on demand; stops them all at the end."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs CELERY_BROKER_URL (a real Redis broker); .ci/run provides it")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must share the test database: run with PostgreSQL")
    queue = f"kpiw-test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "KPIW_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "KPIW_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "KPIW_OUTBOX_HEARTBEAT_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "kpiworkshop.settings",
    }
    procs = []

    def start(name: str):
        log = (tmp_path / f"{name}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kpiworkshop", "worker", "--pool=solo",
             "--concurrency=1", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "info", "-n", f"{name}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        procs.append((proc, log))
        return proc, tmp_path / f"{name}.log"

    old_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield start
    finally:
        celery_app.conf.task_default_queue = old_queue
        for proc, log in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()


def _approved_workshop(n: int):
    workshop = WorkshopFactory(stage=Stage.APPROVE)
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    author = ParticipantFactory(workshop=workshop, role=Role.MANAGER)
    leader = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    for i in range(n):
        p = Proposal.objects.create(
            workshop=workshop, author=author, state=ProposalState.SHORTLISTED
        )
        rev = Revision.objects.create(
            proposal=p, number=1, author=author, name=f"KPI {i:03d}",
            measures="What it measures, in a sentence or two. " * 4, category=Category.CUSTOMER,
        )  # fmt: skip
        Proposal.objects.filter(pk=p.pk).update(current_revision=rev)
        p.refresh_from_db()
        approval_services.approval_decide(
            actor=leader, proposal=p, decision=Decision.APPROVE, reason="ok"
        )
        approval_services.training_notes_save(actor=facilitator, proposal=p, language="en", **NOTES)
    return workshop, facilitator


def _wait(predicate, seconds: float, log: Path, proc=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None:
            assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    pytest.fail("timed out:\n" + log.read_text())


def test_publish_runs_in_a_real_worker(workers):
    workshop, facilitator = _approved_workshop(3)
    proc, log = workers("w1")
    started = time.monotonic()
    job = services.release_publish(
        actor=facilitator,
        workshop=workshop,
        language="en",
        effective_date=datetime.date(2026, 1, 1),
    )
    assert time.monotonic() - started < 2  # the request returns at once
    _wait(
        lambda: PublishJob.objects.filter(pk=job.pk, state=PublishState.DONE).exists(),
        90, log, proc,
    )  # fmt: skip
    release = CatalogRelease.objects.get(job=job)
    assert release.entries.count() == 3
    assert Export.objects.filter(release=release, format="pdf").exists()


def _publish_files(job) -> list[str]:
    base = Path(settings.MEDIA_ROOT) / "catalog" / str(job.workshop.organisation_id)
    return sorted(
        str(p.relative_to(Path(settings.MEDIA_ROOT)))
        for p in base.glob(f"publish-{job.pk}-*/*")
        if p.is_file()
    )


def test_worker_killed_mid_publish_then_retry_leaves_exactly_one_release(workers):
    workshop, facilitator = _approved_workshop(120)  # long enough to be caught half-way
    proc, log = workers("doomed")
    job = services.release_publish(
        actor=facilitator,
        workshop=workshop,
        language="en",
        effective_date=datetime.date(2026, 1, 1),
    )
    _wait(
        lambda: PublishJob.objects.filter(pk=job.pk, state=PublishState.RUNNING).exists(),
        60, log, proc,
    )  # fmt: skip
    item = OutboxItem.objects.get(key=f"publish:{job.pk}")
    first_claim = item.claimed_until
    # Issue 17: the running build's heartbeat keeps its claim ahead of the clock, past the
    # lease it started with.
    _wait(lambda: time.sleep(0.5) or _claim(item) > first_claim, LEASE_SECONDS + 3, log, proc)
    _wait(lambda: bool(_publish_files(job)), 60, log, proc)  # CSV, JSON, Markdown written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = time.monotonic()
    # The killed build's transaction died with its connection: nothing half-made is left.
    time.sleep(1)
    assert not CatalogRelease.objects.filter(job=job).exists(), log.read_text()
    assert not CatalogEntry.objects.exists()
    assert not Export.objects.exists()
    # No more heartbeats: the claim lapses within the lease, and the page says so.
    _wait(lambda: _claim(item) < timezone.now(), LEASE_SECONDS + 2, log)
    assert time.monotonic() - killed_at < LEASE_SECONDS + 2
    job.refresh_from_db()
    assert services.publish_progress(job=job)["phase"] == "stalled"
    # The sweep (beat, every 10 s) hands it to a new worker at once, without the grace.
    proc2, log2 = workers("survivor")
    assert outbox_sweep() >= 1
    _wait(
        lambda: PublishJob.objects.filter(pk=job.pk, state=PublishState.DONE).exists(),
        120, log2, proc2,
    )  # fmt: skip
    assert CatalogRelease.objects.count() == 1
    release = CatalogRelease.objects.get()
    assert release.entries.count() == 120
    assert Export.objects.filter(release=release, format="csv").count() == 1
    job.refresh_from_db()
    assert job.attempts == 2
    # Issue 17, item 10: the killed attempt's files are gone; only the exports' own remain.
    assert _publish_files(job) == sorted(e.file.name for e in release.exports.all())
    assert all(f"publish-{job.pk}-2/" in name for name in _publish_files(job))
    # A duplicate wake-up finds it done.
    services.release_build(job_id=job.pk)
    assert CatalogRelease.objects.count() == 1


def _claim(item):
    return OutboxItem.objects.values_list("claimed_until", flat=True).get(pk=item.pk)
