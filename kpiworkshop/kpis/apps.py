from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpiworkshop.kpis"
    label = "kpis"
    verbose_name = _("KPI proposals")
