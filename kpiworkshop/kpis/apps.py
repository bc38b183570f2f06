from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpiworkshop.kpis"
    label = "kpis"
    verbose_name = _("KPI proposals")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register, audit_target_text_register

        from . import selectors
        from .audit_labels import AUDIT_LABELS

        audit_target_text_register("kpis.suggestion", selectors.suggestion_audit_text)
        audit_target_text_register("kpis.comment", selectors.comment_audit_text)
        audit_labels_register(AUDIT_LABELS)

        from kpiworkshop.workshops.moderation import moderated_kind_register

        for kind in selectors.MODERATED_KINDS:
            moderated_kind_register(kind)
