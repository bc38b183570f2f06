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


class OutboxItemQuerySet(models.QuerySet):
    def pending(self) -> "OutboxItemQuerySet":
        return self.filter(done_at__isnull=True)

    def runnable(self, now) -> "OutboxItemQuerySet":
        """Due, not done, not claimed (or its claim has expired), attempts left."""
        return self.pending().filter(
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now),
            due_at__lte=now,
            attempts__lt=settings.KPIW_OUTBOX_MAX_ATTEMPTS,
        )


class OutboxItem(models.Model):
    """One piece of background work that must happen: the source of truth for it.

    Written in the same transaction as the change that needs it, so the work exists exactly
    when the change does; the Celery message that follows is only a wake-up. ``task`` is a
    registered Celery task name and ``payload`` its keyword arguments (ids, never model
    instances). See ``kpiworkshop.core.outbox`` for the life of a row.
    """

    task = models.CharField(max_length=200)
    key = models.CharField(max_length=200, blank=True, db_index=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    #: The run's soft time limit in seconds (the hard one is a minute later); empty: the
    #: workers' default. Sent with every wake-up.
    time_limit = models.PositiveIntegerField(null=True, blank=True)

    objects = OutboxItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(done_at__isnull=True),
                name="outbox_pending_due",
            )
        ]
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox items")

    def __str__(self) -> str:
        state = "done" if self.done_at else f"attempts {self.attempts}"
        return f"{self.task} {self.key} ({state})"


class Heartbeat(models.Model):
    """When a background process last showed it was alive: ``worker`` (a worker ran the
    heartbeat task beat sends, or started) and ``beat`` (the scheduler ticked). Read by
    /healthz (core/heartbeat.py)."""

    name = models.CharField(_("process"), max_length=20, primary_key=True)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"


def new_epoch() -> str:
    import secrets

    return secrets.token_hex(4)


class ScopeVersion(models.Model):
    """A counter per scope of shared markup (a workshop's board, its map, its roster, an
    organisation's goals, a ballot), bumped by the service that writes, in its transaction
    (``core.versions.version_bump``). The key of the cached fragments that show the scope
    (``core.fragments``). ``epoch`` is drawn when the row is created, so a row created again
    (after a rollback or a restore from a backup) never repeats an earlier key."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    n = models.PositiveBigIntegerField(default=0)
    epoch = models.CharField(max_length=8, default=new_epoch)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="one_version_per_scope")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} v{self.n}"

    @property
    def token(self) -> str:
        return f"{self.epoch}.{self.n}"


class LiveVersion(models.Model):
    """A counter per workshop that moves after every committed change a room sees (a vote, a
    stage move, a comment let through): what phones and the projector poll to learn, cheaply,
    that something changed (``core.live``). A plain integer, not a foreign key, so core does not
    depend on the workshops app; a row left by a deleted workshop is harmless."""

    workshop_id = models.PositiveBigIntegerField(primary_key=True)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("live version")
        verbose_name_plural = _("live versions")

    def __str__(self) -> str:
        return f"{self.workshop_id}: {self.version}"
