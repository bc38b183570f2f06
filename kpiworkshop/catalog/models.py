"""The organisation's published catalogue: immutable releases of entry snapshots, their exports,
and the claim row that makes publishing idempotent (approval decisions and training notes are in
``kpiworkshop.approval.models``; review dates, feedback and measured values in
``kpiworkshop.reviews.models``)."""

import secrets
import uuid

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
