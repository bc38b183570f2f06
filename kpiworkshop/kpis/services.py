"""Every write to proposals, revisions, comments, suggestions, support and the KPI library."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpiworkshop.core import versions
from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.core.live import live_bump
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Workshop
from kpiworkshop.workshops.moderation import Moderation

from . import definition_fields, permissions, similarity, targets
from .models import (
    CHOICE_FIELDS,
    DEFINITION_FIELDS,
    LIST_CHOICES,
    Category,
    Comment,
    DuplicateCandidate,
    LibraryKPI,
    Proposal,
    ProposalKind,
    ProposalState,
    Revision,
    RevisionNote,
    Stance,
    Suggestion,
    SuggestionState,
    Support,
)

MAX_COMMENT = 5000
MAX_REASON = 300


def _audit(actor: Participant, action: str, proposal: Proposal, target=None, **details) -> None:
    """Record the write and move the board's version (``core.versions``) in its transaction:
    every write here changes what a proposal's card or page shows, and every one audits. Also
    tells the room's pages (``core.live``) after commit."""
    versions.version_bump(versions.BOARD, proposal.workshop_id)
    live_bump(workshop_id=proposal.workshop_id)
    audit_in_workshop(
        actor=actor,
        action=action,
        workshop=proposal.workshop,
        target=target if target is not None else proposal,
        **details,
    )


def _visible_only(actor: Participant | None, proposal: Proposal, data: dict) -> dict:
    """``data`` without the fields hidden from ``actor`` on ``proposal``
    (``permissions.hidden_fields``): a customer who authored a proposal never sees its
    internal-only fields, so never changes them; they keep the current revision's values."""
    hidden = permissions.hidden_fields(actor, proposal)
    return {k: v for k, v in (data or {}).items() if k not in hidden}


