from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "kpiworkshop.reviews"
    label = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from kpiworkshop.core.audit import audit_labels_register

        from .audit_labels import AUDIT_LABELS

        audit_labels_register(AUDIT_LABELS)

        # The catalogue's pages and publishing take what this app adds through registries, so
        # the catalogue never imports it (import-linter: reviews sits above catalog).
        from kpiworkshop.catalog.pages import catalogue_links_register, entry_panel_register
        from kpiworkshop.catalog.services import next_review_default_register

        from . import services, views

        entry_panel_register("reviews/_entry.html", views.entry_panel, related=("review",))
        catalogue_links_register(views.catalogue_links)
        next_review_default_register(services.review_default_date)
