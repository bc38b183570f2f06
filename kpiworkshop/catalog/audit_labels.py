"""What each audit action on releases means, as the history shows it (registered with
``core.audit`` from this app's AppConfig.ready; the reviews' actions: ``reviews.audit_labels``)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "catalog.publish": _("asked to publish the catalogue"),
    "catalog.released": _("published the catalogue"),
}