def _clean_definition(data: dict[str, Any]) -> dict[str, Any]:
    """Keep only definition fields, strip texts, check list values against their choices."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in DEFINITION_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field in LIST_CHOICES:
            values = list(dict.fromkeys(value or []))
            bad = [v for v in values if v not in LIST_CHOICES[field].values]
            if bad:
                errors[field] = [_("Choose from the list.")]
            clean[field] = values
        elif field == "targets":
            try:
                if isinstance(value, str):
                    value = targets.targets_parse(value)
                clean[field] = targets.targets_validate(value, direction=None)
            except ValidationError as exc:
                errors[field] = exc.messages
        else:
            clean[field] = ("" if value is None else str(value)).strip()
    if errors:
        raise ValidationError(errors)
    return clean


#: Called, in the writer's transaction and under its row lock on the proposal, each time a new
#: revision becomes a proposal's current one: ``hook(proposal=, revision=)``. A higher app
#: registers one from its AppConfig.ready (approval: decisions on the earlier revision become
#: void and the KPI is settled again, issue 20), so this app never imports it.
_REVISION_HOOKS: list[Callable[..., None]] = []


def revision_hook_register(hook: Callable[..., None]) -> None:
    if hook not in _REVISION_HOOKS:
        _REVISION_HOOKS.append(hook)


def revision_made_current(*, proposal: Proposal, revision: Revision) -> None:
    """Every service that makes a revision current calls this after saving it (the caller
    holds the proposal's row lock)."""
    for hook in _REVISION_HOOKS:
        hook(proposal=proposal, revision=revision)


def _check_targets(definition: dict[str, Any]) -> None:
    """The targets' bands against the direction the whole definition ends up with (a change
    of direction alone can make written bands wrong)."""
    try:
        targets.targets_validate(
            definition.get("targets") or [], direction=definition.get("direction") or ""
        )
    except ValidationError as exc:
        raise ValidationError({"targets": exc.messages}) from None


def _revision_new(
    *,
    proposal: Proposal,
    author: Participant,
    definition: dict[str, Any],
    change_note: str = "",
    note_code: str = RevisionNote.NONE,
    note_params: dict[str, Any] | None = None,
    credited_to: Participant | None = None,
    from_suggestion: Suggestion | None = None,
    counter_metric_proposal: Proposal | None = None,
) -> Revision:
    """Write the next revision and make it current. The caller holds the proposal's row lock
    (or has just created it), so numbers never collide. Then takes the workshop's row lock to
    refresh the duplicate pairs (``_duplicates_refresh``)."""
    _check_targets(definition)
    number = (proposal.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = Revision(
        proposal=proposal,
        number=number,
        author=author,
        change_note=(change_note or "").strip()[:300],
        note_code=note_code,
        note_params=note_params or {},
        credited_to=credited_to,
        from_suggestion=from_suggestion,
        counter_metric_proposal=counter_metric_proposal,
        **definition,
    )
    revision.signature = similarity.signature(revision.name, revision.measures)
    revision.full_clean(exclude=["proposal", "from_suggestion", "counter_metric_proposal"])
    revision.save()
    proposal.current_revision = revision
    proposal.save(update_fields=["current_revision", "updated_at"])
    _duplicates_refresh(proposal=proposal, revision=revision)
    revision_made_current(proposal=proposal, revision=revision)
    return revision


def _duplicates_refresh(*, proposal: Proposal, revision: Revision) -> None:
    """Compare a proposal's new current revision with every other proposal of its workshop
    and store the pairs that look like the same KPI. Merged, withdrawn and drafted proposals
    are compared too (a merge can be undone); the merge page shows only open pairs.

    Takes a row lock on the workshop first, so two proposals written at the same moment are
    compared in turn and the second sees the first (PostgreSQL; SQLite serialises writers)."""
    list(Workshop.objects.select_for_update().filter(pk=proposal.workshop_id).values_list("pk"))
    DuplicateCandidate.objects.filter(Q(first=proposal) | Q(second=proposal)).delete()
    mine = frozenset(revision.signature)
    threshold = similarity.DUPLICATE_THRESHOLD
    others = (
        Proposal.objects.filter(workshop_id=proposal.workshop_id, current_revision__isnull=False)
        .exclude(pk=proposal.pk)
        .values_list("pk", "current_revision__name", "current_revision__signature")
    )
    found = []
    for other_id, name, tokens in others:
        score = similarity.score(mine, revision.name, frozenset(tokens or ()), name, threshold)
        if score >= threshold:
            first, second = sorted((proposal.pk, other_id))
            found.append(
                DuplicateCandidate(
                    workshop_id=proposal.workshop_id, first_id=first, second_id=second, score=score
                )
            )
    DuplicateCandidate.objects.bulk_create(found)


def _moderation_for(actor: Participant | None, workshop: Workshop) -> str:
    """A new open text's moderation state: waiting while the workshop holds open text
    (``workshops.permissions.text_is_held``), shown otherwise."""
    return Moderation.HELD if wp.text_is_held(actor, workshop) else Moderation.SHOWN


def _lock(proposal: Proposal) -> Proposal:
    """Re-read the proposal with a row lock (PostgreSQL; SQLite's IMMEDIATE transactions
    serialise writers), so two changes to one proposal at once run in turn: the second sees
    the first's revision, state and merge instead of writing over them."""
    locked = Proposal.objects.select_for_update().select_related("workshop").get(pk=proposal.pk)
    return locked


def _lock_many(ids: list[int]) -> list[Proposal]:
    """Row-lock several proposals in ascending id order (the one order every caller uses)."""
    return list(
        Proposal.objects.select_for_update()
        .select_related("workshop")
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
    )


# --- Library -----------------------------------------------------------------------------------

LIBRARY_PATH = Path(settings.BASE_DIR) / "fixtures" / "kpi_library.json"


@transaction.atomic
def library_load(*, path: Path | None = None) -> tuple[int, int]:
    """Upsert the built-in KPI library from its JSON fixture. Idempotent. Returns
    (created, updated)."""
    rows = json.loads(Path(path or LIBRARY_PATH).read_text(encoding="utf-8"))
    created = updated = 0
    for row in rows:
        translations = {lang: row[lang] for lang in ("en", "it") if lang in row}
        _obj, was_created = LibraryKPI.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "category": row["category"],
                "channels": row.get("channels", []),
                "direction": row.get("direction", ""),
                "frequency": row.get("frequency", ""),
                "purposes": row.get("purposes", []),
                "breakdowns": row.get("breakdowns", []),
                "counter_metric": row.get("counter_metric") or "",
                "translations": translations,
                **{f: row.get(f) or "" for f in definition_fields.CHOICES},
            },
        )
        if was_created:
            created += 1
        else:
            updated += 1
    return created, updated


