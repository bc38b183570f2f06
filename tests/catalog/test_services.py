import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Approval, Decision
from kpiworkshop.catalog import services
from kpiworkshop.catalog.models import (
    CatalogEntry,
    CatalogRelease,
    Export,
    PublishJob,
    PublishState,
)
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis.models import ProposalState, Revision
from kpiworkshop.workshops.models import Stage

from .conftest import NOTES, approve_all, make_proposal, publish


def _decide(approver, proposal, decision=Decision.APPROVE, **kw):
    return approval_services.approval_decide(
        actor=approver, proposal=proposal, decision=decision, reason=kw.pop("reason", "Why"), **kw
    )


def test_one_approval_approves_with_default_quorum(shortlist, approvers):
    _decide(approvers[0], shortlist[0])
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.APPROVED
    assert AuditEvent.objects.filter(action="approval.decide").count() == 1


def test_quorum_of_two_needs_two_approvers(approve_workshop, facilitator, shortlist, approvers):
    approval_services.approval_set_quorum(actor=facilitator, workshop=approve_workshop, quorum=2)
    _decide(approvers[0], shortlist[0])
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.SHORTLISTED
    _decide(approvers[1], shortlist[0], Decision.PILOT, pilot_until=datetime.date(2099, 1, 1))
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.APPROVED


def test_rejected_when_quorum_can_no_longer_be_reached(
    approve_workshop, facilitator, shortlist, approvers
):
    approval_services.approval_set_quorum(actor=facilitator, workshop=approve_workshop, quorum=2)
    _decide(approvers[0], shortlist[0], Decision.REJECT)
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.SHORTLISTED  # two others could still approve
    _decide(approvers[1], shortlist[0], Decision.REJECT)
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.REJECTED


def test_deciding_twice_is_refused_and_changes_nothing(approve_workshop, shortlist, approvers):
    from kpiworkshop.approval.models import ApprovalPolicy

    ApprovalPolicy.objects.create(workshop=approve_workshop, quorum=3)
    _decide(approvers[0], shortlist[0])
    with pytest.raises(ValidationError):
        _decide(approvers[0], shortlist[0], Decision.REJECT)
    assert Approval.objects.filter(proposal=shortlist[0]).count() == 1


def test_reason_is_required(shortlist, approvers):
    with pytest.raises(ValidationError):
        _decide(approvers[0], shortlist[0], reason="   ")
    assert not Approval.objects.exists()


def test_pilot_needs_a_future_date(shortlist, approvers):
    with pytest.raises(ValidationError):
        _decide(approvers[0], shortlist[0], Decision.PILOT)
    with pytest.raises(ValidationError):
        _decide(approvers[0], shortlist[0], Decision.PILOT, pilot_until=datetime.date(2000, 1, 1))
    assert not Approval.objects.exists()


