"""Every write of the catalogue: publishing a release, feedback, measured values and review
cycles (approval decisions, the quorum and training notes are in ``kpiworkshop.approval``).

Publishing is split in two: ``release_publish`` (the request) writes the claim row
(``PublishJob``, one per workshop by a database constraint) and an outbox row in the same
transaction (kpiworkshop/core/outbox.py), so the task runs after the commit, even across a
broker outage;
``release_build`` (the task's body) builds the release, its entries and its exports in ONE
transaction under a row lock on the claim row, so a double click, two facilitators, a task run
twice or a worker killed half-way all end with exactly one release (``CatalogRelease.job`` is
unique, and so is the version) and a failed build leaves nothing behind.

Issue 17: a click on a job that is queued or running returns that job (no second task); a run
that finds the job locked by a running build returns at once instead of queueing behind it.
Each attempt writes its files under its own folder (``catalog/<org>/publish-<job>-<attempt>/``),
removed when the attempt fails and, for a killed attempt, when the next one starts;
``export_files_sweep`` removes any file no export references. A failed attempt leaves the job
queued with its error (the outbox retries it, the page says "attempt N of M") until the last
of ``KPIW_PUBLISH_ATTEMPTS``; the build's time limit grows with the release's size.
"""

import calendar
import contextlib
import csv
import datetime
import io
import logging
import os
import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import override as translation_override

from kpiworkshop.approval import selectors as approval_selectors
from kpiworkshop.approval.models import NOTE_FIELDS, TrainingNotes
from kpiworkshop.approval.services import MAX_REASON, proposal_lock
from kpiworkshop.core.audit import audit_in_workshop, audit_record
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.core.outbox import outbox_add, outbox_wake
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Proposal, ProposalKind, RevisionNote
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import periods, permissions, selectors
from .models import (
    Answer,
    CatalogEntry,
    CatalogRelease,
    EntryReview,
    Export,
    Feedback,
    Measurement,
    PublishJob,
    PublishState,
    ReviewCycle,
    ReviewItem,
    ReviewReminder,
    ReviewSettings,
)
from .tasks import publish_release
from .tree_snapshot import tree_snapshot
from .versioning import changelog_compute, version_next

log = logging.getLogger(__name__)

MAX_RELEASE_NOTES = 5000


# --- publishing -------------------------------------------------------------------------------


def publish_blockers(*, workshop: Workshop, language: str) -> list[str]:
    """Why the workshop cannot be published yet, as sentences (empty: it can)."""
    approved = approval_selectors.approved_proposals(workshop=workshop)
    if not approved:
        return [_("Nothing is approved yet.")]
    with_notes = approval_selectors.proposals_with_notes(workshop=workshop, language=language)
    missing = [
        _("“%(name)s” has no training notes in %(language)s.")
        % {"name": p.current_revision.name, "language": dict(settings.LANGUAGES)[language]}
        for p in approved
        if p.pk not in with_notes and p.kind != ProposalKind.RETIRE
    ]
    return missing


@transaction.atomic
def release_publish(
    *,
    actor: Participant | None,
    workshop: Workshop,
    language: str,
    release_notes: str = "",
    effective_date: datetime.date | None = None,
    next_review: datetime.date | None = None,
    raise_major: bool = False,
) -> PublishJob:
    """Ask for the workshop's release: write (or reuse) the claim row and enqueue the build
    after commit. Returns at once. Takes a row lock on the workshop."""
    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not permissions.can_publish(actor, workshop):
        raise PermissionDenied(_("Only the facilitator publishes, in the approve stage."))
    job = PublishJob.objects.filter(workshop=workshop).first()
    if job is not None and job.state in (PublishState.QUEUED, PublishState.RUNNING):
        # Another click, or another facilitator: the same job and progress bar, no new task.
        return job
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose a language.")})
    effective_date = effective_date or timezone.localdate()
    if next_review is None:  # issue 10: the organisation's review interval
        next_review = review_default_date(
            organisation_id=workshop.organisation_id, after=effective_date
        )
    if next_review <= effective_date:
        raise ValidationError({"next_review": _("The next review comes after the release.")})
    release_notes = (release_notes or "").strip()
    if len(release_notes) > MAX_RELEASE_NOTES:
        raise ValidationError(
            {"release_notes": _("At most %(n)d characters.") % {"n": MAX_RELEASE_NOTES}}
        )
    blockers = publish_blockers(workshop=workshop, language=language)
    if blockers:
        raise ValidationError(blockers)
    fields = {
        "requested_by": actor,
        "state": PublishState.QUEUED,
        "language": language,
        "major": raise_major,
        "release_notes": release_notes,
        "effective_date": effective_date,
        "next_review": next_review,
        "progress": 0,
        "step": "",
        "error": "",
    }
    if job is None:
        job = PublishJob.objects.create(workshop=workshop, **fields)
    elif job.state == PublishState.FAILED:
        for k, v in fields.items():
            setattr(job, k, v)
        job.attempts = 0
        job.save()
    elif job.state == PublishState.DONE:
        raise ValidationError(_("This workshop is already published."))
    audit_in_workshop(
        actor=actor, action="catalog.publish", workshop=workshop, target=workshop, language=language
    )
    # The outbox row commits with the claim row; a worker runs the build after the commit
    # (or, with no broker, a thread of this process does, once the transaction is over, so
    # this request returns at once and the page shows the progress bar).
    outbox_add(
        task=publish_release.name,
        key=f"publish:{job.pk}",
        payload={"job_id": job.pk},
        time_limit=_publish_time_limit(workshop),
        background=True,
    )
    return job


