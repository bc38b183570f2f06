"""What each audit action on voting rounds means, as the history shows it
(registered with ``core.audit`` from this app's AppConfig.ready)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "ballot.create": _("created a voting round"),
    "ballot.open": _("opened a voting round"),
    "ballot.close": _("closed a voting round"),
    "ballot.reveal": _("revealed the results"),
    "ballot.shortlist": _("shortlisted proposals"),
    "ballot.unshortlist": _("took proposals off the shortlist"),
}
