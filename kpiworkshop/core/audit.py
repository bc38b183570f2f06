"""Writing the audit trail. Call inside the service's transaction so the event and the change
commit (or roll back) together."""

from typing import Any

from django.db import models

from .models import AuditEvent


def audit_record(
    *,
    actor: Any,
    action: str,
    organisation_id: int,
    workshop_id: int | None = None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record one event. ``actor`` is a User, a Participant (anything with ``user`` and
    ``display_name``) or None for the system. ``details`` must never contain a secret
    ballot's choices."""
    user = None
    name = "system"
    if actor is not None:
        if hasattr(actor, "display_name") and hasattr(actor, "user_id"):
            user = actor.user if actor.user_id else None
            name = actor.display_name
        else:
            user = actor
            name = actor.get_full_name() or actor.get_username()
    return AuditEvent.objects.create(
        actor=user,
        actor_name=name[:150],
        action=action,
        organisation_id=organisation_id,
        workshop_id=workshop_id,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        details=details or {},
    )