def test_no_self_approval_for_author_coauthor_or_credited(approve_workshop, approvers, agent):
    mine = make_proposal(approve_workshop, approvers[0], "Mine")
    with pytest.raises(PermissionDenied):
        _decide(approvers[0], mine)
    # A co-author (wrote a revision) and a credited suggester cannot decide either.
    other = make_proposal(approve_workshop, agent, "Theirs")
    Revision.objects.create(
        proposal=other, number=2, author=approvers[1], credited_to=approvers[2], name="Theirs 2",
        measures="m", category="customer",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        _decide(approvers[1], other)
    with pytest.raises(PermissionDenied):
        _decide(approvers[2], other)
    assert not Approval.objects.exists()


def test_only_leadership_in_approve_stage_decides(workshop, agent, facilitator, approver):
    proposal = make_proposal(workshop, agent, "FCR")  # workshop still in propose
    with pytest.raises(PermissionDenied):
        _decide(approver, proposal)
    workshop.stage = Stage.APPROVE
    workshop.save()
    for person in (agent, facilitator):
        with pytest.raises(PermissionDenied):
            _decide(person, proposal)


def test_request_changes_reopens_and_clears_decisions(
    approve_workshop, facilitator, shortlist, approvers, agent
):
    approval_services.approval_set_quorum(actor=facilitator, workshop=approve_workshop, quorum=2)
    _decide(approvers[0], shortlist[0])
    _decide(approvers[1], shortlist[0], Decision.CHANGES, reason="Say which channels.")
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.CHANGES_REQUESTED
    assert not Approval.objects.filter(superseded_at__isnull=True).exists()
    with pytest.raises(ValidationError):  # nothing to decide until it is revised
        _decide(approvers[2], shortlist[0])
    approval_services.proposal_resubmit(
        actor=agent,
        proposal=shortlist[0],
        definition={"channels": ["voice", "chat"]},
        change_note="Voice and chat only.",
    )
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.SHORTLISTED
    assert shortlist[0].current_revision.number == 2
    _decide(approvers[0], shortlist[0])  # the first approver decides again, on the revision
    _decide(approvers[1], shortlist[0])
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.APPROVED


def test_publish_refused_with_nothing_approved_or_notes_missing(
    approve_workshop, facilitator, shortlist, approvers
):
    with pytest.raises(ValidationError):
        publish(approve_workshop, facilitator)
    _decide(approvers[0], shortlist[0])
    with pytest.raises(ValidationError) as info:
        publish(approve_workshop, facilitator)
    assert "FCR" in " ".join(info.value.messages)
    assert not PublishJob.objects.exists()


def test_publish_builds_one_release_with_entries_and_exports(
    approve_workshop, facilitator, shortlist, approvers, django_capture_on_commit_callbacks
):
    approve_all(shortlist[:2], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        job = publish(approve_workshop, facilitator)
    job.refresh_from_db()
    assert job.state == PublishState.DONE, job.error
    release = CatalogRelease.objects.get()
    assert release.version == "1.0"
    assert sorted(release.entries.values_list("name", flat=True)) == ["FCR", "NPS"]
    entry = release.entries.get(name="FCR")
    assert entry.training_notes["en"] == NOTES
    assert entry.decisions[0]["reason"] == "Clear and useful."
    assert set(Export.objects.values_list("format", flat=True)) == {"pdf", "csv", "json", "md"}
    approve_workshop.refresh_from_db()
    assert approve_workshop.stage == Stage.PUBLISHED


def test_publish_twice_and_task_run_twice_give_one_release(
    approve_workshop, facilitator, shortlist, approvers, django_capture_on_commit_callbacks
):
    approve_all(shortlist[:1], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job1 = publish(approve_workshop, facilitator)
        job2 = publish(approve_workshop, facilitator)  # a double click shares the job
    assert job1.pk == job2.pk
    for cb in callbacks:
        cb()
    services.release_build(job_id=job1.pk)  # a duplicate message
    assert CatalogRelease.objects.count() == 1
    assert Export.objects.filter(format="csv").count() == 1
    approve_workshop.refresh_from_db()
    with pytest.raises(PermissionDenied):  # published: nothing more to publish here
        publish(approve_workshop, facilitator)
    assert CatalogRelease.objects.count() == 1


def _queued_job(workshop, facilitator, proposals, approver) -> PublishJob:
    """The proposals approved with notes, and a publish job queued but not yet run."""
    approve_all(proposals, approver, facilitator)
    return PublishJob.objects.create(
        workshop=workshop,
        requested_by=facilitator,
        state=PublishState.QUEUED,
        language="en",
        effective_date=datetime.date(2026, 1, 1),
    )


def test_crash_half_way_leaves_nothing_and_retry_gives_one_release(
    approve_workshop, facilitator, shortlist, approvers, monkeypatch
):
    from kpiworkshop.catalog.exports import tabular as exports

    job = _queued_job(approve_workshop, facilitator, shortlist[:2], approvers[0])
    real = exports._pdf_packs

    def crash(*args, **kwargs):  # dies half-way: CSV, JSON and Markdown are built already
        raise RuntimeError("worker killed")

    monkeypatch.setattr(exports, "_pdf_packs", crash)
    with pytest.raises(RuntimeError):
        services.release_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == PublishState.QUEUED  # the outbox retries it (issue 17)
    assert "worker killed" in job.error
    assert not CatalogRelease.objects.exists()
    assert not CatalogEntry.objects.exists()
    assert not Export.objects.exists()
    monkeypatch.setattr(exports, "_pdf_packs", real)
    services.release_build(job_id=job.pk)
    services.release_build(job_id=job.pk)
    assert CatalogRelease.objects.count() == 1
    assert CatalogEntry.objects.count() == 2


def test_publish_progress_moves_forward_through_the_pdf_steps_to_the_end(
    approve_workshop, facilitator, shortlist, approvers, monkeypatch
):
    job = _queued_job(approve_workshop, facilitator, shortlist[:2], approvers[0])
    seen = []
    monkeypatch.setattr(services, "_progress", lambda job_id, percent, step: seen.append(percent))
    services.release_build(job_id=job.pk)
    assert seen == sorted(seen)
    assert seen[-1] == 95  # then the job is DONE: 100
    assert len([p for p in seen if 40 < p < 95]) >= 5  # the PDF steps show, not one jump


# --- issue 17: publishing under faults ----------------------------------------------------------


def _stored_files(root) -> list[str]:
    from pathlib import Path

    base = Path(root) / "catalog"
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def test_a_second_click_returns_the_job_without_queueing_more_work(
    approve_workshop, facilitator, shortlist, approvers, django_capture_on_commit_callbacks
):
    from kpiworkshop.core.models import OutboxItem

    approve_all(shortlist[:1], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = publish(approve_workshop, facilitator)
        again = publish(approve_workshop, facilitator)
    assert again.pk == job.pk
    assert OutboxItem.objects.filter(key=f"publish:{job.pk}").count() == 1
    assert len(callbacks) == 1


def test_the_build_gets_a_time_limit_that_fits_the_release(
    approve_workshop, facilitator, shortlist, approvers, settings
):
    from kpiworkshop.core.models import OutboxItem

    settings.KPIW_PUBLISH_TIME_LIMIT = 300
    settings.KPIW_PUBLISH_SECONDS_PER_KPI = 2
    approve_all(shortlist, approvers[0], facilitator)
    job = publish(approve_workshop, facilitator)
    item = OutboxItem.objects.get(key=f"publish:{job.pk}")
    assert item.time_limit == 300 + 2 * 3  # well above the general 120 s soft limit


def test_a_failed_attempt_leaves_no_files_and_is_retried_until_the_last_attempt(
    approve_workshop, facilitator, shortlist, approvers, monkeypatch, settings
):
    from kpiworkshop.catalog.exports import tabular as exports

    settings.KPIW_PUBLISH_ATTEMPTS = 2
    job = _queued_job(approve_workshop, facilitator, shortlist[:2], approvers[0])

    def crash(*args, **kwargs):  # CSV, JSON and Markdown are written by now
        raise RuntimeError("soft time limit")

    monkeypatch.setattr(exports, "_pdf_packs", crash)
    with pytest.raises(RuntimeError):
        services.release_build(job_id=job.pk)
    job.refresh_from_db()
    # Not "failed": the outbox tries again by itself, and the page says so.
    assert job.state == PublishState.QUEUED
    assert job.attempts == 1
    assert "soft time limit" in job.error
    status = services.publish_progress(job=job)
    assert status["phase"] == "retrying"
    assert status["attempt"] == 2 and status["attempts"] == 2
    assert _stored_files(settings.MEDIA_ROOT) == []
    # The last attempt fails for good: the job is failed, and the outbox is not asked again.
    assert services.release_build(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.state == PublishState.FAILED
    assert services.publish_progress(job=job)["phase"] == "failed"
    assert _stored_files(settings.MEDIA_ROOT) == []
    assert services.release_build(job_id=job.pk) is None  # a late wake-up does nothing


def test_a_retry_removes_the_files_of_a_killed_attempt(
    approve_workshop, facilitator, shortlist, approvers, settings
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    job = _queued_job(approve_workshop, facilitator, shortlist[:1], approvers[0])
    org = approve_workshop.organisation_id
    # A worker was killed in attempt 1 after writing its CSV: the job stayed running.
    PublishJob.objects.filter(pk=job.pk).update(state=PublishState.RUNNING, attempts=1)
    default_storage.save(f"catalog/{org}/publish-{job.pk}-1/x.csv", ContentFile(b"a,b"))
    release = services.release_build(job_id=job.pk)
    stored = _stored_files(settings.MEDIA_ROOT)
    assert f"{org}/publish-{job.pk}-1/x.csv" not in stored
    assert sorted(stored) == sorted(e.file.name[len("catalog/") :] for e in release.exports.all())
    assert all(f"/publish-{job.pk}-2/" in name for name in stored)


def test_the_sweep_removes_files_no_export_references(
    approve_workshop, facilitator, shortlist, approvers, settings
):
    import os
    import time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    job = _queued_job(approve_workshop, facilitator, shortlist[:1], approvers[0])
    release = services.release_build(job_id=job.pk)
    kept = _stored_files(settings.MEDIA_ROOT)
    org = approve_workshop.organisation_id
    other = PublishJob.objects.create(
        workshop=proposal_workshop(approve_workshop),
        state=PublishState.RUNNING,
        language="en",
        attempts=3,
        effective_date=datetime.date(2026, 1, 1),
    )
    orphans = [
        f"catalog/{org}/publish-{job.pk}-7/left.md",  # a done job's other attempt
        f"catalog/{org}/publish-{other.pk}-2/killed.csv",  # a running job's earlier attempt
        f"catalog/{org}/publish-999999-1/gone.json",  # a job that no longer exists
        f"catalog/{org}/oldstyle.csv",  # before attempts had folders, a day old
    ]
    building = f"catalog/{org}/publish-{other.pk}-3/now.csv"  # the attempt running now
    for name in [*orphans, building]:
        default_storage.save(name, ContentFile(b"x"))
    old = time.time() - 2 * 86400
    os.utime(default_storage.path(orphans[-1]), (old, old))
    assert services.export_files_sweep() == len(orphans)
    left = _stored_files(settings.MEDIA_ROOT)
    assert sorted(left) == sorted([*kept, building[len("catalog/") :]])
    assert release.exports.count() == len(kept)


def proposal_workshop(workshop):
    from tests.factories import WorkshopFactory

    return WorkshopFactory(organisation=workshop.organisation)


def test_the_page_says_the_worker_stopped_when_a_running_builds_claim_lapses(
    approve_workshop, facilitator, shortlist, approvers
):
    from datetime import timedelta

    from django.utils import timezone

    from kpiworkshop.core.models import OutboxItem

    approve_all(shortlist[:1], approvers[0], facilitator)
    job = publish(approve_workshop, facilitator)
    item = OutboxItem.objects.get(key=f"publish:{job.pk}")
    # A worker claimed it, started building, and beat until a few seconds ago.
    PublishJob.objects.filter(pk=job.pk).update(state=PublishState.RUNNING, attempts=1)
    OutboxItem.objects.filter(pk=item.pk).update(
        attempts=1, claimed_until=timezone.now() + timedelta(seconds=15)
    )
    job.refresh_from_db()
    assert services.publish_progress(job=job)["phase"] == "building"
    OutboxItem.objects.filter(pk=item.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.publish_progress(job=job)["phase"] == "stalled"


def test_sweep_exports_command_removes_an_orphan(approve_workshop, settings):
    from io import StringIO

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    name = default_storage.save(
        f"catalog/{approve_workshop.organisation_id}/publish-424242-1/a.csv", ContentFile(b"x")
    )
    out = StringIO()
    call_command("sweep_exports", stdout=out)
    assert "removed 1 unreferenced export files" in out.getvalue()
    assert not default_storage.exists(name)


@pytest.mark.django_db(transaction=True)
def test_a_run_finding_the_job_locked_by_a_build_returns_at_once(
    approve_workshop, facilitator, shortlist, approvers, postgres_only
):
    import threading
    import time

    from django.db import connection, transaction

    job = _queued_job(approve_workshop, facilitator, shortlist[:1], approvers[0])
    locked, done = threading.Event(), threading.Event()

    def building():  # a running build holds the job's row lock for its whole transaction
        try:
            with transaction.atomic():
                PublishJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=building)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        assert services.release_build(job_id=job.pk) is None
        assert time.monotonic() - started < 3  # not queued behind the build
    finally:
        done.set()
        thread.join()
    assert not CatalogRelease.objects.exists()
