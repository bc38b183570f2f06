from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.models import TimeStampedModel
from kpiworkshop.kpis.models import Proposal, Revision
from kpiworkshop.workshops.models import Participant, Workshop


class Method(models.TextChoices):
    APPROVAL = "approval", _("Approval (yes / no)")
    DOTS = "dots", _("Dot voting")
    SCORE = "score", _("Multi-criteria score (1–5)")
    RANKING = "ranking", _("Ranking (Borda count)")


class Visibility(models.TextChoices):
    ALWAYS = "always", _("Always, while voting")
    AFTER_VOTING = "after_voting", _("To each person after they have voted")
    AFTER_CLOSE = "after_close", _("When the round closes")
    WHEN_REVEALED = "when_revealed", _("When the facilitator reveals them")


class BallotState(models.TextChoices):
    DRAFT = "draft", _("Not opened yet")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ItemSource(models.TextChoices):
    OPEN = "open", _("All open proposals")
    SHORTLIST = "shortlist", _("The shortlist")


#: The criteria the system writes, by stable code: the "overall" criterion of the methods other
#: than multi-criteria, the default criteria of a multi-criteria ballot and those of a catalogue
#: review round. A criterion with a code is stored with its English text and shown in the
#: reader's language (``Criterion.text``); a criterion the facilitator typed has no code and is
#: shown as typed.
STANDARD_CRITERIA = {
    "overall": _("Overall"),
    "aligned": _("Aligned with our goals"),
    "actionable": _("Actionable by the people measured"),
    "measurable": _("Measurable with data we have"),
    "hard_to_game": _("Hard to game"),
    "customers": _("Meaningful to customers"),
    "keep": _("Keep it as it is"),
    "change": _("Change it"),
    "retire": _("Retire it"),
}

#: Default criteria of a multi-criteria ballot (editable per ballot).
DEFAULT_CRITERIA_CODES = ["aligned", "actionable", "measurable", "hard_to_game", "customers"]
DEFAULT_CRITERIA = [STANDARD_CRITERIA[code] for code in DEFAULT_CRITERIA_CODES]


def criterion_text(code: str, label: str) -> str:
    """A criterion's text in the active language: the standard text of its code, else the
    label as the facilitator typed it."""
    standard = STANDARD_CRITERIA.get(code) if code else None
    return str(standard) if standard is not None else label


SCORE_MIN, SCORE_MAX = 1, 5

#: Round titles the system writes, by stable code (the catalogue review's round), stored in
#: English and shown in the reader's language (``Ballot.title_text``); a typed title is shown
#: as typed.
STANDARD_TITLES = {"review": _("Keep, change or retire?")}