def library_definition(*, library_kpi: LibraryKPI, language: str | None = None) -> dict:
    """A library KPI as definition fields, in the given (or active) language: the starting
    point of a proposal."""
    texts = library_kpi.texts(language)
    counter = ""
    if library_kpi.counter_metric:
        other = LibraryKPI.objects.filter(slug=library_kpi.counter_metric).first()
        counter = other.texts(language).get("name", "") if other else library_kpi.counter_metric
    return {
        "name": texts.get("name", ""),
        "measures": texts.get("measures", ""),
        "why": texts.get("why", ""),
        "category": library_kpi.category,
        "numerator": texts.get("numerator", ""),
        "denominator": texts.get("denominator", ""),
        "unit": texts.get("unit", ""),
        "direction": library_kpi.direction,
        "frequency": library_kpi.frequency,
        "data_sources": texts.get("data_sources", "")[:300],
        "channels": list(library_kpi.channels),
        "breakdowns": list(library_kpi.breakdowns),
        "purposes": list(library_kpi.purposes),
        "gaming_risks": texts.get("gaming_risks", ""),
        "counter_metric_text": counter[:200],
        "training_notes": texts.get("training_notes", ""),
        **definition_fields.library_values(
            columns={f: getattr(library_kpi, f) for f in definition_fields.CHOICES}, texts=texts
        ),
    }


# --- Proposals -----------------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    actor: Participant | None,
    workshop: Workshop,
    definition: dict[str, Any],
    library_kpi: LibraryKPI | None = None,
    kind: str = ProposalKind.NEW,
    catalog_entry_id: int | None = None,
    change_note: str = "",
    note_code: str = RevisionNote.FIRST_VERSION,
    note_params: dict[str, Any] | None = None,
) -> Proposal:
    """Propose a KPI, blank or from the library. Only name, what it measures and category are
    required; the rest can come later in revisions. ``note_code`` / ``note_params``: what the
    system says about the first version (a ``RevisionNote``), put into words when read.
    Takes the workshop's row lock while comparing the new KPI with the others
    (``_duplicates_refresh``), so two proposals written at once see each other."""
    if not wp.can_propose(actor, workshop):
        raise PermissionDenied(_("You cannot propose KPIs in this stage."))
    if kind not in ProposalKind.values:
        raise ValidationError({"kind": _("Unknown kind of proposal.")})
    if kind != ProposalKind.NEW and catalog_entry_id is None:
        raise ValidationError({"kind": _("Choose the catalogue KPI this proposal is about.")})
    clean = _clean_definition(definition)
    errors = {}
    for field in ("name", "measures"):
        if not clean.get(field):
            errors[field] = [_("This field is required.")]
    if clean.get("category") not in Category.values:
        errors["category"] = [_("Choose a macro-category.")]
    if errors:
        raise ValidationError(errors)
    proposal = Proposal(
        workshop=workshop,
        author=actor,
        kind=kind,
        catalog_entry_id=catalog_entry_id,
        library_kpi=library_kpi,
        state=ProposalState.OPEN,
        # While the workshop holds open text, a new proposal waits for the facilitator.
        moderation=_moderation_for(actor, workshop),
    )
    proposal.save()
    _revision_new(
        proposal=proposal,
        author=actor,
        definition=clean,
        change_note=change_note,
        note_code=note_code,
        note_params=note_params,
    )
    _audit(
        actor,
        "proposal.create",
        proposal,
        name=proposal.current_revision.name,
        library=library_kpi.slug if library_kpi else None,
    )
    return proposal


@transaction.atomic
def proposal_revise(
    *,
    actor: Participant | None,
    proposal: Proposal,
    definition: dict[str, Any],
    change_note: str = "",
) -> Revision:
    """A new revision by the author or the facilitator. Fields not given keep their value, and
    so do the fields hidden from the actor (``_visible_only``).
    Takes a row lock on the proposal, so two revisions at once get consecutive numbers and
    the second is merged on top of the first instead of replacing it; then the workshop's, to
    compare it with the other proposals (``_duplicates_refresh``)."""
    proposal = _lock(proposal)
    if not permissions.can_edit(actor, proposal):
        raise PermissionDenied(_("Only the author or the facilitator can change this proposal."))
    current = proposal.current_revision
    merged = current.definition() | _clean_definition(_visible_only(actor, proposal, definition))
    if merged == current.definition():
        raise ValidationError(_("Nothing changed."))
    revision = _revision_new(
        proposal=proposal,
        author=actor,
        definition=merged,
        change_note=change_note,
        counter_metric_proposal=current.counter_metric_proposal,
    )
    _audit(actor, "proposal.revise", proposal, number=revision.number)
    return revision


