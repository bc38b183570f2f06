from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.core.models import TimeStampedModel
from kpiworkshop.kpis.models import Revision


class Dataset(TimeStampedModel):
    """A sample of the organisation's data (e.g. "contacts"), in versions. ``current_version``
    moves only to a version that converted whole."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="datasets"
    )
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    current_version = models.ForeignKey(
        "DatasetVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="dataset_name_per_org")
        ]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("dataset version", "Waiting")
    CONVERTING = "converting", pgettext_lazy("dataset version", "Converting")
    READY = "ready", pgettext_lazy("dataset version", "Ready")
    FAILED = "failed", pgettext_lazy("dataset version", "Failed")


class SourceFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"


class DatasetVersion(TimeStampedModel):
    """One upload, converted to one Parquet file under media. ``columns`` lists
    ``{"name", "type", "description", "non_null"}`` in file order. A failed version keeps its
    reason as a code with parameters (``error_code``/``error_params``), shown in the reader's
    language, and no file."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        _("conversion status"),
        max_length=12,
        choices=VersionStatus.choices,
        default=VersionStatus.PENDING,
    )
    progress = models.PositiveSmallIntegerField(_("conversion progress"), default=0)
    source_name = models.CharField(_("uploaded file"), max_length=200, blank=True)
    source_format = models.CharField(max_length=8, choices=SourceFormat.choices)
    incoming = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to="datasets/", max_length=255, blank=True)
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    columns = models.JSONField(default=list, blank=True)
    descriptions = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="dataset_version_number"),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="dataset_version_progress"
            ),
        ]
        verbose_name = _("dataset version")
        verbose_name_plural = _("dataset versions")

    def __str__(self) -> str:
        return f"{self.dataset} v{self.number}"

    def column_map(self) -> dict[str, dict]:
        return {c["name"]: c for c in self.columns}

    @property
    def error_message(self) -> str:
        """Why it failed, in the reader's language."""
        from .ingest import rejection_message

        return rejection_message(self.error_code, self.error_params) if self.error_code else ""

    @property
    def in_progress(self) -> bool:
        return self.status in (VersionStatus.PENDING, VersionStatus.CONVERTING)


class DataSteward(TimeStampedModel):
    """A member who looks after the organisation's data: may upload datasets, see row-level
    data and review feasibility. A flag beside the membership, not a role, so a supervisor or a
    manager can be one without losing their role in workshops."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_steward_per_org")
        ]
        verbose_name = _("data steward")
        verbose_name_plural = _("data stewards")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class KpiDefinition(TimeStampedModel):
    """How one revision of a KPI is computed (``definition.Definition`` as JSON).

    Keyed by the revision, never changed once written: revisions are immutable, so a changed
    definition comes with a new revision, and a preview cached per (definition, dataset version)
    never goes stale. It lives here rather than as a column of ``kpis.Revision`` so the KPI app
    does not depend on the data engine (layers: kpis ← datasets). ``organisation`` repeats the
    revision's workshop's organisation so every read can be scoped without joins."""

    revision = models.OneToOneField(
        Revision, on_delete=models.CASCADE, primary_key=True, related_name="computable"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="definitions")
    spec = models.JSONField()

    class Meta:
        verbose_name = _("computable definition")
        verbose_name_plural = _("computable definitions")

    def __str__(self) -> str:
        return f"{self.revision} ({self.dataset})"


class Verdict(models.TextChoices):
    AVAILABLE = "available", _("Data available")
    PARTIAL = "partial", _("Data partly available")
    MISSING = "missing", _("Data missing")


class FeasibilityReview(TimeStampedModel):
    """A data steward's verdict on whether a KPI can be computed with the organisation's data,
    given on one revision. Kept as history: the latest one per proposal is the verdict shown
    (leadership sees it beside the KPI when deciding)."""

    proposal = models.ForeignKey(
        "kpis.Proposal", on_delete=models.CASCADE, related_name="feasibility_reviews"
    )
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    note = models.TextField(_("verdict note"), blank=True, max_length=2000)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=Verdict.values), name="feasibility_verdict_valid"
            )
        ]
        verbose_name = _("feasibility review")
        verbose_name_plural = _("feasibility reviews")

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.verdict}"
