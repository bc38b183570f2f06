from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RunsheetConfig(AppConfig):
    name = "kpiworkshop.runsheet"
    label = "runsheet"
    verbose_name = _("Run-sheets")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register

        from .audit_labels import AUDIT_LABELS

        audit_labels_register(AUDIT_LABELS)