def _publish_time_limit(workshop: Workshop) -> int:
    """The build's soft time limit in seconds: a base plus a share per KPI (the carried-over
    entries of the previous release included), so a large release on a busy host is not cut
    off by the general task limit."""
    previous = selectors.release_current(organisation_id=workshop.organisation_id)
    size = len(approval_selectors.approved_proposals(workshop=workshop))
    if previous is not None:
        size += CatalogEntry.objects.filter(release=previous).count()
    return int(settings.KPIW_PUBLISH_TIME_LIMIT + settings.KPIW_PUBLISH_SECONDS_PER_KPI * size)


def _progress(job_id: int, percent: int, step: str) -> None:
    """Progress for the polling page. The build runs in one transaction the page cannot see
    into, so progress goes through the cache (Redis in production, shared with the worker)."""
    cache.set(f"kpiw:publish:{job_id}", {"progress": percent, "step": step}, 3600)


def publish_progress(*, job: PublishJob) -> dict:
    """What the publish page shows: ``progress`` (percent), ``step``, and ``phase``: "waiting"
    (for a worker), "building", "retrying" (an attempt failed; the outbox runs the next one by
    itself), "stalled" (the worker building it stopped beating: its claim lapsed, the sweep
    hands it to another), "done" or "failed" (for good: publish again); ``attempt`` of
    ``attempts`` and the last ``error``.

    In the embedded set-up a stalled build, or a retry that is due, is started from here (a
    thread; the claim decides who runs it), as there is no beat to sweep it."""
    limit = settings.KPIW_PUBLISH_ATTEMPTS
    base = {"attempt": max(1, job.attempts), "attempts": limit, "error": job.error}
    if job.state == PublishState.DONE:
        return base | {"progress": 100, "step": "", "phase": "done"}
    if job.state == PublishState.FAILED:
        return base | {"progress": job.progress, "step": "", "phase": "failed"}
    live = cache.get(f"kpiw:publish:{job.pk}") or {"progress": job.progress, "step": job.step}
    now = timezone.now()
    item = (
        OutboxItem.objects.pending()
        .filter(key=f"publish:{job.pk}")
        .only("pk", "claimed_until", "due_at")
        .order_by("-pk")
        .first()
    )
    unclaimed = item is not None and (item.claimed_until is None or item.claimed_until < now)
    grace = timedelta(seconds=settings.KPIW_OUTBOX_SWEEP_GRACE_SECONDS)
    lapsed = unclaimed and item.claimed_until is not None and item.due_at <= now
    if settings.CELERY_TASK_ALWAYS_EAGER and (lapsed or (unclaimed and item.due_at <= now - grace)):
        # No beat sweeps the embedded set-up: a lost thread's build, or a retry now due,
        # starts again from the page that waits for it (as the sweep would).
        outbox_wake(item_id=item.pk, background=True)
    if job.state == PublishState.RUNNING:
        phase = "stalled" if unclaimed else "building"
    elif job.attempts:
        phase = "retrying"
        base["attempt"] = min(limit, job.attempts + 1)
    else:
        phase = "waiting"
    return base | live | {"phase": phase}


def _snapshot(workshop: Workshop, language: str, previous: CatalogRelease | None):
    """The new release's entries (dicts) and retirements, from the previous release and the
    workshop's approved KPIs."""
    carried = {str(e["kpi_uid"]): e for e in selectors.entry_dicts(release=previous)}
    by_entry_id = selectors.kpi_uids_by_entry_id(release=previous)
    retired: dict[str, str] = {}
    fresh: list[dict] = []
    for item in selectors.approved_snapshots(workshop=workshop):
        proposal = item.pop("_proposal")
        uid = by_entry_id.get(proposal.catalog_entry_id) if proposal.catalog_entry_id else None
        if proposal.kind == ProposalKind.RETIRE:
            if uid and uid in carried:
                carried.pop(uid)
                retired[uid] = item["retire_reason"]
            continue
        # Issue 10: a kept KPI is carried over unchanged; a changed one keeps the goal and
        # audience links of its entry unless the review workshop mapped it anew.
        if proposal.kind == ProposalKind.KEEP and uid in carried:
            continue
        if uid in carried:
            for key in ("goals", "audiences"):
                if not item.get(key):
                    item[key] = carried[uid].get(key, [])
        item["kpi_uid"] = uid or str(uuid.uuid4())
        item["_revision_id"] = proposal.current_revision_id
        carried.pop(item["kpi_uid"], None)
        fresh.append(item)
    _computable_attach(fresh)
    entries = list(carried.values()) + fresh
    _name_links(entries, workshop.organisation_id)
    return entries, retired


def _computable_attach(items: list[dict]) -> None:
    """Issue 19: each KPI's computable definition goes into the release's snapshot (the
    entry's ``definition["computable"]``: the dataset's name, the spec and the dataset's
    columns as they were), so a published release exports to dbt and OpenMetadata without
    reading live data. One query for the whole release."""
    by_revision = selectors.computable_by_revision(
        revision_ids=[i["_revision_id"] for i in items if i.get("_revision_id")]
    )
    for item in items:
        found = by_revision.get(item.pop("_revision_id", None))
        if found is not None:
            item["definition"] = dict(item.get("definition") or {}) | {"computable": found}


