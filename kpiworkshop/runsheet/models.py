"""A workshop's run-sheet: ordered, timed blocks, and the clock of the block being run.

The clock lives here, in the database, never in a process: a block's countdown is worked out
from when it started, how long it was paused and how many minutes were added, so every screen,
a reloaded page and a restarted server all agree on it.
"""

import math
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpiworkshop.core.models import TimeStampedModel
from kpiworkshop.voting.models import Ballot
from kpiworkshop.workshops.models import Stage, Workshop

from .library import block_instruction, block_title

MAX_MINUTES = 480
MAX_BLOCKS = 40


class SheetState(models.TextChoices):
    READY = "ready", _("Being prepared")
    LIVE = "live", _("Running")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Ended")


class BlockAction(models.TextChoices):
    NONE = "", _("No action")
    STAGE = "stage", _("Move the workshop to a stage")
    BALLOT_OPEN = "ballot_open", _("Open a voting round")
    BALLOT_CLOSE = "ballot_close", _("Close a voting round")
    BALLOT_REVEAL = "ballot_reveal", _("Reveal a round's results")
    COVERAGE = "coverage", _("Show the coverage view")


class ActionOutcome(models.TextChoices):
    PENDING = "", _("Not run yet")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class RunSheet(TimeStampedModel):
    workshop = models.OneToOneField(Workshop, on_delete=models.CASCADE, related_name="runsheet")
    state = models.CharField(
        _("state"), max_length=10, choices=SheetState.choices, default=SheetState.READY
    )
    current_block = models.ForeignKey(
        "Block", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Moves with every change (blocks edited, the clock started, paused, moved on): the
    #: screens' poll compares it, so an unchanged sheet costs one query and an empty answer.
    version = models.PositiveIntegerField(default=1)
    #: Live mode (issue 21): starting the session switches the workshop's "hold open text for
    #: the projector" on; ending it switches it off again if the start turned it on
    #: (``hold_turned_on``), never a hold the facilitator had switched on by hand.
    hold_open_text = models.BooleanField(
        _("hold open text for the projector while live"), default=False
    )
    hold_turned_on = models.BooleanField(default=False, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=SheetState.values), name="runsheet_state_valid"
            ),
        ]
        verbose_name = _("run-sheet")
        verbose_name_plural = _("run-sheets")

    def __str__(self) -> str:
        return f"run-sheet of workshop {self.workshop_id}"

    @property
    def is_running(self) -> bool:
        return self.state in (SheetState.LIVE, SheetState.PAUSED)

    @property
    def is_editable(self) -> bool:
        return self.state == SheetState.READY


class Block(TimeStampedModel):
    """One timed part of the session. ``title_code`` / ``instruction_code`` name a text of the
    built-in templates (shown in each reader's language); a text the facilitator typed has no
    code and is shown as typed."""

    sheet = models.ForeignKey(RunSheet, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("title"), max_length=120)
    title_code = models.CharField(max_length=20, blank=True, default="", editable=False)
    instruction = models.TextField(_("instruction for the room"), max_length=1000, blank=True)
    instruction_code = models.CharField(max_length=20, blank=True, default="", editable=False)
    planned_minutes = models.PositiveSmallIntegerField(_("planned minutes"))
    action = models.CharField(
        _("when this block starts"),
        max_length=16,
        choices=BlockAction.choices,
        blank=True,
        default=BlockAction.NONE,
    )
    action_stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, blank=True, default=""
    )
    action_ballot = models.ForeignKey(
        Ballot,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("voting round"),
    )
    action_outcome = models.CharField(
        max_length=8, choices=ActionOutcome.choices, blank=True, default=ActionOutcome.PENDING
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    extra_minutes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "position"], name="block_position_unique"),
            models.CheckConstraint(
                condition=Q(planned_minutes__gte=1) & Q(planned_minutes__lte=MAX_MINUTES),
                name="block_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(action__in=BlockAction.values), name="block_action_valid"
            ),
            models.CheckConstraint(
                condition=~Q(action="stage") | ~Q(action_stage=""), name="block_stage_named"
            ),
        ]
        verbose_name = _("run-sheet block")
        verbose_name_plural = _("run-sheet blocks")

    def __str__(self) -> str:
        return self.title_text

    @property
    def title_text(self) -> str:
        """The title in the reader's language (a template's text by its code), else as typed."""
        return block_title(self.title_code) or self.title

    @property
    def instruction_text(self) -> str:
        return block_instruction(self.instruction_code) or self.instruction

    # --- the clock -----------------------------------------------------------------------

    @property
    def allowed_seconds(self) -> int:
        return (self.planned_minutes + self.extra_minutes) * 60

    @property
    def ends_at(self) -> datetime | None:
        """When the block's time runs out, if it runs on from now (pauses so far included)."""
        if self.started_at is None:
            return None
        return self.started_at + timedelta(seconds=self.allowed_seconds + self.paused_seconds)

    def remaining_seconds(self, now: datetime | None = None) -> int | None:
        """Seconds left (negative: over time). A paused block keeps what it had when paused."""
        if self.started_at is None:
            return None
        if self.ended_at is not None:
            return None
        at = self.paused_at or now or timezone.now()
        return math.ceil((self.ends_at - at).total_seconds())

    @property
    def actual_seconds(self) -> int | None:
        """How long the block ran, pauses left out."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.started_at).total_seconds()) - self.paused_seconds)

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None
