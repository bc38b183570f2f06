from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopsConfig(AppConfig):
    name = "kpiworkshop.workshops"
    label = "workshops"
    verbose_name = _("Workshops")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register, audit_target_text_register

        from . import selectors
        from .audit_labels import AUDIT_LABELS

        audit_target_text_register("workshops.invitation", selectors.invitation_audit_text)
        audit_labels_register(AUDIT_LABELS)
