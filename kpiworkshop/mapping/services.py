"""Every write of the Map stage. Keyword-only, permission-checked, transactional, audited.

Ids that come from a request (a goal, an audience, a counter-metric proposal) are looked up
inside the acting workshop's organisation: an id of another organisation raises the model's
``DoesNotExist`` (views answer 404), it is never linked.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.core import versions
from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.core.live import live_bump
from kpiworkshop.kpis.models import (
    DEFINITION_FIELDS,
    LibraryKPI,
    Proposal,
    Revision,
    RevisionNote,
    Stance,
)
from kpiworkshop.kpis.services import revision_made_current
from kpiworkshop.workshops.models import Participant, Workshop
from kpiworkshop.workshops.moderation import Moderation, shown_or_authored_by
from kpiworkshop.workshops.permissions import text_is_held

from . import permissions
from .models import (
    CYCLE_KINDS,
    DEFAULT_AUDIENCES,
    DEFAULT_GOALS,
    DIMENSION_VALUES,
    Audience,
    AudienceLevel,
    AudienceLink,
    BusinessGoal,
    Cadence,
    Dimension,
    GoalLink,
    LinkComment,
    LinkKind,
    LinkStanceKind,
    LinkState,
    MapSettings,
    Place,
    Relation,
    ReportingBreakdown,
    Strength,
    TreeLink,
    TreeLinkStance,
    english,
    text_in,
)
from .tree import closes_cycle

MAX_WHY = 300
MAX_NAME = 150
MAX_DESCRIPTION = 2000
MAX_PLACE_NOTE = 120
MAX_VALUE = 80
MAX_VALUES = 30
MAX_COMMENT = 2000


def _room_audit(*, actor: Any, action: str, workshop: Workshop, **details: Any) -> None:
    """Record a change of the map the room sees (links, breakdowns, counter-metrics, link
    comments) and tell the room's pages it changed (``core.live``): the coverage view and the
    map follow within a second."""
    audit_in_workshop(actor=actor, action=action, workshop=workshop, **details)
    live_bump(workshop_id=workshop.pk)


def _text(value: Any, *, limit: int, field: str, required: bool = False) -> str:
    text = ("" if value is None else str(value)).replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationError(
            {field: _("At most %(limit)d characters, please.") % {"limit": limit}}
        )
    return text


def _choice(value: Any, choices, *, field: str, blank: bool = False) -> str:
    value = "" if value is None else str(value)
    if blank and value == "":
        return ""
    if value not in choices.values:
        raise ValidationError({field: _("Choose from the list.")})
    return value


def _mapped(actor: Participant | None, proposal: Proposal) -> Proposal:
    """Lock the proposal and check it takes part in this workshop's map and the actor may map.

    The row lock on the proposal (PostgreSQL; SQLite serialises writers) makes the per-KPI
    rules hold under concurrent edits: one primary goal, one accountable audience, one
    counter-metric revision at a time."""
    from .selectors import mapped_proposals

    locked = Proposal.objects.select_for_update().select_related("workshop").get(pk=proposal.pk)
    if not permissions.can_map_proposal(actor, locked):
        raise PermissionDenied(_("You cannot map KPIs in this workshop now."))
    if not mapped_proposals(workshop=locked.workshop).filter(pk=locked.pk).exists():
        raise ValidationError(_("This KPI is not on this workshop's map."))
    return locked


def _italian(text) -> str:
    """A default text's Italian translation ("" where it has none: the English one shows)."""
    italian = text_in("it", text)
    return "" if italian == english(text) else italian


# --- Defaults ------------------------------------------------------------------------------------


