"""Approval decisions bound to the revision they were given on (issue 20).

A decision is about one revision (``Approval.revision``). When another revision becomes the
KPI's current one before it is published, the decisions on the earlier one are *void*: the
hook ``approvals_void_on_revision`` (registered with ``kpis.services.revision_hook_register``,
called by every service that makes a revision current, in its transaction and under its lock
on the KPI) closes them (``superseded_at``) and settles the KPI again under the quorum, so an
approved KPI goes back to the shortlist and its approvers decide again. The approval board shows
each void decision as such, and the approver the field-by-field changes since their decision.

A decision form carries the revision it showed: ``services.approval_decide`` refuses it, under
its lock on the KPI, if the KPI has moved on since (an edit racing an approval has one outcome:
the approval is on the old revision and void, or it is refused). Publishing skips, and refuses
to start with, an approved KPI whose approving decisions are all on an earlier revision
(``void_approved``), whatever path made the revision current.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.kpis.models import Proposal, Revision
from kpiworkshop.kpis.selectors import FieldDiff, revision_diff

from .models import APPROVING, Approval, Decision


def is_void(decision: Approval, current_revision_id: int | None) -> bool:
    """Given on a revision that is no longer the KPI's current one (a request for changes is
    not a verdict on a definition: it is never void)."""
    return decision.decision != Decision.CHANGES and decision.revision_id != current_revision_id


def approvals_void_on_revision(*, proposal: Proposal, revision: Revision) -> None:
    """The hook: ``revision`` has just become ``proposal``'s current one (the caller holds
    the proposal's row lock). Decisions on an earlier revision are closed, audited, and the KPI
    is settled again from the decisions left (none, usually: back to the shortlist)."""
    from . import selectors, services  # services → kpis.services → this hook's registry

    void = list(
        Approval.objects.filter(proposal=proposal, superseded_at__isnull=True)
        .exclude(revision=revision)
        .values_list("pk", flat=True)
    )
    if not void:
        return
    Approval.objects.filter(pk__in=void).update(superseded_at=timezone.now())
    before = proposal.state
    state = before
    if before in services.SETTLED_BY_DECISIONS:
        state = services._settle(
            proposal,
            selectors.quorum_for(workshop=proposal.workshop),
            selectors.contributor_ids(proposal=proposal),
        )
        if state != before:
            proposal.state = state
            proposal.save(update_fields=["state", "updated_at"])
    audit_in_workshop(
        actor=revision.author,
        action="approval.void",
        workshop=proposal.workshop,
        target=proposal,
        decisions=len(void),
        revision=revision.number,
        **{"from": before, "to": state},
    )


def changes_since(decided_on: Revision, current: Revision) -> list[FieldDiff]:
    """What changed, field by field, from the revision a decision was given on to the KPI's
    current one (approvers see every field: nothing is hidden from leadership)."""
    return revision_diff(decided_on, current)


@dataclass
class ChangesSince:
    """What an approver sees before deciding again: the revision they decided on (or were
    shown), the current one, and the changes between them."""

    decided_on: Revision
    current: Revision
    diffs: list[FieldDiff]


def changes_for_approver(
    actor, proposal: Proposal, decisions: list[Approval]
) -> ChangesSince | None:
    """The changes since ``actor``'s latest decision on ``proposal``, when that decision is
    void; else None. ``decisions`` come with their revisions (``selectors.approval_rows``):
    no query."""
    mine = [d for d in decisions if actor is not None and d.approver_id == actor.pk]
    if not mine or not is_void(mine[-1], proposal.current_revision_id):
        return None
    current = proposal.current_revision
    return ChangesSince(mine[-1].revision, current, changes_since(mine[-1].revision, current))


def changes_since_seen(proposal: Proposal, revision_id: int) -> ChangesSince | None:
    """The changes since the revision a refused decision form showed (one query)."""
    seen = Revision.objects.filter(pk=revision_id, proposal=proposal).first()
    current = proposal.current_revision
    if seen is None or current is None or seen.pk == current.pk:
        return None
    return ChangesSince(seen, current, changes_since(seen, current))


def void_approved() -> Q:
    """Approved KPIs whose approving decisions are all on an earlier revision (or closed):
    they have approving decisions, and none current on the current revision. A KPI approved
    without any decision (carried over by a review, or set up by a fixture) is not one."""
    approving = Approval.objects.filter(proposal=OuterRef("pk"), decision__in=APPROVING)
    valid = approving.filter(
        superseded_at__isnull=True, revision_id=OuterRef("current_revision_id")
    )
    return Q(Exists(approving)) & ~Q(Exists(valid))
