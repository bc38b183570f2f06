"""After a release: its review dates and reminders, the review workshop it starts, people's
feedback on its KPIs and the KPIs' measured values (issue 10).

These models moved here from ``catalog`` (issue 18) without moving their data: each keeps its
old table (``db_table`` = the ``catalog_…`` name), and the migrations that moved them only
change Django's state (``reviews.0001_move_from_catalog``, ``catalog.0007_move_reviews_out``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops.models import Workshop


class ReviewSettings(models.Model):
    """Per-organisation defaults for the review cycle: how long after a release its next review
    falls (when the facilitator gives no date) and how many days ahead reminders go out."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="review_settings"
    )
    interval_months = models.PositiveSmallIntegerField(_("review every (months)"), default=3)
    remind_days_before = models.PositiveSmallIntegerField(
        _("remind this many days before"), default=14
    )

    class Meta:
        db_table = "catalog_reviewsettings"
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_months__gte=1) & Q(interval_months__lte=36),
                name="review_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(remind_days_before__lte=90), name="review_remind_range"
            ),
        ]
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.interval_months}"


class EntryReview(models.Model):
    """An entry's own next-review date, earlier than its release's (e.g. a pilot KPI)."""

    entry = models.OneToOneField(CatalogEntry, on_delete=models.CASCADE, related_name="review")
    next_review = models.DateField(_("next review"))

    class Meta:
        db_table = "catalog_entryreview"
        verbose_name = _("entry review date")
        verbose_name_plural = _("entry review dates")

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.next_review}"


class ReviewReminder(models.Model):
    """One reminder of one due review to one person. The unique key makes the reminder run
    idempotent: however many runs or workers, a (release, entry, due date, recipient) is
    reminded once. ``entry`` is null for the release's own review; ``entry_key`` mirrors it
    (0 for the release) so the unique key has no NULL in it."""

    release = models.ForeignKey(CatalogRelease, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(
        CatalogEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    entry_key = models.PositiveBigIntegerField(default=0)
    due = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "catalog_reviewreminder"
        constraints = [
            models.UniqueConstraint(
                fields=["release", "entry_key", "due", "recipient"], name="one_reminder_per_review"
            )
        ]
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")

    def __str__(self) -> str:
        return f"{self.release_id}/{self.entry_key} {self.due} → {self.recipient_id}"


class Answer(models.TextChoices):
    HELPS = "helps", _("It helps")
    UNCLEAR = "unclear", _("It is unclear")
    WRONG = "wrong", _("It pushes the wrong behaviour")


class Feedback(models.Model):
    """A person's answer on one entry of one release: "Is this KPI helping you do a good job?".
    One per person per entry (a unique key and an upsert); ``person`` is ``u:<user id>`` for an
    account, ``g:<device key>`` for a guest. ``role`` is how the person belongs to the
    organisation, for the counts per audience."""

    entry = models.ForeignKey(CatalogEntry, on_delete=models.CASCADE, related_name="feedback")
    person = models.CharField(max_length=80)
    role = models.CharField(_("role"), max_length=20)
    answer = models.CharField(_("answer"), max_length=8, choices=Answer.choices)
    comment = models.TextField(_("comment"), blank=True)
    hidden_reason = models.CharField(_("hidden because"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "catalog_feedback"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "person"], name="one_feedback_per_person"),
            models.CheckConstraint(
                condition=Q(answer__in=Answer.values), name="feedback_answer_valid"
            ),
        ]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.person}: {self.answer}"


class Measurement(models.Model):
    """A KPI's measured value for one period (and optionally one breakdown value, e.g. a
    channel). Keyed by the stable ``kpi_uid`` so the series follows the KPI across releases;
    ``entry`` is the entry it was entered against."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kpi_uid = models.UUIDField()
    entry = models.ForeignKey(CatalogEntry, on_delete=models.CASCADE, related_name="+")
    period = models.DateField(_("period"))
    breakdown = models.CharField(_("breakdown"), max_length=60, blank=True)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    entered_by_name = models.CharField(max_length=150, blank=True)
    #: Computed from this dataset version (issue 19), not entered by hand. A computed value is
    #: replaced by the next version's; a hand-entered one is never touched by a computation.
    computed = models.BooleanField(_("computed from a dataset"), default=False)
    source_version = models.ForeignKey(
        "datasets.DatasetVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dataset version"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "catalog_measurement"
        ordering = ["period", "breakdown"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kpi_uid", "period", "breakdown"],
                name="one_value_per_period",
            )
        ]
        indexes = [models.Index(fields=["organisation", "kpi_uid", "period"], name="measure_kpi")]
        verbose_name = _("measured value")
        verbose_name_plural = _("measured values")

    def __str__(self) -> str:
        return f"{self.kpi_uid} {self.period}: {self.value}"


class ReviewCycle(models.Model):
    """A due review started as a review workshop: one per release (a unique key), so pressing
    "Start a review workshop" twice opens the same workshop."""

    release = models.OneToOneField(
        CatalogRelease, on_delete=models.CASCADE, related_name="review_cycle"
    )
    workshop = models.OneToOneField(Workshop, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "catalog_reviewcycle"
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")

    def __str__(self) -> str:
        return f"{self.release_id} → {self.workshop_id}"


class ReviewItem(models.Model):
    """A review workshop's proposal about one catalogue entry (keep / change / retire), with
    the proposer's reason for retiring it."""

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="review_item")
    entry = models.ForeignKey(CatalogEntry, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        db_table = "catalog_reviewitem"
        verbose_name = _("review item")
        verbose_name_plural = _("review items")

    def __str__(self) -> str:
        return f"{self.proposal_id} ← {self.entry_id}"
