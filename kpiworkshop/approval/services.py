"""Every write of the approve stage: decisions (each with its reason), the quorum, training
notes and their confirmation, and resubmitting a KPI after a request for changes. Each takes a row
lock on the KPI it settles (the quorum: on the workshop first, then on each KPI), so two approvers
at once settle a KPI once.

A higher app may refuse a quorum change (the catalogue while a release is being built): it
registers a guard with ``quorum_guard_register`` from its AppConfig.ready, so this app never
imports it."""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Workshop

from . import permissions, selectors
from .models import APPROVING, NOTE_FIELDS, Approval, ApprovalPolicy, Decision, TrainingNotes

MAX_REASON = 2000
MAX_NOTE = 5000

#: Checks that refuse a quorum change: each returns the reason, or "" to allow it.
_QUORUM_GUARDS: list[Callable[[Workshop], str]] = []


def quorum_guard_register(guard: Callable[[Workshop], str]) -> None:
    """Called once from a higher app's AppConfig.ready (the catalogue: "being published")."""
    if guard not in _QUORUM_GUARDS:
        _QUORUM_GUARDS.append(guard)


def proposal_lock(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("workshop", "current_revision")
        .get(pk=proposal.pk)
    )


# --- quorum -----------------------------------------------------------------------------------


@transaction.atomic
def approval_set_quorum(
    *, actor: Participant | None, workshop: Workshop, quorum: int
) -> list[dict]:
    """Set how many approving decisions approve a KPI, and settle again, in the same
    transaction, every KPI with decisions of this stage: a lower quorum approves (or rejects)
    the ones that now meet it, a higher one takes back approvals that no longer do (nothing is
    published yet: the stage allows no change after publishing, and none while a release is
    being built). Takes a row lock on the workshop, then on each KPI it settles again (the
    order ``approval_decide`` keeps: its lock on the KPI is taken before it reads the quorum).
    Returns the KPIs whose state changed (``proposal``, ``from``, ``to``)."""
    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not permissions.can_set_quorum(actor, workshop):
        raise PermissionDenied
    if not isinstance(quorum, int) or not 1 <= quorum <= 50:
        raise ValidationError({"quorum": _("Between 1 and 50 approvals.")})
    for guard in _QUORUM_GUARDS:
        if refused := guard(workshop):
            raise ValidationError(refused)
    previous = selectors.quorum_for(workshop=workshop)
    ApprovalPolicy.objects.update_or_create(workshop=workshop, defaults={"quorum": quorum})
    changed = _settle_again(actor=actor, workshop=workshop, quorum=quorum)
    audit_in_workshop(
        actor=actor,
        action="approval.quorum",
        workshop=workshop,
        target=workshop,
        quorum=quorum,
        previous=previous,
        changed=changed,
    )
    return changed


def _settle_again(*, actor: Participant | None, workshop: Workshop, quorum: int) -> list[dict]:
    """Each KPI with current decisions settled again under ``quorum``; the changes, each
    audited on its KPI. KPIs without a decision of this stage are left as they are (a
    shortlisted one stays shortlisted; one rejected before the approve stage stays so)."""
    # Lock every KPI that could be settled before looking for decisions: a decision being
    # recorded right now holds its KPI's lock and read the old quorum, so its KPI must be
    # settled here after it commits (read committed: the query below then sees it).
    proposals = list(
        Proposal.objects.select_for_update(of=("self",))
        .filter(workshop=workshop, state__in=SETTLED_BY_DECISIONS)
        .order_by("pk")
    )
    decided = set(
        Approval.objects.filter(
            proposal__in=[p.pk for p in proposals], superseded_at__isnull=True
        ).values_list("proposal_id", flat=True)
    )
    changed = []
    for proposal in proposals:
        if proposal.pk not in decided:
            continue
        proposal.workshop = workshop
        state = _settle(proposal, quorum, selectors.contributor_ids(proposal=proposal))
        if state == proposal.state:
            continue
        changed.append({"proposal": proposal.pk, "from": proposal.state, "to": state})
        audit_in_workshop(
            actor=actor,
            action="approval.requorum",
            workshop=workshop,
            target=proposal,
            quorum=quorum,
            **{"from": proposal.state, "to": state},
        )
        proposal.state = state
        proposal.save(update_fields=["state", "updated_at"])
        versions.version_bump(versions.BOARD, proposal.workshop_id)
    return changed


