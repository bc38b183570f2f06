"""What each audit action on datasets, computable definitions and feasibility means, as the
history shows it (registered with ``core.audit`` from this app's AppConfig.ready)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "dataset.create": _("added a dataset"),
    "dataset.steward_set": _("named a data steward"),
    "dataset.steward_unset": _("removed a data steward"),
    "dataset.version_upload": _("uploaded a new version of a dataset"),
    "dataset.version_ready": _("a dataset version became ready"),
    "dataset.version_failed": _("a dataset version was refused"),
    "dataset.definition_set": _("gave a KPI its computable definition"),
    "dataset.feasibility": _("reviewed a KPI's feasibility"),
}
