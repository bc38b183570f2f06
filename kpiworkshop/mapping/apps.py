from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MappingConfig(AppConfig):
    name = "kpiworkshop.mapping"
    label = "mapping"
    verbose_name = _("Mapping")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register

        from .audit_labels import AUDIT_LABELS

        audit_labels_register(AUDIT_LABELS)

        from kpiworkshop.workshops.moderation import moderated_kind_register

        from .selectors import MODERATED_KINDS

        for kind in MODERATED_KINDS:
            moderated_kind_register(kind)
