"""What each audit action of the approve stage means, as the history shows it (registered with
``core.audit`` from this app's AppConfig.ready). The codes predate the app: ``catalog.notes*``
keep their names because audit rows already written carry them."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "approval.quorum": _("set the approval quorum"),
    "approval.requorum": _("changed a KPI's state under a new quorum"),
    "approval.decide": _("decided on a KPI"),
    "approval.resubmit": _("resubmitted a KPI for approval"),
    "approval.void": _("changed a KPI's definition: the decisions on the earlier one are void"),
    "catalog.notes": _("saved training notes"),
    "catalog.notes_confirm": _("confirmed training notes against a KPI's new revision"),
}