@transaction.atomic
def defaults_ensure(*, organisation: Organisation) -> tuple[int, int]:
    """Create the default goals and audiences an organisation lacks (by key). Idempotent; a
    default the organisation retired or renamed is left as it is. Returns (goals, audiences)
    created. One query when nothing is missing. Called by writes only (``defaults_add``, the
    demo, tests); the data migration 0005 did the same for the organisations it found."""
    counts = Organisation.objects.filter(pk=organisation.pk).annotate(
        n_goals=Subquery(
            BusinessGoal.objects.filter(organisation=OuterRef("pk"), key__in=list(DEFAULT_GOALS))
            .values("organisation")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        n_audiences=Subquery(
            Audience.objects.filter(organisation=OuterRef("pk"), key__in=list(DEFAULT_AUDIENCES))
            .values("organisation")
            .annotate(n=Count("pk"))
            .values("n")
        ),
    )
    have = counts.values_list("n_goals", "n_audiences").first()
    if have and have[0] == len(DEFAULT_GOALS) and have[1] == len(DEFAULT_AUDIENCES):
        return 0, 0
    have_goals = dict(
        BusinessGoal.objects.filter(organisation=organisation)
        .exclude(key="")
        .values_list("key", "pk")
    )
    goals_created = 0
    for order, (key, (parent_key, name, description)) in enumerate(DEFAULT_GOALS.items()):
        if key in have_goals:
            continue
        goal = BusinessGoal.objects.create(
            organisation=organisation,
            key=key,
            name=english(name),
            name_it=_italian(name),
            description=english(description),
            description_it=_italian(description),
            parent_id=have_goals.get(parent_key) if parent_key else None,
            order=(order + 1) * 10,
        )
        have_goals[key] = goal.pk
        goals_created += 1
    have_audiences = set(
        Audience.objects.filter(organisation=organisation)
        .exclude(key="")
        .values_list("key", flat=True)
    )
    audiences_created = 0
    for order, (key, (level, name, description)) in enumerate(DEFAULT_AUDIENCES.items()):
        if key in have_audiences:
            continue
        Audience.objects.create(
            organisation=organisation,
            key=key,
            name=english(name),
            name_it=_italian(name),
            description=english(description),
            description_it=_italian(description),
            level=level,
            order=(order + 1) * 10,
        )
        audiences_created += 1
    if goals_created or audiences_created:
        versions.version_bump(versions.GOALS, organisation.pk)
    return goals_created, audiences_created


@transaction.atomic
def defaults_add(*, actor: Participant | None, workshop: Workshop) -> tuple[int, int]:
    """A keeper adds the default goals and audiences the workshop's organisation lacks (an
    organisation created after the data migration starts without them). Returns (goals,
    audiences) created; audited only when something was."""
    if not permissions.can_manage_goals(actor, workshop):
        raise PermissionDenied(_("Only the facilitator and leadership keep the goals."))
    goals, audiences = defaults_ensure(organisation=workshop.organisation)
    if goals or audiences:
        audit_in_workshop(
            actor=actor,
            action="defaults.add",
            workshop=workshop,
            goals=goals,
            audiences=audiences,
        )
    return goals, audiences


# --- Goals and audiences -------------------------------------------------------------------------


def _next_order(model, organisation_id: int) -> int:
    top = model.objects.filter(organisation_id=organisation_id).aggregate(m=Max("order"))["m"]
    return (top or 0) + 10


def _italian_texts(obj, name_it: str | None, description_it: str | None) -> list[tuple]:
    """The Italian texts to set: those given (None keeps the stored one, "" on creation)."""
    out = []
    for attr, value, limit in (
        ("name_it", name_it, MAX_NAME),
        ("description_it", description_it, MAX_DESCRIPTION),
    ):
        if value is None:
            value = getattr(obj, attr) if obj is not None else ""
        out.append((attr, _text(value, limit=limit, field=attr)))
    return out


@transaction.atomic
def goal_save(
    *,
    actor: Participant | None,
    workshop: Workshop,
    goal: BusinessGoal | None = None,
    name: str,
    description: str = "",
    name_it: str | None = None,
    description_it: str | None = None,
    parent_id: int | None = None,
    order: int | None = None,
    is_active: bool = True,
) -> BusinessGoal:
    """Create a goal (``goal`` None) or change one of the workshop's organisation. ``name``
    and ``description`` are the English texts, ``name_it`` and ``description_it`` the Italian
    ones (None: left as they are). A change takes a row lock on the goal, so two people
    editing it at once (say one the English, one the Italian text) keep both changes."""
    if not permissions.can_manage_goals(actor, workshop):
        raise PermissionDenied(_("Only the facilitator and leadership keep the goals."))
    org_id = workshop.organisation_id
    if goal is not None:
        goal = BusinessGoal.objects.select_for_update().get(pk=goal.pk, organisation_id=org_id)
    name = _text(name, limit=MAX_NAME, field="name", required=True)
    description = _text(description, limit=MAX_DESCRIPTION, field="description")
    italian = _italian_texts(goal, name_it, description_it)
    parent = None
    if parent_id:
        parent = BusinessGoal.objects.get(pk=parent_id, organisation_id=org_id)
        # A short tree: a goal and its sub-goals, no deeper, no cycles.
        if goal is not None and parent.pk == goal.pk:
            raise ValidationError({"parent_id": _("A goal cannot be part of itself.")})
        if parent.parent_id is not None:
            raise ValidationError(
                {"parent_id": _("Choose a top-level goal: the tree is two levels deep.")}
            )
        if goal is not None and goal.children.exists():
            raise ValidationError(
                {"parent_id": _("This goal has sub-goals of its own; it stays at the top.")}
            )
    created = goal is None
    if created:
        goal = BusinessGoal(organisation_id=org_id, order=_next_order(BusinessGoal, org_id))
    changes = {}
    for attr, value in (
        ("name", name),
        ("description", description),
        *italian,
        ("parent", parent),
        ("is_active", bool(is_active)),
    ):
        if getattr(goal, attr) != value:
            changes[attr] = str(value) if attr != "is_active" else value
            setattr(goal, attr, value)
    if order is not None:
        if not 0 <= int(order) <= 100000:
            raise ValidationError({"order": _("Enter a number between 0 and 100000.")})
        goal.order = int(order)
    goal.full_clean(exclude=["organisation", "parent"])
    goal.save()
    versions.version_bump(versions.GOALS, org_id)
    audit_in_workshop(
        actor=actor,
        action="goal.create" if created else "goal.update",
        workshop=workshop,
        target=goal,
        **changes,
    )
    return goal


@transaction.atomic
def audience_save(
    *,
    actor: Participant | None,
    workshop: Workshop,
    audience: Audience | None = None,
    name: str,
    description: str = "",
    name_it: str | None = None,
    description_it: str | None = None,
    level: str = AudienceLevel.TEAM,
    order: int | None = None,
    is_active: bool = True,
) -> Audience:
    """Create an audience (``audience`` None) or change one of the workshop's organisation,
    texts as ``goal_save``. A change takes a row lock on the audience, so two people editing
    it at once (say one the English, one the Italian text) keep both changes."""
    if not permissions.can_manage_goals(actor, workshop):
        raise PermissionDenied(_("Only the facilitator and leadership keep the audiences."))
    org_id = workshop.organisation_id
    if audience is not None:
        audience = Audience.objects.select_for_update().get(pk=audience.pk, organisation_id=org_id)
    name = _text(name, limit=MAX_NAME, field="name", required=True)
    description = _text(description, limit=MAX_DESCRIPTION, field="description")
    italian = _italian_texts(audience, name_it, description_it)
    level = _choice(level, AudienceLevel, field="level")
    created = audience is None
    if created:
        audience = Audience(organisation_id=org_id, order=_next_order(Audience, org_id))
    changes = {}
    for attr, value in (
        ("name", name),
        ("description", description),
        *italian,
        ("level", level),
        ("is_active", bool(is_active)),
    ):
        if getattr(audience, attr) != value:
            changes[attr] = value
            setattr(audience, attr, value)
    if order is not None:
        if not 0 <= int(order) <= 100000:
            raise ValidationError({"order": _("Enter a number between 0 and 100000.")})
        audience.order = int(order)
    audience.full_clean(exclude=["organisation"])
    audience.save()
    versions.version_bump(versions.GOALS, org_id)
    audit_in_workshop(
        actor=actor,
        action="audience.create" if created else "audience.update",
        workshop=workshop,
        target=audience,
        **changes,
    )
    return audience


# --- Links ---------------------------------------------------------------------------------------


@transaction.atomic
def goal_link_set(
    *,
    actor: Participant | None,
    proposal: Proposal,
    goal_id: int,
    strength: str = Strength.SECONDARY,
    why: str = "",
) -> GoalLink:
    """Link a KPI to a goal, or change the link's strength and why. At most one primary goal
    per KPI: asking for a second is refused with the name of the first. Takes the proposal's
    row lock, so two people linking primary goals at once cannot both succeed."""
    proposal = _mapped(actor, proposal)
    workshop = proposal.workshop
    goal = BusinessGoal.objects.get(
        pk=goal_id, organisation_id=workshop.organisation_id, is_active=True
    )
    strength = _choice(strength, Strength, field="strength")
    why = _text(why, limit=MAX_WHY, field="why")
    if strength == Strength.PRIMARY:
        other = (
            GoalLink.objects.filter(proposal=proposal, strength=Strength.PRIMARY)
            .exclude(goal=goal)
            .select_related("goal")
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    "strength": _(
                        "This KPI already has a primary goal (%(goal)s). Make that one "
                        "secondary first."
                    )
                    % {"goal": other.goal.label}
                }
            )
    link = GoalLink.objects.filter(proposal=proposal, goal=goal).first()
    created = link is None
    if created:
        link = GoalLink(proposal=proposal, goal=goal, created_by=actor)
    link.strength = strength
    link.why = why
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:  # a concurrent primary slipped in between check and write
        raise ValidationError({"strength": _("This KPI already has a primary goal.")}) from exc
    versions.version_bump(versions.MAP, workshop.pk)
    _room_audit(
        actor=actor,
        action="goal_link.create" if created else "goal_link.update",
        workshop=workshop,
        target=link,
        proposal=proposal.pk,
        goal=goal.pk,
        strength=strength,
    )
    return link


