"""Every write of the catalogue: approval decisions, the quorum, training notes, resubmitting a
KPI after a request for changes, and publishing a release.

Publishing is split in two: ``release_publish`` (the request) writes the claim row
(``PublishJob``, one per workshop by a database constraint) and an outbox row in the same
transaction (kpiworkshop/core/outbox.py), so the task runs after the commit, even across a
broker outage;
``release_build`` (the task's body) builds the release, its entries and its exports in ONE
transaction under a row lock on the claim row, so a double click, two facilitators, a task run
twice or a worker killed half-way all end with exactly one release (``CatalogRelease.job`` is
unique, and so is the version) and a failed build leaves nothing behind.
"""

import datetime
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.audit import audit_record
from kpiworkshop.core.outbox import outbox_add
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Proposal, ProposalKind, ProposalState
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import permissions, selectors
from .models import (
    APPROVING,
    NOTE_FIELDS,
    Approval,
    ApprovalPolicy,
    CatalogEntry,
    CatalogRelease,
    Decision,
    PublishJob,
    PublishState,
    TrainingNotes,
)
from .tasks import publish_release
from .versioning import changelog_compute, version_next

log = logging.getLogger(__name__)

MAX_REASON = 2000
MAX_NOTE = 5000
MAX_RELEASE_NOTES = 5000


def _audit(actor, action: str, workshop: Workshop, target=None, **details) -> None:
    audit_record(
        actor=actor,
        action=action,
        organisation_id=workshop.organisation_id,
        workshop_id=workshop.pk,
        target=target,
        details=details,
    )


def _lock_proposal(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update()
        .select_related("workshop", "current_revision")
        .get(pk=proposal.pk)
    )


# --- quorum -----------------------------------------------------------------------------------


@transaction.atomic
def approval_set_quorum(*, actor: Participant | None, workshop: Workshop, quorum: int) -> int:
    if not permissions.can_set_quorum(actor, workshop):
        raise PermissionDenied
    if not isinstance(quorum, int) or not 1 <= quorum <= 50:
        raise ValidationError({"quorum": _("Between 1 and 50 approvals.")})
    ApprovalPolicy.objects.update_or_create(workshop=workshop, defaults={"quorum": quorum})
    _audit(actor, "approval.quorum", workshop, target=workshop, quorum=quorum)
    return quorum


# --- decisions --------------------------------------------------------------------------------


def _settle(proposal: Proposal, quorum: int, contributors: frozenset[int]) -> str:
    """The proposal's state from its current decisions and the quorum."""
    current = list(
        Approval.objects.filter(proposal=proposal, superseded_at__isnull=True).values_list(
            "decision", "approver_id"
        )
    )
    approving = sum(1 for d, _a in current if d in APPROVING)
    rejecting = sum(1 for d, _a in current if d == Decision.REJECT)
    if approving >= quorum:
        return ProposalState.APPROVED
    eligible = set(
        Participant.objects.active()
        .filter(workshop_id=proposal.workshop_id, role=Role.LEADERSHIP)
        .exclude(pk__in=contributors)
        .values_list("pk", flat=True)
    )
    undecided = len(eligible - {a for _d, a in current})
    if rejecting and (rejecting >= quorum or approving + undecided < quorum):
        return ProposalState.REJECTED
    return ProposalState.SHORTLISTED


