"""Every write of the catalogue: publishing a release (approval decisions, the quorum and
training notes are in ``kpiworkshop.approval``; feedback, measured values and review cycles in
``kpiworkshop.reviews``).

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

import contextlib
import datetime
import logging
import os
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kpiworkshop.approval import selectors as approval_selectors
from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.core.outbox import outbox_add, outbox_wake
from kpiworkshop.kpis.models import ProposalKind
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import permissions, selectors
from .models import (
    CatalogEntry,
    CatalogRelease,
    Export,
    PublishJob,
    PublishState,
)
from .tasks import publish_release
from .tree_snapshot import tree_snapshot
from .versioning import changelog_compute, version_next

log = logging.getLogger(__name__)

MAX_RELEASE_NOTES = 5000

#: The rule for a release's next review when the facilitator gives none: registered by the
#: reviews app (the organisation's review interval) from its AppConfig.ready, so this app never
#: imports it. Without one, a release has no review date unless one is given.
_NEXT_REVIEW_DEFAULTS: list[Callable[..., datetime.date]] = []


def next_review_default_register(rule: Callable[..., datetime.date]) -> None:
    """``rule(organisation_id=, after=)`` gives the next review of a release effective on
    ``after``."""
    if rule not in _NEXT_REVIEW_DEFAULTS:
        _NEXT_REVIEW_DEFAULTS.append(rule)


def next_review_default(*, organisation_id: int, after: datetime.date) -> datetime.date | None:
    if not _NEXT_REVIEW_DEFAULTS:
        return None
    return _NEXT_REVIEW_DEFAULTS[0](organisation_id=organisation_id, after=after)


# --- publishing -------------------------------------------------------------------------------


def publish_blockers(*, workshop: Workshop, language: str) -> list[str]:
    """Why the workshop cannot be published yet, as sentences (empty: it can)."""
    void = [
        _("“%(name)s” changed since it was approved: its approvers decide again.")
        % {"name": p.current_revision.name}
        for p in approval_selectors.void_approved_proposals(workshop=workshop)
    ]
    approved = approval_selectors.approved_proposals(workshop=workshop)
    if not approved:
        return void or [_("Nothing is approved yet.")]
    with_notes = approval_selectors.proposals_with_notes(workshop=workshop, language=language)
    missing = [
        _("“%(name)s” has no training notes in %(language)s.")
        % {"name": p.current_revision.name, "language": dict(settings.LANGUAGES)[language]}
        for p in approved
        if p.pk not in with_notes and p.kind != ProposalKind.RETIRE
    ]
    return void + missing


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
        next_review = next_review_default(
            organisation_id=workshop.organisation_id, after=effective_date
        )
    if next_review is not None and next_review <= effective_date:
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
        item["_fresh"] = True  # decided in this workshop: its decisions name this release
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
    from .exports.tabular import exports_build  # PDF machinery loads only where it runs

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
            for entry in entries:  # issue 20: the release a certification names
                if entry.pop("_fresh", False):
                    for decision in entry.get("decisions") or []:
                        decision["release"] = f"{major}.{minor}"
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
