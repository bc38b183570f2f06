"""Approval decisions (each with its reason), a workshop's quorum, and a KPI's training notes.

These models moved here from ``catalog`` (issue 18) without moving their data: each keeps its old
table (``db_table`` = the ``catalog_…`` name), and the migrations that moved them only change
Django's state (``SeparateDatabaseAndState``), so no row is copied and the move is reversible.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kpiworkshop.core.models import TimeStampedModel
from kpiworkshop.kpis.models import Proposal, Revision
from kpiworkshop.workshops.models import Participant, Workshop


class Decision(models.TextChoices):
    APPROVE = "approve", pgettext_lazy("decision", "Approve")
    PILOT = "pilot", _("Approve as a pilot")
    CHANGES = "changes", _("Request changes")
    REJECT = "reject", _("Reject")


#: Decisions that count towards the quorum.
APPROVING = frozenset({Decision.APPROVE, Decision.PILOT})


class ApprovalPolicy(models.Model):
    """A workshop's quorum: how many approving decisions make a KPI approved (default 1)."""

    workshop = models.OneToOneField(
        Workshop, on_delete=models.CASCADE, related_name="approval_policy"
    )
    quorum = models.PositiveSmallIntegerField(_("approvals needed"), default=1)

    class Meta:
        db_table = "catalog_approvalpolicy"
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum__gte=1) & Q(quorum__lte=50), name="approval_quorum_range"
            )
        ]
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")

    def __str__(self) -> str:
        return f"{self.workshop_id}: {self.quorum}"


class Approval(models.Model):
    """One approver's decision on one revision of a shortlisted proposal. A request for changes
    supersedes every current decision on the proposal (``superseded_at``), so the revised KPI
    needs new decisions; the old ones stay as history."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="approvals")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.TextField(_("reason"))
    pilot_until = models.DateField(_("pilot until"), null=True, blank=True)
    created_at = models.DateTimeField(_("decided"), auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "catalog_approval"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=Decision.values), name="approval_decision_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="approval_has_reason"),
            models.CheckConstraint(
                condition=(Q(decision=Decision.PILOT) & Q(pilot_until__isnull=False))
                | (~Q(decision=Decision.PILOT) & Q(pilot_until__isnull=True)),
                name="approval_pilot_has_date",
            ),
            # Deciding twice is refused by the database, not by an ``if``.
            models.UniqueConstraint(
                fields=["proposal", "approver"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_decision_per_approver",
            ),
        ]
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")

    def __str__(self) -> str:
        return f"{self.get_decision_display()} #{self.proposal_id}"


class TrainingNotes(TimeStampedModel):
    """How to read a KPI, what to do when it moves, its pitfalls and a worked example, in one
    language. An approved KPI needs them in the release's language before it is published."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="notes")
    language = models.CharField(_("language"), max_length=8)
    how_to_read = models.TextField(_("how to read it"))
    when_it_moves = models.TextField(_("what to do when it moves"))
    pitfalls = models.TextField(_("pitfalls and gaming"))
    worked_example = models.TextField(_("worked example"))
    # The revision these notes were last written or confirmed against: once the KPI has a newer
    # one whose target or thresholds no longer state a figure the notes quote, the notes are
    # flagged until they are edited or the facilitator confirms them (issue 17, item 26).
    revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("checked against revision"),
    )

    class Meta:
        db_table = "catalog_trainingnotes"
        ordering = ["proposal", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "language"], name="one_training_notes_per_language"
            )
        ]
        verbose_name = _("training notes")
        verbose_name_plural = _("training notes")

    def __str__(self) -> str:
        return f"{self.proposal_id} ({self.language})"

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in NOTE_FIELDS}


NOTE_FIELDS = ["how_to_read", "when_it_moves", "pitfalls", "worked_example"]