def _name_links(entries: list[dict], organisation_id: int) -> None:
    """Name every entry's goals and audiences as the organisation names them now, in the
    active language (the release's): a KPI carried over from a release in another language,
    or with links carried from one, would otherwise keep that release's names."""
    goal_names, audience_names = selectors.link_names(organisation_id=organisation_id)
    for entry in entries:
        for key, names in (("goals", goal_names), ("audiences", audience_names)):
            entry[key] = [
                link | {"name": names[link.get("slug")]} if link.get("slug") in names else link
                for link in entry.get(key) or []
            ]


def _attempt_folder(organisation_id: int, job_id: int, attempt: int) -> str:
    """Where one publish attempt writes its files (under ``Export.file``'s ``catalog/``)."""
    return f"{organisation_id}/publish-{job_id}-{attempt}"


def _storage_remove_folder(folder: str) -> int:
    """Delete every file in a storage folder (and the folder, where storage has folders)."""
    try:
        dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    removed = 0
    for sub in dirs:
        removed += _storage_remove_folder(f"{folder}/{sub}")
    for name in files:
        default_storage.delete(f"{folder}/{name}")
        removed += 1
    # Object storages have no folders; a folder that is not empty stays.
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(folder))
    return removed


def _attempts_remove(job: PublishJob, *, below: int | None = None, only: int | None = None):
    """Remove the files of this job's attempts: ``only`` one, or every one ``below`` a number.
    Nothing references them: an attempt's Export rows exist only if it committed."""
    organisation_id = job.workshop.organisation_id
    if only is not None:
        _storage_remove_folder(f"catalog/{_attempt_folder(organisation_id, job.pk, only)}")
        return
    try:
        dirs, _files = default_storage.listdir(f"catalog/{organisation_id}")
    except FileNotFoundError:
        return
    prefix = f"publish-{job.pk}-"
    for name in dirs:
        number = name[len(prefix) :] if name.startswith(prefix) else ""
        if number.isdigit() and (below is None or int(number) < below):
            _storage_remove_folder(f"catalog/{organisation_id}/{name}")


