import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.core.models import TimeStampedModel


class Stage(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSE = "propose", _("Propose")
    REFINE = "refine", _("Refine")
    VOTE = "vote", _("Vote")
    MAP = "map", _("Map")
    APPROVE = "approve", _("Approve")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


#: The journey, in order. Archived sits after published.
STAGE_ORDER: list[str] = [s.value for s in Stage]


class WorkshopQuerySet(models.QuerySet):
    def for_organisations(self, organisation_ids) -> "WorkshopQuerySet":
        return self.filter(organisation_id__in=organisation_ids)

    def with_participant_count(self) -> "WorkshopQuerySet":
        return self.annotate(
            participant_count=models.Count(
                "participants", filter=Q(participants__is_active=True), distinct=True
            )
        )


class Workshop(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="workshops"
    )
    title = models.CharField(_("title"), max_length=150)
    purpose = models.TextField(
        _("purpose"),
        blank=True,
        help_text=_("Why this workshop, what should come out of it (Markdown)."),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.DRAFT)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    # Bumped on every change that participants' pages must follow (stage moves); the status
    # poll compares it, so an unchanged workshop costs one indexed read and a 204.
    state_version = models.PositiveIntegerField(default=1)
    # Open text the room's screens would show (comments, proposals) waits for the facilitator
    # while this is on (workshops/moderation.py).
    hold_open_text = models.BooleanField(
        _("hold open text for the projector"),
        default=False,
        help_text=_(
            "New comments and proposals wait until you let them through or hide them; their "
            "authors see that they are waiting."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=STAGE_ORDER), name="workshop_stage_valid"),
        ]
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")

    def __str__(self) -> str:
        return self.title

    @property
    def stage_index(self) -> int:
        return STAGE_ORDER.index(self.stage)


def new_guest_key() -> str:
    return secrets.token_urlsafe(24)


class ParticipantQuerySet(models.QuerySet):
    def active(self) -> "ParticipantQuerySet":
        return self.filter(is_active=True)


class Participant(TimeStampedModel):
    """A person taking part in one workshop: a member with their account, or a guest known only
    by a random key kept in a signed cookie on their device."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="participations",
    )
    guest_key = models.CharField(max_length=64, null=True, blank=True)
    display_name = models.CharField(_("display name"), max_length=60)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    invitation = models.ForeignKey(
        "Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="joined"
    )
    is_active = models.BooleanField(default=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "user"],
                condition=Q(user__isnull=False),
                name="one_participant_per_user",
            ),
            models.UniqueConstraint(
                fields=["workshop", "guest_key"],
                condition=Q(guest_key__isnull=False),
                name="one_participant_per_guest",
            ),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(guest_key__isnull=True))
                | (Q(user__isnull=True) & Q(guest_key__isnull=False)),
                name="participant_member_xor_guest",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="participant_role_valid"
            ),
        ]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def is_facilitator(self) -> bool:
        return self.role == Role.FACILITATOR


#: Join codes avoid characters people confuse when reading from a projector (0/O, 1/I/L, 5/S,
#: 2/Z, 8/B) so a code read across a room is typed right the first time.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class InvitationQuerySet(models.QuerySet):
    def usable(self) -> "InvitationQuerySet":
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Invitation(TimeStampedModel):
    """A per-role way in: a join code, the short link built on it, and its QR code."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    code = models.CharField(_("join code"), max_length=12, unique=True, default=new_join_code)
    label = models.CharField(
        _("label"), max_length=80, blank=True, help_text=_("For you, e.g. “Room A, morning”.")
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("maximum people"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.code} ({self.get_role_display()})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def display_code(self) -> str:
        return f"{self.code[:3]} {self.code[3:]}"


class InvitationEmail(TimeStampedModel):
    """One address an invitation was sent to. ``sent_at`` makes delivery idempotent: the task
    sends only rows not yet sent, so a retried or duplicated task mails nobody twice.
    ``claimed_until`` is a sender's claim on the row while it talks to the mail server, outside
    any transaction; a sender killed meanwhile leaves a claim that lapses, and the row is sent
    by the next run."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "email"], name="one_email_per_invitation")
        ]
        verbose_name = _("invitation e-mail")
        verbose_name_plural = _("invitation e-mails")

    def __str__(self) -> str:
        return self.email
