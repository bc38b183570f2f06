"""Moderation of open text before it reaches the projector (issue 21, item 3).

When a workshop holds open text (``Workshop.hold_open_text``, switched by the facilitator, and
by the run-sheet's live mode), what a participant writes that the room's screens would show
waits: its author sees "waiting for the facilitator", nobody else sees it, and the facilitator
lets it through or hides it with a reason (audited; the author sees the reason).

Any model of open text joins with a few lines:

1. inherit ``Moderated`` (the state, reason, who and when) and add
   ``*moderation_constraints("<model>")`` to its ``Meta.constraints``;
2. in the service that creates a row, set ``moderation=Moderation.HELD`` when
   ``permissions.text_is_held(actor, workshop)``, and show the room only
   ``shown_or_authored_by(actor)``;
3. register a ``ModeratedKind`` from the owning app's ``AppConfig.ready``: the queue page and
   the let-through / hide services then handle it (``selectors.moderation_queue``,
   ``services.moderation_release`` / ``moderation_hide``) without knowing the model.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Participant


class Moderation(models.TextChoices):
    SHOWN = "shown", _("Shown")
    HELD = "held", _("Waiting for the facilitator")
    HIDDEN = "hidden", _("Hidden by the facilitator")


class Moderated(models.Model):
    """The moderation fields of a piece of open text. ``shown`` unless the workshop held it."""

    moderation = models.CharField(
        _("moderation"), max_length=8, choices=Moderation.choices, default=Moderation.SHOWN
    )
    moderation_reason = models.CharField(_("reason for hiding"), max_length=300, blank=True)
    moderated_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_held(self) -> bool:
        return self.moderation == Moderation.HELD

    @property
    def is_moderation_hidden(self) -> bool:
        return self.moderation == Moderation.HIDDEN


def moderation_constraints(name: str) -> list[models.CheckConstraint]:
    """The database rules of ``Moderated``, named for the model that inherits it: a known
    state, and a hidden item always says why."""
    return [
        models.CheckConstraint(
            condition=Q(moderation__in=Moderation.values), name=f"{name}_moderation_valid"
        ),
        models.CheckConstraint(
            condition=~Q(moderation=Moderation.HIDDEN) | ~Q(moderation_reason=""),
            name=f"{name}_moderation_hidden_has_reason",
        ),
    ]


def shown_or_authored_by(actor: Participant | None, author_field: str = "author") -> Q:
    """What the room shows of a moderated model to ``actor``: the shown items, and their own
    whatever the state (so an author sees "waiting" or "hidden, because …")."""
    condition = Q(moderation=Moderation.SHOWN)
    if actor is not None:
        condition |= Q(**{author_field: actor})
    return condition


@dataclass(frozen=True)
class ModeratedKind:
    """How the queue finds, shows and links one moderated model."""

    key: str  # in URLs and audit details: "comment"
    label: object  # a lazy translation: "Comment"
    model_label: str  # "kpis.Comment"
    workshop_lookup: str  # the path from the model to its workshop: "proposal__workshop"
    select_related: tuple[str, ...]
    text: Callable[[models.Model], str]  # the open text, as the queue shows it
    about: Callable[[models.Model], str]  # what it is on: a proposal's name
    url: Callable[[models.Model], str]  # where it shows once let through
    author_field: str = "author"
    #: The ``core.versions`` scope (of the workshop) that a decision changes: the board's for
    #: comments and proposals, the map's for the KPI tree's links.
    version_scope: str = "board"
    #: Take the workshop's row lock before the item's, as the owning app's own writes of this
    #: kind do (the KPI tree's), so a decision runs in turn with them and in the same lock order.
    lock_workshop: bool = False
    #: On let-through: the shown item a waiting one folds into (the same KPI tree link that
    #: someone else proposed meanwhile), after moving what it keeps of the waiting one; None to
    #: show the item itself. A folded item is deleted once audited.
    fold_on_release: Callable[[models.Model], models.Model | None] | None = None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


#: key -> kind. Filled once at start-up from the apps' AppConfig.ready (fixed configuration,
#: like the audit labels), so the workshops app needs no import of the apps above it.
_KINDS: dict[str, ModeratedKind] = {}


def moderated_kind_register(kind: ModeratedKind) -> None:
    existing = _KINDS.get(kind.key)
    if existing is not None and existing != kind:
        raise ImproperlyConfigured(f"Moderated kind {kind.key!r} is registered twice.")
    _KINDS[kind.key] = kind


def moderated_kinds() -> list[ModeratedKind]:
    return list(_KINDS.values())


def moderated_kind(key: str) -> ModeratedKind | None:
    return _KINDS.get(key)