@transaction.atomic
def proposal_withdraw(*, actor: Participant | None, proposal: Proposal) -> Proposal:
    """Withdraw a proposal. Takes a row lock on the proposal, so a withdrawal and a merge or
    revision at the same moment do not each write over the other's state."""
    proposal = _lock(proposal)
    if not permissions.can_withdraw(actor, proposal):
        raise PermissionDenied(_("Only the author or the facilitator can withdraw this proposal."))
    proposal.state = ProposalState.WITHDRAWN
    proposal.save(update_fields=["state", "updated_at"])
    _audit(actor, "proposal.withdraw", proposal)
    return proposal


@transaction.atomic
def proposal_set_internal_fields(
    *, actor: Participant | None, proposal: Proposal, fields: list[str]
) -> Proposal:
    """The facilitator marks definition fields internal-only: customers never see them."""
    if not permissions.can_moderate(actor, proposal):
        raise PermissionDenied
    chosen = [f for f in DEFINITION_FIELDS if f in set(fields or [])]
    if {"name", "measures", "category"} & set(chosen):
        raise ValidationError(_("Name, what it measures and category are always visible."))
    if definition_fields.ALWAYS_SHOWN & set(chosen):
        raise ValidationError(
            _("What a KPI is for and not for is always visible, to customers too.")
        )
    proposal.internal_fields = chosen
    proposal.save(update_fields=["internal_fields", "updated_at"])
    _audit(actor, "proposal.internal_fields", proposal, fields=chosen)
    return proposal


@transaction.atomic
def proposal_support(*, actor: Participant | None, proposal: Proposal, keep: bool = False) -> bool:
    """Toggle the actor's support, bound to the current revision. With ``keep``, a support
    given on an earlier revision is moved to the current one instead (issue 20: "you
    supported an earlier version"), and a missing one is given. Returns whether they now
    support it."""
    if not permissions.can_support(actor, proposal):
        raise PermissionDenied
    # A card counts supporters: moves the board's version (its counter row is locked until
    # commit).
    versions.version_bump(versions.BOARD, proposal.workshop_id)
    live_bump(workshop_id=proposal.workshop_id)
    mine = Support.objects.filter(proposal=proposal, participant=actor)
    if keep:
        if not mine.update(revision_id=proposal.current_revision_id):
            Support.objects.get_or_create(
                proposal=proposal,
                participant=actor,
                defaults={"revision_id": proposal.current_revision_id},
            )
        return True
    deleted, _rows = mine.delete()
    if deleted:
        return False
    Support.objects.get_or_create(
        proposal=proposal, participant=actor, defaults={"revision_id": proposal.current_revision_id}
    )
    return True


@transaction.atomic
def proposal_merge(*, actor: Participant | None, source: Proposal, target: Proposal) -> Proposal:
    """Merge ``source`` (B) into ``target`` (A): B becomes merged and points to A. Nothing is
    moved: selectors show B's comments, suggestions and supporters on A, so an undo restores B
    as it was. Takes row locks on both proposals, always in id order: two opposite merges at
    once then queue on the same first row instead of each holding the other's (a deadlock)."""
    locked = {p.pk: p for p in _lock_many([source.pk, target.pk])}
    if len(locked) < 2:
        raise ValidationError(_("Choose two different proposals of this workshop."))
    source, target = locked[source.pk], locked[target.pk]
    if not wp.can_merge(actor, target.workshop):
        raise PermissionDenied(_("Only the facilitator merges, in the refine stage."))
    if source.pk == target.pk or source.workshop_id != target.workshop_id:
        raise ValidationError(_("Choose two different proposals of this workshop."))
    if source.state not in permissions.LIVE_STATES or target.state not in permissions.LIVE_STATES:
        raise ValidationError(_("Only open proposals can be merged."))
    # B's own merged children follow it, so A shows them too and nothing is nested twice.
    Proposal.objects.filter(merged_into=source).update(merged_into=target)
    source.state = ProposalState.MERGED
    source.merged_into = target
    source.merged_at = timezone.now()
    source.save(update_fields=["state", "merged_into", "merged_at", "updated_at"])
    _audit(actor, "proposal.merge", target, source=source.pk, target_id=target.pk)
    return target


