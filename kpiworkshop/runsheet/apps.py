from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RunsheetConfig(AppConfig):
    name = "kpiworkshop.runsheet"
    label = "runsheet"
    verbose_name = _("Run-sheets")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register, audit_target_text_register

        from .audit_labels import AUDIT_LABELS, runsheet_audit_text

        audit_target_text_register("runsheet.runsheet", runsheet_audit_text)
        audit_labels_register(AUDIT_LABELS)
