from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatasetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpiworkshop.datasets"
    label = "datasets"
    verbose_name = _("Datasets and computable definitions")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register

        from .audit_labels import AUDIT_LABELS

        audit_labels_register(AUDIT_LABELS)
