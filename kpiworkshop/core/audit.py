"""Writing the audit trail. Call inside the service's transaction so the event and the change
commit (or roll back) together."""

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

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


def audit_in_workshop(
    *,
    actor: Any,
    action: str,
    workshop: Any,
    target: models.Model | None = None,
    **details: Any,
) -> AuditEvent:
    """Record an event in a workshop (anything with ``pk`` and ``organisation_id``): the one
    call every app's services make. ``target`` defaults to the workshop itself. Details are
    codes and ids, never words: the history page puts them into the reader's language."""
    return audit_record(
        actor=actor,
        action=action,
        organisation_id=workshop.organisation_id,
        workshop_id=workshop.pk,
        target=target if target is not None else workshop,
        details=details,
    )


#: target_type ("app.model") -> function(event) giving the target's text in the active
#: language. Filled once at start-up by the apps that own the targets (AppConfig.ready), so
#: core needs no import of them; fixed configuration, not state that changes while serving.
_TARGET_TEXTS: dict[str, Callable[[AuditEvent], str]] = {}


def audit_target_text_register(target_type: str, describe: Callable[[AuditEvent], str]) -> None:
    _TARGET_TEXTS[target_type] = describe


def audit_target_text(event: AuditEvent) -> str:
    """What an event was about, in the reader's language: the owning app's wording where it
    registered one (built from codes in ``details``), else the label stored at the time."""
    describe = _TARGET_TEXTS.get(event.target_type)
    if describe is not None:
        return describe(event)
    return event.target_label


#: action code ("app.verb") -> its label in the reader's language ("created the workshop").
#: Each app declares the labels of the actions it writes in its own ``audit_labels.py`` and
#: registers them from AppConfig.ready, as above; a test finds every code the services write.
_ACTION_LABELS: dict[str, Any] = {}


def audit_labels_register(labels: Mapping[str, Any]) -> None:
    """Add an app's action labels (lazy translations). Two apps claiming one code is a
    configuration error, not something to settle by import order."""
    for action, label in labels.items():
        if action in _ACTION_LABELS and _ACTION_LABELS[action] is not label:
            raise ImproperlyConfigured(f"Audit action {action!r} has two labels.")
        _ACTION_LABELS[action] = label


def audit_action_label(action: str) -> str:
    """What was done, in the reader's language. An action no app labels (an old code kept in
    the trail) reads as a plain change rather than as its internal code."""
    label = _ACTION_LABELS.get(action)
    return str(label if label is not None else _("made a change"))
