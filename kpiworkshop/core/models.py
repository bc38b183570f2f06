from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class AuditEventQuerySet(models.QuerySet):
    def for_workshop(self, workshop_id: int) -> "AuditEventQuerySet":
        return self.filter(workshop_id=workshop_id)

    def for_organisation(self, organisation_id: int) -> "AuditEventQuerySet":
        return self.filter(organisation_id=organisation_id)


class AuditEvent(models.Model):
    """Who did what, when, to which object.

    Scope ids are plain integers rather than foreign keys on purpose: the trail must outlive
    the objects it describes (a deleted invitation keeps its history), and core must not
    depend on the apps that use it.
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("who (as shown)"), max_length=150)
    action = models.CharField(_("what"), max_length=64)
    organisation_id = models.PositiveBigIntegerField(db_index=True)
    workshop_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workshop_id", "-created_at"], name="audit_workshop_time")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"