@transaction.atomic
def goal_link_remove(*, actor: Participant | None, link: GoalLink) -> None:
    """Remove a goal link. Takes the proposal's row lock, like every change to a KPI's map,
    so a removal and a change of the same link run in turn."""
    proposal = _mapped(actor, link.proposal)
    link = GoalLink.objects.select_related("goal").get(pk=link.pk, proposal=proposal)
    versions.version_bump(versions.MAP, proposal.workshop.pk)
    _room_audit(
        actor=actor,
        action="goal_link.remove",
        workshop=proposal.workshop,
        target=link,
        proposal=proposal.pk,
        goal=link.goal_id,
    )
    link.delete()


@transaction.atomic
def audience_link_set(
    *,
    actor: Participant | None,
    proposal: Proposal,
    audience_id: int,
    relation: str,
    cadence: str = Cadence.WEEKLY,
    place: str = "",
    place_note: str = "",
) -> AudienceLink:
    """Say that an audience sees, acts on or is accountable for a KPI, with cadence and
    place. At most one accountable audience per KPI. Takes the proposal's row lock, so two
    people naming an accountable audience at once cannot both succeed."""
    proposal = _mapped(actor, proposal)
    workshop = proposal.workshop
    audience = Audience.objects.get(
        pk=audience_id, organisation_id=workshop.organisation_id, is_active=True
    )
    relation = _choice(relation, Relation, field="relation")
    cadence = _choice(cadence, Cadence, field="cadence")
    place = _choice(place, Place, field="place", blank=True)
    place_note = _text(place_note, limit=MAX_PLACE_NOTE, field="place_note")
    if relation == Relation.ACCOUNTABLE:
        other = (
            AudienceLink.objects.filter(proposal=proposal, relation=Relation.ACCOUNTABLE)
            .exclude(audience=audience)
            .select_related("audience")
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    "relation": _(
                        "%(audience)s is already accountable for this KPI. One audience is "
                        "accountable; remove that link first."
                    )
                    % {"audience": other.audience.label}
                }
            )
    link = AudienceLink.objects.filter(
        proposal=proposal, audience=audience, relation=relation
    ).first()
    created = link is None
    if created:
        link = AudienceLink(
            proposal=proposal, audience=audience, relation=relation, created_by=actor
        )
    link.cadence = cadence
    link.place = place
    link.place_note = place_note
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"relation": _("Another audience is already accountable for this KPI.")}
        ) from exc
    versions.version_bump(versions.MAP, workshop.pk)
    _room_audit(
        actor=actor,
        action="audience_link.create" if created else "audience_link.update",
        workshop=workshop,
        target=link,
        proposal=proposal.pk,
        audience=audience.pk,
        relation=relation,
        cadence=cadence,
    )
    return link


