"""What each audit action on proposals, comments and suggestions means, as the history shows it
(registered with ``core.audit`` from this app's AppConfig.ready)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "proposal.create": _("proposed a KPI"),
    "proposal.revise": _("revised a proposal"),
    "proposal.withdraw": _("withdrew a proposal"),
    "proposal.internal_fields": _("changed the internal-only fields"),
    "proposal.merge": _("merged a duplicate"),
    "proposal.unmerge": _("undid a merge"),
    "comment.create": _("commented"),
    "comment.hide": _("hid a comment"),
    "comment.resolve": _("marked a comment resolved"),
    "suggestion.create": _("suggested an edit"),
    "suggestion.accept": _("accepted a suggestion"),
    "suggestion.decline": _("declined a suggestion"),
}
