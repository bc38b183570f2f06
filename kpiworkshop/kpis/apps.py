from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpiworkshop.kpis"
    label = "kpis"
    verbose_name = _("KPI proposals")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_target_text_register

        from . import selectors

        audit_target_text_register("kpis.suggestion", selectors.suggestion_audit_text)
        audit_target_text_register("kpis.comment", selectors.comment_audit_text)
