"""The organisation's published catalogue: immutable releases of entry snapshots, their exports,
and the claim row that makes publishing idempotent (approval decisions and training notes are in
``kpiworkshop.approval.models``)."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.core.models import TimeStampedModel
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops.models import Participant, Workshop


class PublishState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Building")
    DONE = "done", _("Published")
    FAILED = "failed", _("Failed")


class PublishJob(TimeStampedModel):
    """The claim row: the source of truth for one workshop's publishing. One per workshop
    (a database constraint), so a double click or two facilitators at once share it; the task
    locks it, and the release it builds points back to it with a unique key."""

    workshop = models.OneToOneField(Workshop, on_delete=models.CASCADE, related_name="publish_job")
    requested_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=PublishState.choices)
    language = models.CharField(max_length=8)
    major = models.BooleanField(default=False)
    release_notes = models.TextField(blank=True)
    effective_date = models.DateField()
    next_review = models.DateField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PublishState.values), name="publishjob_state_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="publishjob_progress"),
        ]
        verbose_name = _("publish job")
        verbose_name_plural = _("publish jobs")

    def __str__(self) -> str:
        return f"{self.workshop_id}: {self.state}"


class CatalogRelease(models.Model):
    """One published, immutable version of an organisation's KPI catalogue."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="catalog_releases"
    )
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    workshop = models.ForeignKey(
        Workshop, null=True, blank=True, on_delete=models.SET_NULL, related_name="releases"
    )
    job = models.OneToOneField(
        PublishJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="release"
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8)
    effective_date = models.DateField(_("effective from"))
    next_review = models.DateField(_("next review"), null=True, blank=True)
    release_notes = models.TextField(_("release notes"), blank=True)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    published_by_name = models.CharField(_("published by"), max_length=150)
    #: {kpi_uid: reason} for the KPIs this release retired.
    retired = models.JSONField(default=dict, blank=True)
    #: The changelog against ``previous``, computed once at publishing (see changelog.py).
    changelog = models.JSONField(default=dict, blank=True)
    #: The KPI tree's accepted links between this release's KPIs (issue 20):
    #: [{"from": kpi_uid, "to": kpi_uid, "kind", "why"}] (see tree_snapshot.py).
    tree = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-major", "-minor"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "major", "minor"], name="one_release_per_version"
            ),
            models.CheckConstraint(
                condition=Q(major__gte=1) | Q(minor__gte=1), name="release_version_positive"
            ),
        ]
        verbose_name = _("catalogue release")
        verbose_name_plural = _("catalogue releases")

    def __str__(self) -> str:
        return self.version

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


class CatalogEntry(models.Model):
    """One KPI as published in one release: a snapshot, never edited. ``kpi_uid`` stays the
    same across releases, so history and diffs follow one KPI."""

    release = models.ForeignKey(CatalogRelease, on_delete=models.CASCADE, related_name="entries")
    kpi_uid = models.UUIDField(default=uuid.uuid4)
    position = models.PositiveIntegerField(default=0)
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150)
    category = models.CharField(_("macro-category"), max_length=16)
    #: The revision's definition fields (kpis.models.DEFINITION_FIELDS).
    definition = models.JSONField(default=dict)
    #: Field names customers never see.
    internal_fields = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    #: [{"slug", "name", "kind", "why"}]
    goals = models.JSONField(default=list, blank=True)
    #: [{"slug", "name", "kind", "cadence", "where"}]
    audiences = models.JSONField(default=list, blank=True)
    counter_metric = models.CharField(_("counter-metric"), max_length=200, blank=True)
    #: {language: {how_to_read, when_it_moves, pitfalls, worked_example}}
    training_notes = models.JSONField(default=dict)
    #: [{"decision", "reason", "approver", "role", "pilot_until", "at"}]
    decisions = models.JSONField(default=list, blank=True)
    pilot_until = models.DateField(null=True, blank=True)
    #: [{"ballot", "method", "secret", "percent", "voters", "groups": [{role, label, percent}]}]
    votes = models.JSONField(default=list, blank=True)
    search_text = models.TextField(blank=True)

    class Meta:
        ordering = ["release", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "kpi_uid"], name="one_entry_per_kpi"),
        ]
        indexes = [models.Index(fields=["kpi_uid"], name="entry_kpi_uid")]
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")

    def __str__(self) -> str:
        return self.name


class ExportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    CSV = "csv", "CSV"
    JSON = "json", "JSON"
    MD = "md", "Markdown"


def new_export_token() -> str:
    return secrets.token_urlsafe(18)


class Export(models.Model):
    """A file built for a release (whole, or for one audience), kept in Django's storage under
    an unguessable name and served only through a permission-checked view."""

    release = models.ForeignKey(CatalogRelease, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    audience = models.CharField(max_length=80, blank=True)
    audience_name = models.CharField(max_length=150, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_export_token)
    file = models.FileField(upload_to="catalog/", max_length=255)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["release", "format", "audience"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "format", "audience"], name="one_export_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(format__in=ExportFormat.values), name="export_format_valid"
            ),
        ]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.release_id} {self.format} {self.audience}"

    @property
    def filename(self) -> str:
        suffix = f"-{self.audience}" if self.audience else ""
        return f"kpi-catalogue-{self.release.version}{suffix}.{self.format}"


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------


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
        verbose_name = _("review item")
        verbose_name_plural = _("review items")

    def __str__(self) -> str:
        return f"{self.proposal_id} ← {self.entry_id}"
