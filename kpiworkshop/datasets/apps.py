from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatasetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpiworkshop.datasets"
    label = "datasets"
    verbose_name = _("Datasets and computable definitions")

    def ready(self) -> None:
        from kpiworkshop.workshops.guidance import AUDIT_LABELS

        # The workshop history's words for this app's events (the same at every start).
        AUDIT_LABELS.update(
            {
                "dataset.definition_set": _("gave a KPI its computable definition"),
                "dataset.feasibility": _("reviewed a KPI's feasibility"),
            }
        )