def release_build(*, job_id: int) -> CatalogRelease | None:
    """The publish task's body: build the release, its entries and exports, exactly once.

    Returns at once (None) when another run holds the job's row lock: that run is building
    it. A failed attempt removes its files, leaves the job queued with its error and raises,
    so the outbox runs it again; the last of ``KPIW_PUBLISH_ATTEMPTS`` marks the job failed
    and returns None."""
    from .exports import exports_build  # PDF machinery loads only where it runs

    with transaction.atomic():
        job = _job_lock_or_none(job_id)
        if job is None:
            return None  # claimed by a running build (or gone): nothing to wait for
        if job.state == PublishState.DONE:
            return CatalogRelease.objects.filter(job=job).first()
        if job.state == PublishState.FAILED:
            return None  # a late wake-up: publishing again makes a new request
        if job.attempts >= settings.KPIW_PUBLISH_ATTEMPTS:  # its workers kept dying
            PublishJob.objects.filter(pk=job.pk).update(
                state=PublishState.FAILED,
                error=job.error or _("The worker stopped in every attempt."),
            )
            _attempts_remove(job)
            return None
        PublishJob.objects.filter(pk=job.pk).update(
            state=PublishState.RUNNING, attempts=F("attempts") + 1
        )
    attempt = None
    try:
        with transaction.atomic():
            # Locked again for the whole build: another run finds it locked and returns.
            job = _job_lock_or_none(job_id)
            if job is None:
                return None
            if job.state == PublishState.DONE:
                return CatalogRelease.objects.filter(job=job).first()
            attempt = job.attempts
            # A killed attempt's files: nothing references them, and no build of it is alive
            # (its transaction would hold the lock this one has).
            _attempts_remove(job, below=attempt)
            workshop = Workshop.objects.select_for_update().get(pk=job.workshop_id)
            _progress(job.pk, 10, "entries")
            previous = selectors.release_current(organisation_id=workshop.organisation_id)
            with translation.override(job.language):  # goal and audience names
                entries, retired = _snapshot(workshop, job.language, previous)
            old = selectors.entry_dicts(release=previous)
            changelog = changelog_compute(old, entries, retired_reasons=retired)
            tree = tree_snapshot(
                workshop=workshop,
                entries=entries,
                previous_tree=previous.tree if previous else [],
                by_entry_id=selectors.kpi_uids_by_entry_id(release=previous),
            )
            major, minor = version_next(
                (previous.major, previous.minor) if previous else None,
                changelog,
                raise_major=job.major,
            )
            requested_by = job.requested_by
            release = CatalogRelease.objects.create(
                organisation_id=workshop.organisation_id,
                major=major,
                minor=minor,
                workshop=workshop,
                job=job,
                previous=previous,
                language=job.language,
                effective_date=job.effective_date,
                next_review=job.next_review,
                release_notes=job.release_notes,
                published_by_name=requested_by.display_name if requested_by else "",
                retired=retired,
                changelog=changelog.as_dict(),
                tree=tree,
            )
            CatalogEntry.objects.bulk_create(
                [
                    CatalogEntry(release=release, position=i, **_entry_fields(e))
                    for i, e in enumerate(sorted(entries, key=_entry_order))
                ],
                batch_size=200,
            )
            _progress(job.pk, 40, "exports")
            exports_build(
                release=release,
                on_progress=lambda p: _progress(job.pk, 40 + p, "exports"),
                folder=_attempt_folder(workshop.organisation_id, job.pk, attempt),
            )
            Workshop.objects.filter(pk=workshop.pk).update(
                stage=Stage.PUBLISHED,
                stage_changed_at=timezone.now(),
                state_version=F("state_version") + 1,
            )
            job.state = PublishState.DONE
            job.progress = 100
            job.step = ""
            job.error = ""
            job.save(update_fields=["state", "progress", "step", "error", "updated_at"])
            audit_in_workshop(
                actor=requested_by,
                action="catalog.released",
                workshop=workshop,
                target=release,
                version=release.version,
                entries=len(entries),
            )
        return release
    except Exception as exc:
        log.exception("publishing job %s failed (attempt %s)", job_id, attempt)
        job = PublishJob.objects.select_related("workshop").get(pk=job_id)
        if attempt is not None:
            _attempts_remove(job, only=attempt)
        final = job.attempts >= settings.KPIW_PUBLISH_ATTEMPTS
        PublishJob.objects.filter(pk=job_id).update(
            state=PublishState.FAILED if final else PublishState.QUEUED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        cache.delete(f"kpiw:publish:{job_id}")
        if final:
            return None  # for good: the page offers "publish again"; the outbox is done
        raise


def _job_lock_or_none(job_id: int) -> PublishJob | None:
    """The publish job, row-locked until the transaction ends; None if another transaction
    holds it (a running build) instead of waiting for it."""
    return (
        PublishJob.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("workshop")
        .filter(pk=job_id)
        .first()
    )


def export_files_sweep() -> int:
    """Delete the export files no Export row references, left by publish attempts that failed
    or were killed; returns how many. The files of an attempt that may still be running (the
    current attempt of a queued or running job) are left alone, and so are files in the old
    flat layout younger than a day. Safe at any time, anywhere (Celery beat runs it)."""
    import datetime as dt

    referenced = set(Export.objects.values_list("file", flat=True))
    jobs = {
        pk: (state, attempts)
        for pk, state, attempts in PublishJob.objects.values_list("pk", "state", "attempts")
    }
    day_ago = timezone.now() - dt.timedelta(days=1)
    removed = 0
    try:
        organisations, _files = default_storage.listdir("catalog")
    except FileNotFoundError:
        return 0
    for org in organisations:
        folders, files = default_storage.listdir(f"catalog/{org}")
        for name in files:
            path = f"catalog/{org}/{name}"
            if path in referenced or default_storage.get_modified_time(path) > day_ago:
                continue
            default_storage.delete(path)
            removed += 1
        for folder in folders:
            job_part, _sep, attempt_part = folder.removeprefix("publish-").partition("-")
            if not (folder.startswith("publish-") and job_part.isdigit()):
                continue
            state, attempts = jobs.get(int(job_part), (None, 0))
            building = state in (PublishState.QUEUED, PublishState.RUNNING)
            if building and attempt_part.isdigit() and int(attempt_part) >= attempts:
                continue  # the attempt running now (or about to)
            _dirs, names = default_storage.listdir(f"catalog/{org}/{folder}")
            unreferenced = [n for n in names if f"catalog/{org}/{folder}/{n}" not in referenced]
            for n in unreferenced:
                default_storage.delete(f"catalog/{org}/{folder}/{n}")
            removed += len(unreferenced)
            if len(unreferenced) == len(names):
                _storage_remove_folder(f"catalog/{org}/{folder}")
    return removed


ENTRY_FIELDS = (
    "kpi_uid",
    "proposal_id",
    "name",
    "category",
    "definition",
    "internal_fields",
    "channels",
    "goals",
    "audiences",
    "counter_metric",
    "training_notes",
    "decisions",
    "pilot_until",
    "votes",
    "search_text",
)


def _entry_order(entry: dict):
    return (entry["category"], entry["name"].lower())


def _entry_fields(entry: dict) -> dict:
    return {k: entry.get(k) for k in ENTRY_FIELDS if k in entry}


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------

MAX_FEEDBACK_COMMENT = 1000
MAX_HIDE_REASON = 300
MAX_BREAKDOWN = 60
#: A value may be entered for a period up to this many days ahead (a month being closed early).
FUTURE_DAYS = periods.FUTURE_DAYS
MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 5000
#: The columns a values CSV may have, in the order the messages name them.
CSV_COLUMNS = ("period", "value", "breakdown")


def _org_audit(actor, action: str, organisation_id: int, target=None, **details) -> None:
    audit_record(
        actor=actor, action=action, organisation_id=organisation_id, target=target, details=details
    )


def _is_current(entry: CatalogEntry) -> bool:
    current = selectors.release_current(organisation_id=entry.release.organisation_id)
    return current is not None and current.pk == entry.release_id


# feedback ------------------------------------------------------------------------------------


def feedback_answer(
    *, reader: permissions.Reader | None, person: str, entry: CatalogEntry, answer: str, comment=""
) -> Feedback:
    """Answer (or change the answer to) "Is this KPI helping you do a good job?". An upsert on
    the (entry, person) key: any number of identical concurrent answers leave one row."""
    organisation_id = entry.release.organisation_id
    if not person or not permissions.can_give_feedback(
        reader, organisation_id, is_current=_is_current(entry)
    ):
        raise PermissionDenied(_("Only people of the organisation answer, on the current release."))
    if answer not in Answer.values:
        raise ValidationError({"answer": _("Choose an answer.")})
    comment = (comment or "").strip()
    if len(comment) > MAX_FEEDBACK_COMMENT:
        raise ValidationError(
            {"comment": _("At most %(n)d characters.") % {"n": MAX_FEEDBACK_COMMENT}}
        )
    row = Feedback(
        entry=entry, person=person[:80], role=reader.role, answer=answer, comment=comment
    )
    # INSERT … ON CONFLICT (entry, person) DO UPDATE: one statement, no read-then-write race.
    # A comment hidden by a facilitator stays hidden when its author edits it.
    Feedback.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["entry", "person"],
        update_fields=["answer", "comment", "role", "updated_at"],
    )
    return Feedback.objects.get(entry=entry, person=row.person)


