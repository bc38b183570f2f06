"""Reads the workshop pages need, each with its joins, so a page's query count is fixed here."""

from dataclasses import dataclass

from django.db.models import Count, Q

from kpiworkshop.accounts.models import Role
from kpiworkshop.accounts.selectors import memberships_for_user
from kpiworkshop.core.audit import audit_action_label, audit_target_text
from kpiworkshop.core.models import AuditEvent

from . import rawsql
from .models import Invitation, Participant, Stage, Workshop
from .moderation import ModeratedKind, Moderation, moderated_kinds
from .rawsql import (  # noqa: F401 - the request's participant is read by raw SQL
    REQUEST_PARTICIPANT_ORDER,
    REQUEST_PARTICIPANT_WHERE,
    participant_with_workshop,
    request_participant_params,
)


def workshops_for_user(*, user, memberships=None) -> list[Workshop]:
    """Workshops of every organisation the user belongs to (and none other). ``memberships``:
    the user's own ``memberships_for_user`` when the caller has them already."""
    if memberships is None:
        memberships = memberships_for_user(user=user)
    org_ids = [m.organisation_id for m in memberships if m.user_id == user.pk]
    if not org_ids:
        return []
    return list(
        Workshop.objects.for_organisations(org_ids)
        .select_related("organisation")
        .with_participant_count()
        .order_by("organisation__name", "-created_at")
    )


def workshop_get(*, workshop_id: int) -> Workshop | None:
    """The workshop with its organisation: what every workshop page loads first, so it stays a
    plain indexed lookup (the join screen reads its head count with its invitation:
    ``invitation_and_joined``)."""
    return Workshop.objects.select_related("organisation").filter(pk=workshop_id).first()


def invitations_for_workshop(*, workshop: Workshop) -> list[Invitation]:
    return list(
        Invitation.objects.filter(workshop=workshop)
        .annotate(joined_count=Count("joined", distinct=True))
        .order_by("revoked_at", "-created_at", "-id")
    )


def invitation_expiries(*, workshop: Workshop) -> list:
    """When the workshop's unrevoked join codes with a time limit expire: what makes the
    join-code table change with the clock alone."""
    return list(
        Invitation.objects.filter(
            workshop=workshop, revoked_at__isnull=True, expires_at__isnull=False
        ).values_list("expires_at", flat=True)
    )


def participants_by_role(*, workshop: Workshop) -> list[dict]:
    return list(
        Participant.objects.active()
        .filter(workshop=workshop)
        .values("role")
        .annotate(
            n=Count("id"),
            guests=Count("id", filter=Q(user__isnull=True)),
        )
        .order_by("role")
    )


def participants_for_workshop(*, workshop: Workshop, limit: int = 500) -> list[Participant]:
    return list(
        Participant.objects.active()
        .filter(workshop=workshop)
        .order_by("role", "display_name")[:limit]
    )


def audit_events_for_workshop(*, workshop: Workshop, limit: int = 200) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_workshop(workshop.pk).select_related("actor")[:limit])


def invitation_audit_text(event: AuditEvent) -> str:
    """An invitation in the history: its code and the role it admits, in the reader's
    language (the stored label has the role in the language of whoever acted)."""
    code = event.target_label.split(" ")[0]
    role = event.details.get("role")
    if role in Role.values:
        return f"{code} ({Role(role).label})"
    return event.target_label


def history_for_workshop(*, workshop: Workshop, limit: int = 200) -> list[AuditEvent]:
    """The workshop's audit trail as the history page shows it: each event with ``label``
    (what was done), ``target_text`` (to what) and, for stage moves, ``stage_from`` and
    ``stage_to``, all put into words now, in the reader's language, from the stored codes."""
    events = audit_events_for_workshop(workshop=workshop, limit=limit)
    stage_labels = dict(Stage.choices)
    for e in events:
        e.label = audit_action_label(e.action)
        e.target_text = audit_target_text(e)
        if e.action == "workshop.stage":
            e.stage_from = stage_labels.get(e.details.get("from"), e.details.get("from"))
            e.stage_to = stage_labels.get(e.details.get("to"), e.details.get("to"))
    return events


def invitation_and_joined(
    *, workshop: Workshop, invitation_id: int
) -> tuple[Invitation | None, int]:
    """One invitation of this workshop (or None) and how many people (not facilitators) have
    joined the workshop, in one query (``rawsql.invitation_and_joined``)."""
    return rawsql.invitation_and_joined(workshop_id=workshop.pk, invitation_id=invitation_id)


def invitation_get(*, workshop: Workshop, invitation_id: int) -> Invitation | None:
    """One invitation of this workshop, or None."""
    return Invitation.objects.filter(pk=invitation_id, workshop=workshop).first()


@dataclass
class QueueItem:
    """One waiting text in the facilitator's moderation queue."""

    kind: ModeratedKind
    item: object
    text: str
    about: str
    url: str
    author: str
    created_at: object


#: At most this many waiting texts on the queue page (oldest first); the rest follow as the
#: facilitator decides. A room of thirty never comes near it.
QUEUE_LIMIT = 100


def moderation_queue(*, workshop: Workshop, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """The workshop's waiting texts of every registered kind, oldest first: one query per
    kind, whatever the number of texts."""
    items: list[QueueItem] = []
    for kind in moderated_kinds():
        rows = (
            kind.model.objects.filter(
                moderation=Moderation.HELD, **{kind.workshop_lookup: workshop}
            )
            .select_related(kind.author_field, *kind.select_related)
            .order_by("created_at", "pk")[:limit]
        )
        for row in rows:
            items.append(
                QueueItem(
                    kind=kind,
                    item=row,
                    text=kind.text(row),
                    about=kind.about(row),
                    url=kind.url(row),
                    author=getattr(row, kind.author_field).display_name,
                    created_at=row.created_at,
                )
            )
    items.sort(key=lambda q: (q.created_at, q.kind.key, q.item.pk))
    return items[:limit]
