"""What each audit action of the reviews means, as the history shows it (registered with
``core.audit`` from this app's AppConfig.ready). The codes predate the app: they keep their
``catalog.`` names because audit rows already written carry them."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "catalog.feedback_hide": _("hid feedback on a KPI"),
    "catalog.value": _("recorded a measured value"),
    "catalog.values_import": _("imported measured values"),
    "catalog.values_computed": _("computed measured values from a dataset"),
    "catalog.review_settings": _("changed the review interval"),
    "catalog.entry_review": _("set a KPI's next review date"),
    "catalog.review_start": _("started a review workshop"),
    "catalog.review_kind": _("chose keep, change or retire for a KPI"),
}