@transaction.atomic
def feedback_hide(
    *, reader: permissions.Reader | None, user, feedback: Feedback, reason: str
) -> Feedback:
    """Hide a feedback comment from every page, with a reason (audited). The answer still
    counts."""
    feedback = (
        Feedback.objects.select_for_update().select_related("entry__release").get(pk=feedback.pk)
    )
    organisation_id = feedback.entry.release.organisation_id
    if not permissions.can_moderate_feedback(reader, organisation_id):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the comment is hidden.")})
    if len(reason) > MAX_HIDE_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": MAX_HIDE_REASON}})
    feedback.hidden_reason = reason
    feedback.save(update_fields=["hidden_reason"])
    _org_audit(user, "catalog.feedback_hide", organisation_id, target=feedback, reason=reason)
    return feedback


# measured values -----------------------------------------------------------------------------


def _check_values_allowed(reader, entry: CatalogEntry) -> None:
    if not permissions.can_record_values(reader, entry.release.organisation_id, entry.audiences):
        raise PermissionDenied(
            _("Only the KPI's accountable audience and the facilitators enter its values.")
        )


def parse_value(raw) -> Decimal:
    """A number as people type it: ``12.5``, ``12,5``, ``1 234,5``, ``85%``."""
    text = str(raw or "").strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("“%(v)s” is not a number.") % {"v": str(raw)[:40]}) from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 14:
        raise ValidationError(_("“%(v)s” is not a number.") % {"v": str(raw)[:40]})
    return value.quantize(Decimal("0.0001"))


def parse_period(raw, kind: str = periods.DAY) -> datetime.date:
    """A period as the first day of the period of ``kind`` that holds it: a date
    (``2026-03-31``), a month (``2026-03``, read as its first day), an ISO week (``2026-W13``)
    or a quarter (``2026-Q1``), or a date in the reader's format (``31/03/2026``)."""
    if isinstance(raw, datetime.date):
        period = raw
    else:
        text = str(raw or "").strip()
        period = periods.parse_period_text(text, kind)
        if period is None:
            if kind == periods.DAY:
                raise ValidationError(
                    _("“%(v)s” is not a date (year-month-day or year-month).") % {"v": text[:40]}
                )
            raise ValidationError(periods.period_error(text, kind))
    period = periods.period_start(period, kind)
    if period > timezone.localdate() + datetime.timedelta(days=FUTURE_DAYS):
        raise ValidationError(_("%(d)s is too far in the future.") % {"d": period.isoformat()})
    if period.year < 1990:
        raise ValidationError(_("%(d)s is too far in the past.") % {"d": period.isoformat()})
    return period


def entry_period_kind(entry: CatalogEntry) -> str:
    """The kind of period the entry's KPI is measured over, from its frequency."""
    return periods.period_kind((entry.definition or {}).get("frequency"))


def _clean_breakdown(raw) -> str:
    text = " ".join(str(raw or "").split())
    if len(text) > MAX_BREAKDOWN:
        raise ValidationError(_("A breakdown has at most %(n)d characters.") % {"n": MAX_BREAKDOWN})
    return text


@transaction.atomic
def measurement_record(
    *,
    reader: permissions.Reader | None,
    user,
    entry: CatalogEntry,
    period,
    value,
    breakdown: str = "",
) -> Measurement:
    """One measured value of a KPI for a period. A second value for the same period (and
    breakdown) is refused by the unique key, with a message."""
    _check_values_allowed(reader, entry)
    kind = entry_period_kind(entry)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for field, parse, raw in (
        ("period", lambda raw: parse_period(raw, kind), period),
        ("value", parse_value, value),
        ("breakdown", _clean_breakdown, breakdown),
    ):
        try:
            clean[field] = parse(raw)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    measurement = Measurement(
        organisation_id=entry.release.organisation_id,
        kpi_uid=entry.kpi_uid,
        entry=entry,
        entered_by_name=_name_of(user),
        **clean,
    )
    try:
        with transaction.atomic():
            measurement.save()
    except IntegrityError:
        raise ValidationError(
            {
                "period": [
                    _("There is already a value for %(d)s.")
                    % {"d": periods.period_label(clean["period"], kind)}
                ]
            }
        ) from None
    _org_audit(
        user,
        "catalog.value",
        entry.release.organisation_id,
        target=measurement,
        period=clean["period"].isoformat(),
        value=str(clean["value"]),
    )
    return measurement