class Ballot(TimeStampedModel):
    """A voting round. Once the first vote is in, its method and items are frozen."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="ballots")
    title = models.CharField(_("title"), max_length=150)
    title_code = models.CharField(max_length=20, blank=True, default="", editable=False)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    state = models.CharField(
        _("state"), max_length=8, choices=BallotState.choices, default=BallotState.DRAFT
    )
    secret = models.BooleanField(
        _("secret ballot"),
        default=True,
        help_text=_("Nobody, the facilitator included, can see who voted what."),
    )
    visibility = models.CharField(
        _("results visible"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.WHEN_REVEALED,
    )
    eligible_roles = models.JSONField(
        _("who may vote"), default=list, blank=True, help_text=_("Empty: every role that votes.")
    )
    dot_budget = models.PositiveSmallIntegerField(_("dots per person"), default=5)
    dot_cap = models.PositiveSmallIntegerField(
        _("maximum dots on one proposal"), null=True, blank=True
    )
    reason_required = models.BooleanField(_("a reason is required with each vote"), default=False)
    duration_minutes = models.PositiveSmallIntegerField(_("timer (minutes)"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=Method.values), name="ballot_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=BallotState.values), name="ballot_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="ballot_visibility_valid"
            ),
            models.CheckConstraint(
                condition=Q(dot_budget__gte=1) & Q(dot_budget__lte=100), name="ballot_budget_range"
            ),
            models.CheckConstraint(
                condition=Q(title_code__in=["", *STANDARD_TITLES]), name="ballot_title_code_valid"
            ),
        ]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self) -> str:
        return self.title_text

    @property
    def title_text(self) -> str:
        """The title in the reader's language: the system's own title by its code, else as
        typed (what every page and the API show)."""
        standard = STANDARD_TITLES.get(self.title_code) if self.title_code else None
        return str(standard) if standard is not None else self.title

    @property
    def is_open(self) -> bool:
        """Open for votes now: opened, not closed, and its timer (if any) not run out."""
        if self.state != BallotState.OPEN:
            return False
        return self.closes_at is None or timezone.now() < self.closes_at

    @property
    def is_closed(self) -> bool:
        return self.state == BallotState.CLOSED or (
            self.state == BallotState.OPEN
            and self.closes_at is not None
            and timezone.now() >= self.closes_at
        )

    @property
    def seconds_left(self) -> int | None:
        if not self.is_open or self.closes_at is None:
            return None
        return max(0, int((self.closes_at - timezone.now()).total_seconds()))


class Criterion(models.Model):
    """What is scored. Every ballot has at least one: the methods other than multi-criteria
    have a single implicit "overall" criterion, so a vote always names one and the uniqueness
    of (ballot, participant, proposal, criterion) is a plain constraint."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField()
    #: As typed; for a standard criterion (``code``) its English text, shown translated.
    label = models.CharField(_("criterion"), max_length=120)
    code = models.CharField(
        _("standard criterion"), max_length=20, blank=True, default="", editable=False
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "position"], name="criterion_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(code__in=["", *STANDARD_CRITERIA]), name="criterion_code_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The criterion in the reader's language (what every page, API and export shows)."""
        return criterion_text(self.code, self.label)


class BallotItem(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="items")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ballot_items")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "proposal"], name="ballot_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}#{self.position}"


class Voter(models.Model):
    """That a participant took part in a ballot (turnout), never what they chose. Its row is
    also the lock that keeps a dot budget whole under concurrent requests."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="voters")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    first_voted_at = models.DateTimeField(default=timezone.now)
    #: How many votes this person has cast in the ballot (every tap, a dot taken back too):
    #: bumped by each vote on this row, which the vote locks anyway. The sum over a ballot's
    #: voters is its results' version (``voting.selectors.ballot_version``).
    changes = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "participant"], name="one_voter_per_ballot")
        ]
        indexes = [models.Index(fields=["ballot", "role"], name="voter_ballot_role")]

    def __str__(self) -> str:
        return f"voter {self.participant_id} in ballot {self.ballot_id}"


class Vote(models.Model):
    """One participant's value for one proposal on one criterion of one ballot.

    approval: 1 yes / 0 no · dots: dots given (≥ 1) · score: 1–5 · ranking: rank (1 = first).
    ``role`` is the voter's role when voting, so results per group are one grouped query.
    """

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="votes")
    role = models.CharField(max_length=20, choices=Role.choices)
    value = models.SmallIntegerField()
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    #: The revision of the proposal the vote was given (or last re-confirmed) on: when it is no
    #: longer the proposal's current one, the vote is "on an earlier version" (issue 20). No
    #: index of its own: nothing looks votes up by revision, and every tap writes this table.
    revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "participant", "proposal", "criterion"], name="one_vote_per_item"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(value__lte=1000), name="vote_value_range"
            ),
        ]
        indexes = [
            # The tally reads only this index (covering): grouped sums per proposal and role.
            models.Index(
                fields=["ballot", "proposal", "role", "criterion", "value"], name="vote_tally"
            ),
            models.Index(fields=["ballot", "updated_at"], name="vote_ballot_changed"),
        ]

    def __str__(self) -> str:
        # Deliberately no participant: a vote's text form must not reveal who voted.
        return f"vote in ballot {self.ballot_id} on proposal {self.proposal_id}"