@transaction.atomic
def approval_decide(
    *,
    actor: Participant | None,
    proposal: Proposal,
    decision: str,
    reason: str,
    pilot_until: datetime.date | None = None,
) -> Approval:
    """One approver's decision, always with a reason. Takes a row lock on the proposal, so
    two approvers deciding at once settle it once. A request for changes supersedes the
    current decisions: the revised KPI needs new ones."""
    proposal = _lock_proposal(proposal)
    workshop = proposal.workshop
    contributors = selectors.contributor_ids(proposal=proposal)
    if not wp.can_approve(actor, workshop):
        raise PermissionDenied(_("Only leadership decides, and only in the approve stage."))
    if permissions.is_contributor(actor, contributors):
        raise PermissionDenied(_("You wrote or co-wrote this KPI: another approver decides."))
    if not permissions.can_decide(actor, proposal, contributors):
        raise ValidationError(_("This KPI is not waiting for a decision."))
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose a decision.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for your decision.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": MAX_REASON}})
    if decision == Decision.PILOT:
        if pilot_until is None:
            raise ValidationError({"pilot_until": _("A pilot needs an end date.")})
        if pilot_until <= timezone.localdate():
            raise ValidationError({"pilot_until": _("The pilot must end after today.")})
    else:
        pilot_until = None
    if Approval.objects.filter(
        proposal=proposal, approver=actor, superseded_at__isnull=True
    ).exists():
        raise ValidationError(_("You have already decided on this KPI."))
    now = timezone.now()
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                proposal=proposal,
                revision=proposal.current_revision,
                approver=actor,
                decision=decision,
                reason=reason,
                pilot_until=pilot_until,
                superseded_at=now if decision == Decision.CHANGES else None,
            )
    except IntegrityError as exc:  # the same approver, twice at once
        raise ValidationError(_("You have already decided on this KPI.")) from exc
    if decision == Decision.CHANGES:
        Approval.objects.filter(proposal=proposal, superseded_at__isnull=True).update(
            superseded_at=now
        )
        state = ProposalState.CHANGES_REQUESTED
    else:
        state = _settle(proposal, selectors.quorum_for(workshop=workshop), contributors)
    if state != proposal.state:
        proposal.state = state
        proposal.save(update_fields=["state", "updated_at"])
    _audit(
        actor,
        "approval.decide",
        workshop,
        target=proposal,
        decision=decision,
        reason=reason,
        pilot_until=pilot_until.isoformat() if pilot_until else None,
        state=state,
    )
    return approval


@transaction.atomic
def proposal_resubmit(
    *,
    actor: Participant | None,
    proposal: Proposal,
    definition: dict[str, Any],
    change_note: str,
) -> Proposal:
    """After a request for changes: a new revision by the author (or the facilitator), and the
    KPI goes back to the shortlist for new decisions. Takes a row lock on the proposal."""
    proposal = _lock_proposal(proposal)
    if not permissions.can_resubmit(actor, proposal):
        raise PermissionDenied(_("Only the author or the facilitator can revise this KPI now."))
    change_note = (change_note or "").strip()
    if not change_note:
        raise ValidationError({"change_note": _("Say what you changed.")})
    current = proposal.current_revision
    merged = current.definition() | kpi_services._clean_definition(definition)
    if merged == current.definition():
        raise ValidationError(_("Nothing changed."))
    revision = kpi_services._revision_new(
        proposal=proposal,
        author=actor,
        definition=merged,
        change_note=change_note,
        counter_metric_proposal=current.counter_metric_proposal,
    )
    proposal.state = ProposalState.SHORTLISTED
    proposal.save(update_fields=["state", "updated_at"])
    _audit(actor, "approval.resubmit", proposal.workshop, target=proposal, number=revision.number)
    return proposal


# --- training notes ---------------------------------------------------------------------------


@transaction.atomic
def training_notes_save(
    *, actor: Participant | None, proposal: Proposal, language: str, **texts: str
) -> TrainingNotes:
    proposal = _lock_proposal(proposal)
    if not permissions.can_write_notes(actor, proposal):
        raise PermissionDenied
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose a language.")})
    clean = {f: (texts.get(f) or "").strip() for f in NOTE_FIELDS}
    errors = {}
    for f, value in clean.items():
        if not value:
            errors[f] = [_("Fill this in.")]
        elif len(value) > MAX_NOTE:
            errors[f] = [_("At most %(n)d characters.") % {"n": MAX_NOTE}]
    if errors:
        raise ValidationError(errors)
    notes, _created = TrainingNotes.objects.update_or_create(
        proposal=proposal, language=language, defaults=clean
    )
    _audit(actor, "catalog.notes", proposal.workshop, target=proposal, language=language)
    return notes


# --- publishing -------------------------------------------------------------------------------