@transaction.atomic
def proposal_unmerge(*, actor: Participant | None, proposal: Proposal) -> Proposal:
    """Undo a merge: the proposal is open again, with its own comments and supporters.
    Takes a row lock on the proposal, so two facilitators undoing the merge at once undo it
    once (the second sees it is no longer merged)."""
    proposal = _lock(proposal)
    if not permissions.can_unmerge(actor, proposal):
        raise PermissionDenied(_("A merge can be undone by the facilitator until voting starts."))
    if proposal.state != ProposalState.MERGED:
        raise ValidationError(_("This proposal is not merged."))
    target_id = proposal.merged_into_id
    proposal.state = ProposalState.OPEN
    proposal.merged_into = None
    proposal.merged_at = None
    proposal.save(update_fields=["state", "merged_into", "merged_at", "updated_at"])
    _audit(actor, "proposal.unmerge", proposal, target_id=target_id)
    return proposal


# --- Comments -------------------------------------------------------------------------------


@transaction.atomic
def comment_create(
    *,
    actor: Participant | None,
    proposal: Proposal,
    body: str,
    stance: str | None = None,
    parent: Comment | None = None,
) -> Comment:
    if not permissions.can_comment_on(actor, proposal):
        raise PermissionDenied(_("Comments are closed for this proposal."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    if len(body) > MAX_COMMENT:
        raise ValidationError({"body": _("Keep it under %(n)d characters.") % {"n": MAX_COMMENT}})
    stance = stance or None
    if stance is not None and stance not in Stance.values:
        raise ValidationError({"stance": _("Choose a stance from the list.")})
    if parent is not None:
        related = {proposal.pk, *proposal.merged_children.values_list("pk", flat=True)}
        if parent.proposal_id not in related:
            raise ValidationError(_("You can only reply to a comment on this proposal."))
        if parent.parent_id is not None:
            # One level of threading: a reply to a reply joins the same thread.
            parent = parent.parent
        # A reply belongs with the comment it answers, even on a merged-in proposal.
        proposal_id = parent.proposal_id
    else:
        proposal_id = proposal.pk
    comment = Comment.objects.create(
        proposal_id=proposal_id,
        author=actor,
        parent=parent,
        stance=stance,
        body=body,
        moderation=_moderation_for(actor, proposal.workshop),
    )
    _audit(actor, "comment.create", proposal, target=comment, stance=stance)
    return comment


def _comment_proposal(comment: Comment) -> Proposal:
    return Proposal.objects.select_related("workshop").get(pk=comment.proposal_id)


@transaction.atomic
def comment_hide(*, actor: Participant | None, comment: Comment, reason: str) -> Comment:
    proposal = _comment_proposal(comment)
    if not permissions.can_moderate(actor, proposal):
        raise PermissionDenied(_("Only the facilitator can hide comments."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the comment is hidden.")})
    comment.hidden_at = timezone.now()
    comment.hidden_reason = reason[:MAX_REASON]
    comment.hidden_by = actor
    comment.save(update_fields=["hidden_at", "hidden_reason", "hidden_by", "updated_at"])
    _audit(
        actor,
        "comment.hide",
        proposal,
        target=comment,
        stance=comment.stance,
        reason=comment.hidden_reason,
    )
    return comment


@transaction.atomic
def comment_resolve(*, actor: Participant | None, comment: Comment) -> Comment:
    """Mark a comment as incorporated (or, if it was, open it again)."""
    proposal = _comment_proposal(comment)
    if not permissions.can_resolve(actor, proposal):
        raise PermissionDenied
    comment.resolved_at = None if comment.resolved_at else timezone.now()
    comment.save(update_fields=["resolved_at", "updated_at"])
    _audit(
        actor,
        "comment.resolve",
        proposal,
        target=comment,
        stance=comment.stance,
        resolved=bool(comment.resolved_at),
    )
    return comment


# --- Suggestions ---------------------------------------------------------------------------------


@transaction.atomic
def suggestion_create(
    *, actor: Participant | None, proposal: Proposal, changes: dict[str, Any], reason: str = ""
) -> Suggestion:
    """Suggest new values for one or more fields of the current revision (never for a field
    hidden from the actor: ``_visible_only``)."""
    if not permissions.can_suggest_on(actor, proposal):
        raise PermissionDenied(_("Suggestions are open in the refine stage."))
    base = proposal.current_revision
    clean = _clean_definition(_visible_only(actor, proposal, changes))
    current = base.definition()
    clean = {k: v for k, v in clean.items() if v != current.get(k)}
    if not clean:
        raise ValidationError(_("Change at least one field."))
    for field in ("name", "measures"):
        if field in clean and not clean[field]:
            raise ValidationError({field: _("This field is required.")})
    for field in CHOICE_FIELDS:
        if clean.get(field):
            choices = Revision._meta.get_field(field).choices
            if clean[field] not in {c for c, _label in choices}:
                raise ValidationError({field: _("Choose from the list.")})
    _check_targets(current | clean)
    # Validate lengths and choices as the revision would.
    Revision(proposal=proposal, number=1, author=actor, **(current | clean)).full_clean(
        exclude=["proposal", "author", "counter_metric_proposal", "from_suggestion"]
    )
    suggestion = Suggestion.objects.create(
        proposal=proposal,
        author=actor,
        base_revision=base,
        changes=clean,
        reason=(reason or "").strip()[:MAX_COMMENT],
    )
    _audit(actor, "suggestion.create", proposal, target=suggestion, fields=sorted(clean))
    return suggestion


def _open_suggestion(suggestion: Suggestion) -> tuple[Suggestion, Proposal]:
    """Lock the suggestion, then the proposal it is decided on (always in that order), so a
    suggestion is decided once and its revision is numbered after any revision in flight."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    proposal = Proposal.objects.select_related("workshop").get(pk=suggestion.proposal_id)
    # A suggestion on a merged-in proposal is decided on the proposal it now shows on.
    if proposal.merged_into_id:
        proposal = proposal.merged_into
    proposal = _lock(proposal)
    if suggestion.state != SuggestionState.OPEN:
        raise ValidationError(_("This suggestion was already decided."))
    return suggestion, proposal


@transaction.atomic
def suggestion_accept(*, actor: Participant | None, suggestion: Suggestion) -> Revision:
    """Accept: a new revision with the suggested fields, credited to the suggester. If other
    revisions came since the suggestion was made, only its changed fields are applied on top of
    the current revision. Takes row locks on the suggestion and the proposal: accepting twice
    at once writes one revision, and the revision is numbered after any other in flight."""
    suggestion, proposal = _open_suggestion(suggestion)
    if not permissions.can_edit(actor, proposal):
        raise PermissionDenied(_("The author or the facilitator decides on suggestions."))
    current = proposal.current_revision
    definition = current.definition() | _clean_definition(suggestion.changes)
    revision = _revision_new(
        proposal=proposal,
        author=actor,
        definition=definition,
        note_code=RevisionNote.SUGGESTION_ACCEPTED,
        note_params={"name": suggestion.author.display_name},
        credited_to=suggestion.author,
        from_suggestion=suggestion,
        counter_metric_proposal=current.counter_metric_proposal,
    )
    suggestion.state = SuggestionState.ACCEPTED
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.resulting_revision = revision
    suggestion.save(
        update_fields=["state", "decided_by", "decided_at", "resulting_revision", "updated_at"]
    )
    _audit(
        actor,
        "suggestion.accept",
        proposal,
        target=suggestion,
        fields=sorted(suggestion.changes),
        revision=revision.number,
    )
    return revision


@transaction.atomic
def suggestion_decline(
    *, actor: Participant | None, suggestion: Suggestion, reason: str
) -> Suggestion:
    """Decline a suggestion, saying why. Takes row locks on the suggestion and the proposal
    (as ``suggestion_accept``), so an accept and a decline at once decide it only once."""
    suggestion, proposal = _open_suggestion(suggestion)
    if not permissions.can_edit(actor, proposal):
        raise PermissionDenied(_("The author or the facilitator decides on suggestions."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the suggestion is declined.")})
    suggestion.state = SuggestionState.DECLINED
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.decline_reason = reason[:MAX_REASON]
    suggestion.save(
        update_fields=["state", "decided_by", "decided_at", "decline_reason", "updated_at"]
    )
    _audit(
        actor,
        "suggestion.decline",
        proposal,
        target=suggestion,
        fields=sorted(suggestion.changes),
        reason=reason[:MAX_REASON],
    )
    return suggestion