@transaction.atomic
def audience_link_remove(*, actor: Participant | None, link: AudienceLink) -> None:
    """Remove an audience link. Takes the proposal's row lock, like every change to a KPI's
    map, so a removal and a change of the same link run in turn."""
    proposal = _mapped(actor, link.proposal)
    link = AudienceLink.objects.get(pk=link.pk, proposal=proposal)
    versions.version_bump(versions.MAP, proposal.workshop.pk)
    _room_audit(
        actor=actor,
        action="audience_link.remove",
        workshop=proposal.workshop,
        target=link,
        proposal=proposal.pk,
        audience=link.audience_id,
        relation=link.relation,
    )
    link.delete()


@transaction.atomic
def breakdowns_set(
    *,
    actor: Participant | None,
    proposal: Proposal,
    dimension: str,
    values: list[str],
) -> list[ReportingBreakdown]:
    """Replace the values a KPI must be reported by along one dimension. Fixed dimensions
    take their listed values; request types are free labels. Takes the proposal's row lock, so
    two replacements of one dimension at once do not interleave their deletes and inserts."""
    proposal = _mapped(actor, proposal)
    dimension = _choice(dimension, Dimension, field="dimension")
    choices = DIMENSION_VALUES.get(dimension)
    clean: list[str] = []
    for raw in values or []:
        value = _text(raw, limit=MAX_VALUE, field="values")
        if not value:
            continue
        if choices is not None and value not in choices.values:
            raise ValidationError({"values": _("Choose from the list.")})
        if value.casefold() not in {v.casefold() for v in clean}:
            clean.append(value)
    if len(clean) > MAX_VALUES:
        raise ValidationError(
            {"values": _("At most %(limit)d values, please.") % {"limit": MAX_VALUES}}
        )
    rows = ReportingBreakdown.objects.filter(proposal=proposal, dimension=dimension)
    existing = {b.value: b for b in rows}
    removed = [v for v in existing if v not in clean]
    added = [v for v in clean if v not in existing]
    if not removed and not added:
        return [existing[v] for v in clean]
    ReportingBreakdown.objects.filter(
        proposal=proposal, dimension=dimension, value__in=removed
    ).delete()
    ReportingBreakdown.objects.bulk_create(
        [
            ReportingBreakdown(proposal=proposal, dimension=dimension, value=v, created_by=actor)
            for v in added
        ]
    )
    versions.version_bump(versions.MAP, proposal.workshop.pk)
    _room_audit(
        actor=actor,
        action="breakdowns.set",
        workshop=proposal.workshop,
        target=proposal,
        dimension=dimension,
        added=added,
        removed=removed,
    )
    return list(ReportingBreakdown.objects.filter(proposal=proposal, dimension=dimension))