def _name_of(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return (getattr(user, "display_name", "") or user.get_username())[:150]


def _check_csv_header(header: list[str]) -> None:
    """A values CSV names period and value, optionally breakdown, each once, and nothing else:
    a column we would drop without a word (a comment, a second value) is refused instead, and
    the message stays short however many columns the file has."""
    allowed = ", ".join(CSV_COLUMNS)
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        names = [f"“{h[:30]}”" if h else _("(unnamed)") for h in unknown[:5]]
        raise ValidationError(
            _(
                "Line 1: unknown columns %(unknown)s (the header has %(n)d columns). A values "
                "file has only the columns %(allowed)s."
            )
            % {
                "n": len(header),
                "allowed": allowed,
                "unknown": ", ".join(names) + ("…" if len(unknown) > 5 else ""),
            }
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise ValidationError(
            _("Line 1: the column %(name)s is named more than once.") % {"name": ", ".join(twice)}
        )
    if "period" not in header or "value" not in header:
        raise ValidationError(_("Line 1: the header must name the columns period and value."))


@transaction.atomic
def measurements_import_csv(
    *, reader: permissions.Reader | None, user, entry: CatalogEntry, data: bytes
) -> int:
    """Import values from CSV (header ``period,value[,breakdown]``; comma or semicolon). Every
    row is checked first; any bad row is reported with its line number and nothing of the file
    is saved. Returns the number of values saved."""
    _check_values_allowed(reader, entry)
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(_("The file is larger than 1 MB."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text.")) from None
    if not text.strip():
        raise ValidationError(_("The file is empty."))
    try:
        # The header's start is enough to tell the delimiter (a huge header is refused below).
        dialect = csv.Sniffer().sniff(text.splitlines()[0][:1000], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader_csv = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader_csv, [])]
    _check_csv_header(header)
    col = {name: header.index(name) for name in CSV_COLUMNS if name in header}
    existing = set(
        Measurement.objects.filter(
            organisation_id=entry.release.organisation_id, kpi_uid=entry.kpi_uid
        ).values_list("period", "breakdown")
    )
    seen: dict[tuple, int] = {}
    rows: list[Measurement] = []
    errors: list[str] = []
    for cells in reader_csv:
        line = reader_csv.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(errors) >= MAX_CSV_ROWS:
            errors.append(_("More than %(n)d rows.") % {"n": MAX_CSV_ROWS})
            break

        if len(cells) > len(header):
            errors.append(
                _("Line %(n)d: %(c)d cells, but the header names %(h)d columns.")
                % {"n": line, "c": len(cells), "h": len(header)}
            )
            continue

        def cell(name, cells=cells):
            i = col.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        try:
            period = parse_period(cell("period"), entry_period_kind(entry))
            value = parse_value(cell("value"))
            breakdown = _clean_breakdown(cell("breakdown"))
        except ValidationError as exc:
            errors.append(_("Line %(n)d: %(m)s") % {"n": line, "m": " ".join(exc.messages)})
            continue
        key = (period, breakdown)
        if key in existing:
            errors.append(
                _("Line %(n)d: there is already a value for %(d)s.") % {"n": line, "d": period}
            )
            continue
        if key in seen:
            errors.append(
                _("Line %(n)d: %(d)s is also on line %(m)d.")
                % {"n": line, "d": period, "m": seen[key]}
            )
            continue
        seen[key] = line
        rows.append(
            Measurement(
                organisation_id=entry.release.organisation_id,
                kpi_uid=entry.kpi_uid,
                entry=entry,
                period=period,
                value=value,
                breakdown=breakdown,
                entered_by_name=_name_of(user),
            )
        )
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("The file has no values."))
    try:
        with transaction.atomic():
            Measurement.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:  # a value entered meanwhile for one of these periods
        raise ValidationError(
            _("Some of these periods got a value meanwhile; nothing was saved.")
        ) from None
    _org_audit(
        user, "catalog.values_import", entry.release.organisation_id, target=entry, rows=len(rows)
    )
    return len(rows)


# review schedule and reminders ----------------------------------------------------------------


def review_default_date(*, organisation_id: int, after: datetime.date) -> datetime.date:
    """The next review of a release effective on ``after``: the organisation's interval later
    (3 months by default), on the same day of the month or the month's last day."""
    months = (
        ReviewSettings.objects.filter(organisation_id=organisation_id)
        .values_list("interval_months", flat=True)
        .first()
        or 3
    )
    month0 = after.month - 1 + months
    year, month = after.year + month0 // 12, month0 % 12 + 1
    day = min(after.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


@transaction.atomic
def review_settings_save(
    *, reader, user, organisation_id: int, interval_months: int, remind_days_before: int
) -> ReviewSettings:
    if not permissions.can_manage_reviews(reader, organisation_id):
        raise PermissionDenied
    errors = {}
    if not isinstance(interval_months, int) or not 1 <= interval_months <= 36:
        errors["interval_months"] = [_("Between 1 and 36 months.")]
    if not isinstance(remind_days_before, int) or not 0 <= remind_days_before <= 90:
        errors["remind_days_before"] = [_("Between 0 and 90 days.")]
    if errors:
        raise ValidationError(errors)
    settings_row, _c = ReviewSettings.objects.update_or_create(
        organisation_id=organisation_id,
        defaults={"interval_months": interval_months, "remind_days_before": remind_days_before},
    )
    _org_audit(user, "catalog.review_settings", organisation_id, interval=interval_months)
    return settings_row


@transaction.atomic
def entry_review_set(
    *, reader, user, entry: CatalogEntry, next_review: datetime.date | None
) -> EntryReview | None:
    """An entry's own next-review date (None: the release's date applies)."""
    organisation_id = entry.release.organisation_id
    if not permissions.can_manage_reviews(reader, organisation_id):
        raise PermissionDenied
    if next_review is None:
        EntryReview.objects.filter(entry=entry).delete()
        _org_audit(user, "catalog.entry_review", organisation_id, target=entry, date=None)
        return None
    if next_review <= entry.release.effective_date:
        raise ValidationError({"next_review": _("The next review comes after the release.")})
    row, _c = EntryReview.objects.update_or_create(
        entry=entry, defaults={"next_review": next_review}
    )
    _org_audit(
        user, "catalog.entry_review", organisation_id, target=entry, date=next_review.isoformat()
    )
    return row


def review_reminders_send(*, today: datetime.date | None = None) -> int:
    """Write one reminder per due review per facilitator of its organisation, and queue its
    e-mail in the outbox. Idempotent: the reminder's unique key makes a second run (or a
    second worker at the same time) write nothing. Returns the number of new reminders."""
    today = today or timezone.localdate()
    created = 0
    for due in selectors.reviews_to_remind(today=today):
        for user_id in due.recipient_ids:
            try:
                with transaction.atomic():
                    reminder = ReviewReminder.objects.create(
                        release_id=due.release_id,
                        entry_id=due.entry_id,
                        entry_key=due.entry_id or 0,
                        due=due.due,
                        recipient_id=user_id,
                    )
                    outbox_add(
                        task="kpiworkshop.catalog.tasks.review_reminder_deliver",
                        key=f"review-reminder:{reminder.pk}",
                        payload={"reminder_id": reminder.pk},
                    )
            except IntegrityError:
                continue  # already reminded (this run's twin, or an earlier run)
            created += 1
    return created


def review_reminder_deliver(*, reminder_id: int) -> bool:
    """Send one reminder's e-mail (run from the outbox). The ``sent_at`` claim is taken in one
    conditional UPDATE, so a repeated run sends nothing; a failed send releases it."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    now = timezone.now()
    if not ReviewReminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(sent_at=now):
        return False
    reminder = ReviewReminder.objects.select_related(
        "release__organisation", "entry", "recipient"
    ).get(pk=reminder_id)
    if not reminder.recipient.email:
        return False
    try:
        with translation.override(reminder.release.language):
            context = {
                "reminder": reminder,
                "release": reminder.release,
                "entry": reminder.entry,
                "url": settings.SITE_URL.rstrip("/")
                + reverse("catalog:reviews", args=[reminder.release.organisation.slug]),
            }
            subject = " ".join(
                render_to_string("catalog/review_reminder_subject.txt", context).split()
            )
            body = render_to_string("catalog/review_reminder_email.txt", context)
        send_mail(subject, body, None, [reminder.recipient.email])
    except Exception:
        ReviewReminder.objects.filter(pk=reminder_id).update(sent_at=None)
        raise
    return True


# the review workshop --------------------------------------------------------------------------


def review_workshop_start(*, reader, user, organisation_id: int):
    """Open a review workshop on the current release: every entry becomes a ``keep`` proposal
    (with its definition and training notes), which participants may turn into ``change`` or
    ``retire``. One per release (``ReviewCycle``): starting twice returns the same workshop."""
    from kpiworkshop.accounts.models import Organisation
    from kpiworkshop.workshops import services as workshop_services

    if not permissions.can_manage_reviews(reader, organisation_id):
        raise PermissionDenied(_("Only the organisation's facilitators start a review."))
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
        release = selectors.release_current(organisation_id=organisation_id)
        if release is None:
            raise ValidationError(_("There is no published catalogue to review yet."))
        existing = ReviewCycle.objects.filter(release=release).select_related("workshop").first()
        if existing is not None:
            return existing.workshop
        with translation_override(release.language):
            title = _("Review of KPI catalogue %(v)s") % {"v": release.version}
        workshop = workshop_services.workshop_create(
            user=user, organisation=organisation, title=title
        )
        facilitator = Participant.objects.get(workshop=workshop, user=user)
        workshop_services.workshop_set_stage(
            actor=facilitator, workshop=workshop, stage=Stage.PROPOSE, expected_stage=Stage.DRAFT
        )
        workshop.refresh_from_db()
        for entry in selectors.entries_for(release=release):
            definition = dict(entry.definition or {}) | {
                "name": entry.name,
                "category": entry.category,
            }
            if not definition.get("measures"):
                definition["measures"] = entry.name
            if entry.counter_metric and not definition.get("counter_metric_text"):
                definition["counter_metric_text"] = entry.counter_metric
            proposal = kpi_services.proposal_create(
                actor=facilitator,
                workshop=workshop,
                definition=definition,
                kind=ProposalKind.KEEP,
                catalog_entry_id=entry.pk,
                # The system's note, as a code: each reader sees it in their language.
                note_code=RevisionNote.FROM_CATALOGUE,
                note_params={"version": release.version},
            )
            if entry.internal_fields:
                Proposal.objects.filter(pk=proposal.pk).update(
                    internal_fields=list(entry.internal_fields)
                )
            ReviewItem.objects.create(proposal=proposal, entry=entry)
            TrainingNotes.objects.bulk_create(
                [
                    TrainingNotes(
                        proposal=proposal,
                        language=lang,
                        **{f: (notes or {}).get(f, "") or "-" for f in NOTE_FIELDS},
                    )
                    for lang, notes in (entry.training_notes or {}).items()
                    if lang in dict(settings.LANGUAGES)
                ]
            )
        ReviewCycle.objects.create(release=release, workshop=workshop)
        audit_in_workshop(
            actor=facilitator,
            action="catalog.review_start",
            workshop=workshop,
            target=release,
            version=release.version,
        )
        return workshop


@transaction.atomic
def review_proposal_set_kind(
    *, actor: Participant | None, proposal: Proposal, kind: str, reason: str = ""
) -> Proposal:
    """Turn a review proposal into keep, change or retire. A retire needs a reason; a change
    then gets its new revision like any proposal."""
    from kpiworkshop.kpis import permissions as kpi_permissions

    proposal = proposal_lock(proposal)
    item = ReviewItem.objects.filter(proposal=proposal).first()
    if item is None or not kpi_permissions.can_edit(actor, proposal):
        raise PermissionDenied(_("Only the author or the facilitator can change this proposal."))
    if kind not in (ProposalKind.KEEP, ProposalKind.CHANGE, ProposalKind.RETIRE):
        raise ValidationError({"kind": _("Choose keep, change or retire.")})
    reason = (reason or "").strip()
    if kind == ProposalKind.RETIRE and not reason:
        raise ValidationError({"reason": _("Say why this KPI should be retired.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": MAX_REASON}})
    proposal.kind = kind
    proposal.save(update_fields=["kind", "updated_at"])
    item.reason = reason if kind == ProposalKind.RETIRE else ""
    item.save(update_fields=["reason"])
    audit_in_workshop(
        actor=actor,
        action="catalog.review_kind",
        workshop=proposal.workshop,
        target=proposal,
        kind=kind,
    )
    return proposal


def review_ballot_create(*, actor: Participant | None, workshop: Workshop):
    """A review workshop's "keep, change or retire?" round: a multi-criteria ballot over its
    open proposals with the three criteria Keep it / Change it / Retire it (1–5 each), so the
    results per stakeholder group, the divergence signal and secrecy work as in any round."""
    from kpiworkshop.voting import services as voting_services
    from kpiworkshop.voting.models import Method

    if not ReviewCycle.objects.filter(workshop=workshop).exists():
        raise ValidationError(_("This is not a review workshop."))
    with translation.override(
        ReviewCycle.objects.filter(workshop=workshop).values_list("release__language", flat=True)[0]
    ):
        title = _("Keep, change or retire?")
        criteria = [_("Keep it as it is"), _("Change it"), _("Retire it")]
    return voting_services.ballot_create(
        actor=actor, workshop=workshop, title=title, method=Method.SCORE, criteria=criteria
    )


# measured values computed from a dataset version (issue 19) -----------------------------------


def _breakdown_of(dimension: str, label: str) -> str:
    return " ".join(f"{dimension}: {label}".split())[:MAX_BREAKDOWN] if dimension else ""


def measurements_compute(*, version_id: int) -> int:
    """Compute the current catalogue's measured values, per period and per breakdown
    ("channel: chat"), from one ready dataset version, for every entry whose KPI has a
    computable definition over that dataset. Returns the number of values written or changed.

    Run from the outbox when a version becomes its dataset's current one. Idempotent: values
    are keyed by (organisation, KPI, period, breakdown); a computed value is updated in place
    and a hand-entered one (or one from the values CSV) is never overwritten. A version that is
    no longer its dataset's current one computes nothing, so a late run of an older version
    cannot replace a newer version's values. Values of periods the new version no longer holds
    are kept (the series' history)."""
    from kpiworkshop.datasets.definition import Definition
    from kpiworkshop.datasets.models import DatasetVersion, KpiDefinition, VersionStatus
    from kpiworkshop.datasets.values import values_compute

    version = DatasetVersion.objects.select_related("dataset").filter(pk=version_id).first()
    if (
        version is None
        or version.status != VersionStatus.READY
        or version.dataset.current_version_id != version.pk
    ):
        return 0
    organisation_id = version.dataset.organisation_id
    release = selectors.release_current(organisation_id=organisation_id)
    if release is None:
        return 0
    entries = list(
        CatalogEntry.objects.filter(release=release, proposal__isnull=False)
        .select_related("proposal")
        .only("pk", "kpi_uid", "proposal__current_revision_id")
    )
    by_revision = {e.proposal.current_revision_id: e for e in entries}
    kpi_definitions = KpiDefinition.objects.filter(
        organisation_id=organisation_id,
        dataset_id=version.dataset_id,
        revision_id__in=list(by_revision),
    ).only("revision_id", "spec")
    definitions = {
        by_revision[k.revision_id].pk: Definition.from_dict(k.spec) for k in kpi_definitions
    }
    computed = values_compute(definitions=definitions, version=version)
    entry_of = {e.pk: e for e in entries}
    wanted: dict[tuple, tuple[CatalogEntry, datetime.date, str, Decimal]] = {}
    for entry_id, values in computed.items():
        entry = entry_of[entry_id]
        for v in values:
            breakdown = _breakdown_of(v.dimension, v.label)
            value = Decimal(str(round(v.value, 4)))
            wanted[(entry.kpi_uid, v.period, breakdown)] = (entry, v.period, breakdown, value)
    if not wanted:
        return 0
    changed = 0
    with transaction.atomic():
        existing = {
            (m.kpi_uid, m.period, m.breakdown): m
            for m in Measurement.objects.select_for_update().filter(
                organisation_id=organisation_id,
                kpi_uid__in={key[0] for key in wanted},
            )
        }
        create: list[Measurement] = []
        update: list[Measurement] = []
        for key, (entry, period, breakdown, value) in wanted.items():
            current = existing.get(key)
            if current is None:
                create.append(
                    Measurement(
                        organisation_id=organisation_id,
                        kpi_uid=entry.kpi_uid,
                        entry_id=entry.pk,
                        period=period,
                        breakdown=breakdown,
                        value=value,
                        computed=True,
                        source_version_id=version.pk,
                    )
                )
            elif current.computed and (
                current.value != value
                or current.source_version_id != version.pk
                or current.entry_id != entry.pk
            ):
                current.value = value
                current.source_version_id = version.pk
                current.entry_id = entry.pk
                update.append(current)
        Measurement.objects.bulk_create(create, batch_size=1000)
        Measurement.objects.bulk_update(
            update, ["value", "source_version", "entry"], batch_size=1000
        )
        changed = len(create) + len(update)
        if changed:
            _org_audit(
                None,
                "catalog.values_computed",
                organisation_id,
                target=release,
                version_id=version.pk,
                values=changed,
                kpis=len(computed),
            )
    return changed
