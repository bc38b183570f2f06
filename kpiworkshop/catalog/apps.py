from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "kpiworkshop.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register

        from .audit_labels import AUDIT_LABELS

        audit_labels_register(AUDIT_LABELS)

        from kpiworkshop.approval.board import board_panel_register
        from kpiworkshop.approval.services import quorum_guard_register

        from . import selectors, views

        board_panel_register("catalog/_publish_panel.html", views.publish_panel_context)
        quorum_guard_register(selectors.quorum_refused_while_publishing)