@transaction.atomic
def counter_metric_set(
    *,
    actor: Participant | None,
    proposal: Proposal,
    counter_proposal_id: int | None = None,
    library_slug: str = "",
    text: str = "",
) -> Revision:
    """Set a KPI's balancing counter-metric: another KPI of the workshop, a KPI of the library,
    or words. Revisions are immutable, so this writes a new revision (credited to the actor)
    that differs from the current one only in the counter-metric. Nothing given clears it.
    Takes the proposal's row lock, so the new revision is numbered after any other in flight
    and does not drop a concurrent revision's text."""
    proposal = _mapped(actor, proposal)
    current = proposal.current_revision
    counter = None
    counter_text = ""
    given = [bool(counter_proposal_id), bool(library_slug), bool((text or "").strip())]
    if sum(given) > 1:
        raise ValidationError(
            _("Choose one counter-metric: a KPI of the workshop, of the library, or in words.")
        )
    if counter_proposal_id:
        counter = (
            Proposal.objects.visible()
            .filter(workshop=proposal.workshop)
            .get(pk=counter_proposal_id)
        )
        if counter.pk == proposal.pk:
            raise ValidationError(_("A KPI cannot balance itself."))
    elif library_slug:
        library = LibraryKPI.objects.get(slug=str(library_slug)[:80])
        # The library KPI's name in the language of whoever chose it: a revision stores text.
        counter_text = library.name[:200]
    else:
        counter_text = _text(text, limit=200, field="text")
    if current.counter_metric_proposal_id == (counter.pk if counter else None) and (
        current.counter_metric_text == counter_text
    ):
        raise ValidationError(_("Nothing changed."))
    number = (proposal.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    definition = {f: getattr(current, f) for f in DEFINITION_FIELDS}
    definition["counter_metric_text"] = counter_text
    revision = Revision(
        proposal=proposal,
        number=number,
        author=actor,
        # Like the other notes the system writes: a code, put into the reader's language.
        note_code=RevisionNote.COUNTER_METRIC_MAPPED,
        credited_to=actor,
        counter_metric_proposal=counter,
        **definition,
    )
    revision.full_clean(exclude=["proposal", "from_suggestion", "counter_metric_proposal"])
    revision.save()
    proposal.current_revision = revision
    proposal.save(update_fields=["current_revision", "updated_at"])
    revision_made_current(proposal=proposal, revision=revision)
    versions.version_bump(versions.BOARD, proposal.workshop_id)
    _room_audit(
        actor=actor,
        action="counter_metric.set",
        workshop=proposal.workshop,
        target=proposal,
        number=number,
        counter=counter.pk if counter else None,
        library=library_slug or None,
    )
    return revision


@transaction.atomic
def map_settings_update(
    *,
    actor: Participant | None,
    workshop: Workshop,
    act_on_limit: int,
    driver_limit: int | None = None,
) -> MapSettings:
    """Set how many KPIs one audience may act on, and (``driver_limit``, None: unchanged) how
    many drivers one KPI may have, before the coverage checks warn. Takes a row lock on the
    workshop's map settings, so two changes at once are audited with the true old value each."""
    if not permissions.can_configure(actor, workshop):
        raise PermissionDenied(_("Only the facilitator changes the coverage checks."))
    try:
        limit = int(act_on_limit)
    except (TypeError, ValueError):
        raise ValidationError({"act_on_limit": _("Enter a whole number.")}) from None
    if not 1 <= limit <= 100:
        raise ValidationError({"act_on_limit": _("Enter a number between 1 and 100.")})
    if driver_limit is not None:
        try:
            drivers = int(driver_limit)
        except (TypeError, ValueError):
            raise ValidationError({"driver_limit": _("Enter a whole number.")}) from None
        if not 1 <= drivers <= 50:
            raise ValidationError({"driver_limit": _("Enter a number between 1 and 50.")})
    settings_row, _created = MapSettings.objects.select_for_update().get_or_create(
        workshop=workshop
    )
    if driver_limit is not None and settings_row.driver_limit != drivers:
        audit_in_workshop(
            actor=actor,
            action="map_settings.update",
            workshop=workshop,
            target=settings_row,
            field="driver_limit",
            old=settings_row.driver_limit,
            new=drivers,
        )
        settings_row.driver_limit = drivers
        settings_row.save(update_fields=["driver_limit"])
        versions.version_bump(versions.MAP, workshop.pk)
    if settings_row.act_on_limit != limit:
        old = settings_row.act_on_limit
        settings_row.act_on_limit = limit
        settings_row.save(update_fields=["act_on_limit"])
        versions.version_bump(versions.MAP, workshop.pk)
        _room_audit(
            actor=actor,
            action="map_settings.update",
            workshop=workshop,
            target=settings_row,
            old=old,
            new=limit,
        )
    return settings_row


# --- Comments on links ---------------------------------------------------------------------------


@transaction.atomic
def link_comment_create(
    *,
    actor: Participant | None,
    goal_link: GoalLink | None = None,
    audience_link: AudienceLink | None = None,
    stance: str,
    body: str,
) -> LinkComment:
    link = goal_link if goal_link is not None else audience_link
    if link is None or (goal_link is not None and audience_link is not None):
        raise ValidationError(_("Comment on one link."))
    workshop = link.proposal.workshop
    if not permissions.can_comment_on_link(actor, workshop):
        raise PermissionDenied(_("Comments on links are open during the Map stage."))
    stance = _choice(stance, Stance, field="stance")
    body = _text(body, limit=MAX_COMMENT, field="body", required=True)
    comment = LinkComment.objects.create(
        goal_link=goal_link, audience_link=audience_link, author=actor, stance=stance, body=body
    )
    versions.version_bump(versions.MAP, workshop.pk)
    _room_audit(
        actor=actor,
        action="link_comment.create",
        workshop=workshop,
        target=comment,
        proposal=link.proposal_id,
    )
    return comment


@transaction.atomic
def link_comment_hide(
    *, actor: Participant | None, comment: LinkComment, reason: str
) -> LinkComment:
    """The facilitator hides a comment on a link, saying why; the text stays out of the
    trail. Takes a row lock on the comment, so hiding it twice at once keeps one reason."""
    comment = LinkComment.objects.select_for_update().get(pk=comment.pk)
    link = comment.goal_link or comment.audience_link
    workshop = link.proposal.workshop
    if not permissions.can_configure(actor, workshop):
        raise PermissionDenied(_("Only the facilitator can hide comments."))
    reason = _text(reason, limit=300, field="reason", required=True)
    comment.hidden_at = timezone.now()
    comment.hidden_reason = reason
    comment.hidden_by = actor
    comment.save(update_fields=["hidden_at", "hidden_reason", "hidden_by", "updated_at"])
    versions.version_bump(versions.MAP, workshop.pk)
    _room_audit(
        actor=actor, action="link_comment.hide", workshop=workshop, target=comment, reason=reason
    )
    return comment


@transaction.atomic
def breakdowns_save(
    *, actor: Participant | None, proposal: Proposal, values: dict[str, list[str]]
) -> None:
    """Replace the breakdowns of every dimension given, all or nothing."""
    for dimension in Dimension.values:
        if dimension in values:
            breakdowns_set(
                actor=actor, proposal=proposal, dimension=dimension, values=values[dimension]
            )


# --- The KPI tree --------------------------------------------------------------------------------

MAX_LINK_WHY = 200
MAX_STANCE_TEXT = 300


def _lock_workshop(workshop: Workshop) -> Workshop:
    """The workshop's row lock: every write to its tree runs in turn (PostgreSQL; SQLite
    serialises writers), so two acceptances that would together close a cycle cannot both pass
    the check."""
    return Workshop.objects.select_for_update().get(pk=workshop.pk)


def _tree_kpi(workshop: Workshop, proposal_id: Any, *, field: str) -> Proposal:
    """A KPI on this workshop's map (not withdrawn, merged, rejected, or another workshop's or
    organisation's): anything else is refused with a message, nothing stored."""
    from .selectors import mapped_proposals

    try:
        pk = int(proposal_id)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Choose a KPI from the list.")}) from None
    found = (
        mapped_proposals(workshop=workshop).filter(pk=pk).select_related("current_revision").first()
    )
    if found is None:
        raise ValidationError({field: _("This KPI is not on this workshop's map.")})
    return found


def _accepted_edges(workshop: Workshop) -> list[tuple[int, int, str]]:
    return list(
        TreeLink.objects.filter(
            workshop=workshop, state=LinkState.ACCEPTED, moderation=Moderation.SHOWN
        ).values_list("from_proposal_id", "to_proposal_id", "kind")
    )


def _refuse_cycle(workshop: Workshop, source: int, target: int, kind: str) -> None:
    if kind in CYCLE_KINDS and closes_cycle(_accepted_edges(workshop), (source, target)):
        raise ValidationError(
            _(
                "This link would close a circle: the second KPI already depends on the first "
                "through accepted links."
            )
        )


@transaction.atomic
def tree_link_propose(
    *,
    actor: Participant | None,
    workshop: Workshop,
    from_id: Any,
    to_id: Any,
    kind: str,
    why: str,
) -> TreeLink:
    """Propose that one KPI drives / is part of / guards against another, with a one-line why.
    Refused with a message (nothing stored): a KPI linked to itself, a KPI not on this
    workshop's map (withdrawn, merged, another organisation's), the same link again, a link
    that would close a cycle with the accepted ones. Takes the workshop's row lock, like every
    write to the tree.

    "The same link" is one the room sees, or the actor's own in any state. Someone else's
    waiting or hidden link does not count: telling the actor would give away text they may not
    see. Their link is stored as if it were the first (waiting, while the workshop holds open
    text), and answered alike. A hidden one was the facilitator's judgement of its proposer's
    words, not of the link, so the next person's words are judged on their own."""
    if not permissions.can_propose_tree_link(actor, workshop):
        raise PermissionDenied(_("Links between KPIs are proposed during the Map stage."))
    workshop = _lock_workshop(workshop)
    if not permissions.can_propose_tree_link(actor, workshop):
        raise PermissionDenied(_("Links between KPIs are proposed during the Map stage."))
    kind = _choice(kind, LinkKind, field="kind")
    why = _text(why, limit=MAX_LINK_WHY, field="why", required=True)
    source = _tree_kpi(workshop, from_id, field="from_proposal")
    target = _tree_kpi(workshop, to_id, field="to_proposal")
    if source.pk == target.pk:
        raise ValidationError({"to_proposal": _("A KPI cannot be linked to itself.")})
    # The same link is refused when the room sees it, or when it is the actor's own. Someone
    # else's waiting or hidden one is not theirs to know of: the actor's link is stored on its
    # own (held like any text they write now), so the answer is the one they would get with no
    # such link; the facilitator's let-through folds the two (``tree_link_release_into``).
    existing = (
        TreeLink.objects.filter(from_proposal=source, to_proposal=target, kind=kind)
        .filter(shown_or_authored_by(actor, "proposed_by"))
        .first()
    )
    if existing is not None:
        raise ValidationError(
            _("This link has already been proposed (%(state)s).")
            % {"state": existing.get_state_display().lower()}
        )
    _refuse_cycle(workshop, source.pk, target.pk, kind)
    link = TreeLink(
        workshop=workshop,
        from_proposal=source,
        to_proposal=target,
        kind=kind,
        why=why,
        proposed_by=actor,
        # Live mode: the why waits for the facilitator before the room's screens show it.
        moderation=Moderation.HELD if text_is_held(actor, workshop) else Moderation.SHOWN,
    )
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as exc:  # the same link, proposed in between
        raise ValidationError(_("This link has already been proposed.")) from exc
    versions.version_bump(versions.MAP, workshop.pk)
    _room_audit(
        actor=actor,
        action="tree_link.propose",
        workshop=workshop,
        target=link,
        source=source.pk,
        to=target.pk,
        kind=kind,
    )
    return link


@transaction.atomic
def tree_links_import(
    *, actor: Participant | None, workshop: Workshop, links: list[tuple[Any, Any, str, str]]
) -> int:
    """Start a workshop's tree from links already agreed elsewhere (a review workshop from its
    release's tree): ``links`` are (from proposal id, to proposal id, kind, why), each stored
    as an accepted link the room sees, proposed and decided by ``actor``. The facilitator's,
    in any open stage. Skipped, not refused: a link whose ends are not KPIs on this
    workshop's map (None: the caller found no KPI), to itself, of an unknown kind, already
    there, or closing a cycle with those before it. One audit event says how many were
    imported and skipped. Takes the workshop's row lock; returns the number imported."""
    from .selectors import mapped_proposals

    if not permissions.can_configure(actor, workshop):
        raise PermissionDenied(_("Only the facilitator can start the tree from agreed links."))
    workshop = _lock_workshop(workshop)
    on_map = set(mapped_proposals(workshop=workshop).values_list("pk", flat=True))
    edges = _accepted_edges(workshop)
    taken = set(
        TreeLink.objects.filter(workshop=workshop).values_list(
            "from_proposal_id", "to_proposal_id", "kind"
        )
    )
    now = timezone.now()
    fresh: list[TreeLink] = []
    for source, target, kind, why in links:
        key = (source, target, kind)
        why = " ".join(str(why or "").split())[:MAX_LINK_WHY]
        if (
            source not in on_map
            or target not in on_map
            or source == target
            or kind not in LinkKind.values
            or not why
            or key in taken
            or (kind in CYCLE_KINDS and closes_cycle(edges, (source, target)))
        ):
            continue
        taken.add(key)
        edges.append(key)
        fresh.append(
            TreeLink(
                workshop=workshop,
                from_proposal_id=source,
                to_proposal_id=target,
                kind=kind,
                why=why,
                proposed_by=actor,
                state=LinkState.ACCEPTED,
                decided_by=actor,
                decided_at=now,
            )
        )
    TreeLink.objects.bulk_create(fresh)
    versions.version_bump(versions.MAP, workshop.pk)
    _room_audit(
        actor=actor,
        action="tree_link.import",
        workshop=workshop,
        imported=len(fresh),
        skipped=len(links) - len(fresh),
    )
    return len(fresh)


def tree_link_release_into(*, link: TreeLink) -> TreeLink | None:
    """Called by the moderation's let-through of a waiting ``link`` (``ModeratedKind``), under
    the workshop's and the link's row locks: the shown link with the same ends and kind, when
    someone proposed it meanwhile, or None (the waiting link is then shown itself). The
    waiting link's proposer supports the shown one, their why (now let through) as the
    stance's word, unless they already took a stance on it or it was decided since; the
    caller then deletes the waiting link, so the room sees one link, and the facilitator's
    queue never asks twice about one."""
    shown = (
        TreeLink.objects.select_for_update()
        .filter(
            from_proposal_id=link.from_proposal_id,
            to_proposal_id=link.to_proposal_id,
            kind=link.kind,
            moderation=Moderation.SHOWN,
        )
        .exclude(pk=link.pk)
        .first()
    )
    if shown is not None and shown.state == LinkState.PROPOSED:
        TreeLinkStance.objects.get_or_create(
            link=shown,
            participant_id=link.proposed_by_id,
            defaults={"stance": LinkStanceKind.SUPPORT, "text": link.why[:MAX_STANCE_TEXT]},
        )
    return shown


@transaction.atomic
def tree_link_stance_set(
    *, actor: Participant | None, link: TreeLink, stance: str, text: str = ""
) -> TreeLinkStance:
    """Support or object to a proposed link, with an optional word: one stance per
    participant, a second one replaces the first. Refused once the link is decided."""
    workshop = link.workshop
    if not permissions.can_take_tree_stance(actor, workshop):
        raise PermissionDenied(_("Stances on links are taken during the Map stage."))
    stance = _choice(stance, LinkStanceKind, field="stance")
    text = _text(text, limit=MAX_STANCE_TEXT, field="text")
    link = TreeLink.objects.select_for_update().get(pk=link.pk)
    if link.moderation != Moderation.SHOWN:
        raise ValidationError(_("This link is not shown to the room: stances wait for it."))
    if link.state != LinkState.PROPOSED:
        raise ValidationError(_("This link has been decided: stances are closed."))
    row, _created = TreeLinkStance.objects.update_or_create(
        link=link, participant=actor, defaults={"stance": stance, "text": text}
    )
    versions.version_bump(versions.MAP, link.workshop_id)
    _room_audit(
        actor=actor,
        action="tree_link.stance",
        workshop=workshop,
        target=link,
        stance=stance,
    )
    return row


@transaction.atomic
def tree_link_decide(
    *, actor: Participant | None, link: TreeLink, accept: bool, reason: str = ""
) -> TreeLink:
    """The facilitator accepts a proposed link, or declines it with a reason. An accepted link
    may be declined later, with a reason: a review workshop starts from the release's agreed
    links (``tree_links_import``), and this is how the room takes one out of the tree again.

    Takes the workshop's row lock and checks for a cycle under it: of two acceptances that
    would together close a cycle, the second waits for the first to commit, then sees its link
    and is refused. Refused too: a declined link, an accepted one accepted again, and a link
    whose KPIs left the map since."""
    workshop = _lock_workshop(link.workshop)
    if not permissions.can_decide_tree_link(actor, workshop):
        raise PermissionDenied(_("Only the facilitator accepts or declines links."))
    link = TreeLink.objects.select_for_update().get(pk=link.pk, workshop=workshop)
    if link.state == LinkState.DECLINED or (accept and link.state == LinkState.ACCEPTED):
        raise ValidationError(_("This link has already been decided."))
    if link.moderation != Moderation.SHOWN:
        raise ValidationError(
            _("Let this link through the moderation queue (or hide it) before deciding it.")
        )
    if accept:
        _tree_kpi(workshop, link.from_proposal_id, field="from_proposal")
        _tree_kpi(workshop, link.to_proposal_id, field="to_proposal")
        _refuse_cycle(workshop, link.from_proposal_id, link.to_proposal_id, link.kind)
        link.state = LinkState.ACCEPTED
    else:
        link.decline_reason = _text(reason, limit=300, field="reason", required=True)
        link.state = LinkState.DECLINED
    link.decided_by = actor
    link.decided_at = timezone.now()
    link.save(update_fields=["state", "decline_reason", "decided_by", "decided_at", "updated_at"])
    versions.version_bump(versions.MAP, link.workshop_id)
    _room_audit(
        actor=actor,
        action="tree_link.accept" if accept else "tree_link.decline",
        workshop=workshop,
        target=link,
    )
    return link
