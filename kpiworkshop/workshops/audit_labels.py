"""What each audit action on workshops, their invitations and participants means, as the history
shows it (registered with ``core.audit`` from this app's AppConfig.ready)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "workshop.create": _("created the workshop"),
    "workshop.update": _("edited the workshop"),
    "workshop.stage": _("moved the stage"),
    "invitation.create": _("created an invitation"),
    "invitation.revoke": _("revoked an invitation"),
    "invitation.email": _("sent invitations by e-mail"),
    "participant.join_facilitator": _("joined as facilitator"),
    "workshop.hold_open_text": _("switched holding open text for the projector"),
    "moderation.release": _("let a waiting text through"),
    "moderation.hide": _("hid a waiting text"),
}