# --- decisions --------------------------------------------------------------------------------


#: The states a KPI's current decisions and the quorum settle (a request for changes
#: supersedes the decisions: nothing to settle until the KPI is revised).
SETTLED_BY_DECISIONS = (
    ProposalState.SHORTLISTED,
    ProposalState.APPROVED,
    ProposalState.REJECTED,
)


def _settle(proposal: Proposal, quorum: int, contributors: frozenset[int]) -> str:
    """The proposal's state from its current decisions and the quorum."""
    # Only decisions on the current revision count (issue 20): one on an earlier revision is
    # void, even if a path that made the revision current did not close it.
    current = list(
        Approval.objects.filter(
            proposal=proposal,
            superseded_at__isnull=True,
            revision_id=proposal.current_revision_id,
        ).values_list("decision", "approver_id")
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
    revision: int | None = None,
) -> Approval:
    """One approver's decision, always with a reason, on the KPI's current revision.
    ``revision`` is the revision the approver was shown (the form carries it): if the KPI has
    a newer one by the time the lock is held, the decision is refused (issue 20), so an edit
    racing an approval has one outcome. Takes a row lock on the proposal, so two approvers
    deciding at once settle it once. A request for changes supersedes the current decisions:
    the revised KPI needs new ones."""
    proposal = proposal_lock(proposal)
    if revision is not None and revision != proposal.current_revision_id:
        raise ValidationError(
            _(
                "This KPI's definition changed since you opened it: read what changed, "
                "then decide again."
            ),
            code="moved",
        )
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
    now = timezone.now()
    mine = Approval.objects.filter(proposal=proposal, approver=actor, superseded_at__isnull=True)
    # A decision of theirs on an earlier revision is void: deciding again replaces it.
    mine.exclude(revision_id=proposal.current_revision_id).update(superseded_at=now)
    if mine.exists():
        raise ValidationError(_("You have already decided on this KPI."))
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
        versions.version_bump(versions.BOARD, proposal.workshop_id)
    audit_in_workshop(
        actor=actor,
        action="approval.decide",
        workshop=workshop,
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
    proposal = proposal_lock(proposal)
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
    versions.version_bump(versions.BOARD, proposal.workshop_id)
    audit_in_workshop(
        actor=actor,
        action="approval.resubmit",
        workshop=proposal.workshop,
        target=proposal,
        number=revision.number,
    )
    return proposal


# --- training notes ---------------------------------------------------------------------------


@transaction.atomic
def training_notes_save(
    *, actor: Participant | None, proposal: Proposal, language: str, **texts: str
) -> TrainingNotes:
    proposal = proposal_lock(proposal)
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
    # Written now, the notes are checked against the current revision (issue 17, item 26).
    notes, _created = TrainingNotes.objects.update_or_create(
        proposal=proposal,
        language=language,
        defaults=clean | {"revision": proposal.current_revision},
    )
    audit_in_workshop(
        actor=actor,
        action="catalog.notes",
        workshop=proposal.workshop,
        target=proposal,
        language=language,
    )
    return notes


@transaction.atomic
def training_notes_confirm(
    *, actor: Participant | None, proposal: Proposal, language: str
) -> TrainingNotes:
    """The facilitator confirms that a KPI's notes in ``language`` still hold against its
    current revision (they quote a figure an earlier one stated): the flag goes, the text
    stays. Takes a row lock on the proposal."""
    proposal = proposal_lock(proposal)
    if not permissions.can_confirm_notes(actor, proposal):
        raise PermissionDenied(_("Only the facilitator confirms training notes."))
    notes = (
        TrainingNotes.objects.select_for_update(of=("self",))
        .select_related("revision")
        .filter(proposal=proposal, language=language)
        .first()
    )
    if notes is None:
        raise ValidationError(_("These training notes do not exist yet."))
    quoted = selectors.stale_quotes_of(notes=notes, current=proposal.current_revision)
    notes.revision = proposal.current_revision
    notes.save(update_fields=["revision", "updated_at"])
    audit_in_workshop(
        actor=actor,
        action="catalog.notes_confirm",
        workshop=proposal.workshop,
        target=proposal,
        language=language,
        revision=proposal.current_revision.number,
        quoted=quoted,
    )
    return notes