def publish_blockers(*, workshop: Workshop, language: str) -> list[str]:
    """Why the workshop cannot be published yet, as sentences (empty: it can)."""
    approved = selectors.approved_proposals(workshop=workshop)
    if not approved:
        return [_("Nothing is approved yet.")]
    with_notes = selectors.proposals_with_notes(workshop=workshop, language=language)
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
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose a language.")})
    effective_date = effective_date or timezone.localdate()
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
    job = PublishJob.objects.filter(workshop=workshop).first()
    if job is None:
        job = PublishJob.objects.create(workshop=workshop, **fields)
    elif job.state == PublishState.FAILED:
        for k, v in fields.items():
            setattr(job, k, v)
        job.save()
    elif job.state == PublishState.DONE:
        raise ValidationError(_("This workshop is already published."))
    # A queued or running job is shared: the second click gets the same progress bar.
    _audit(actor, "catalog.publish", workshop, target=workshop, language=language)
    # The outbox row commits with the claim row; a worker runs the build after the commit
    # (or, with no broker, this process does, once the transaction is over).
    outbox_add(task=publish_release.name, key=f"publish:{job.pk}", payload={"job_id": job.pk})
    return job


def _progress(job_id: int, percent: int, step: str) -> None:
    """Progress for the polling page. The build runs in one transaction the page cannot see
    into, so progress goes through the cache (Redis in production, shared with the worker)."""
    cache.set(f"kpiw:publish:{job_id}", {"progress": percent, "step": step}, 3600)


def publish_progress(*, job: PublishJob) -> dict:
    if job.state in (PublishState.DONE, PublishState.FAILED):
        return {"progress": 100 if job.state == PublishState.DONE else job.progress, "step": ""}
    return cache.get(f"kpiw:publish:{job.pk}") or {"progress": job.progress, "step": job.step}


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
        item["kpi_uid"] = uid or str(uuid.uuid4())
        carried.pop(item["kpi_uid"], None)
        fresh.append(item)
    entries = list(carried.values()) + fresh
    return entries, retired


def release_build(*, job_id: int) -> CatalogRelease | None:
    """The publish task's body: build the release, its entries and exports, exactly once."""
    from .exports import exports_build  # PDF machinery loads only where it runs

    with transaction.atomic():
        job = PublishJob.objects.select_for_update().select_related("workshop").get(pk=job_id)
        if job.state == PublishState.DONE:
            return CatalogRelease.objects.filter(job=job).first()
        PublishJob.objects.filter(pk=job.pk).update(
            state=PublishState.RUNNING, attempts=F("attempts") + 1, error=""
        )
    try:
        with transaction.atomic():
            # Locked again for the whole build: a second worker waits here, then finds DONE.
            job = PublishJob.objects.select_for_update().select_related("workshop").get(pk=job_id)
            if job.state == PublishState.DONE:
                return CatalogRelease.objects.filter(job=job).first()
            workshop = Workshop.objects.select_for_update().get(pk=job.workshop_id)
            _progress(job.pk, 10, "entries")
            previous = selectors.release_current(organisation_id=workshop.organisation_id)
            with translation.override(job.language):  # goal and audience names
                entries, retired = _snapshot(workshop, job.language, previous)
            old = selectors.entry_dicts(release=previous)
            changelog = changelog_compute(old, entries, retired_reasons=retired)
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
                release=release, on_progress=lambda p: _progress(job.pk, 40 + p, "exports")
            )
            Workshop.objects.filter(pk=workshop.pk).update(
                stage=Stage.PUBLISHED,
                stage_changed_at=timezone.now(),
                state_version=F("state_version") + 1,
            )
            job.state = PublishState.DONE
            job.progress = 100
            job.step = ""
            job.save(update_fields=["state", "progress", "step", "updated_at"])
            _audit(
                requested_by,
                "catalog.released",
                workshop,
                target=release,
                version=release.version,
                entries=len(entries),
            )
        return release
    except Exception as exc:
        log.exception("publishing job %s failed", job_id)
        PublishJob.objects.filter(pk=job_id).update(
            state=PublishState.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        cache.delete(f"kpiw:publish:{job_id}")
        raise


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
