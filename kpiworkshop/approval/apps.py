from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalConfig(AppConfig):
    name = "kpiworkshop.approval"
    label = "approval"
    verbose_name = _("Approval")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register
        from kpiworkshop.kpis.services import revision_hook_register

        from .audit_labels import AUDIT_LABELS
        from .currency import approvals_void_on_revision

        audit_labels_register(AUDIT_LABELS)
        # Issue 20: a new current revision voids the decisions on the earlier one.
        revision_hook_register(approvals_void_on_revision)
