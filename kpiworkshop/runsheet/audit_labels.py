"""What each audit action on run-sheets means, as the history shows it (registered with
``core.audit`` from this app's AppConfig.ready)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "runsheet.prepare": _("prepared the run-sheet"),
    "runsheet.block_add": _("added a block to the run-sheet"),
    "runsheet.block_update": _("changed a block of the run-sheet"),
    "runsheet.block_delete": _("removed a block from the run-sheet"),
    "runsheet.reorder": _("reordered the run-sheet"),
    "runsheet.start": _("started the session"),
    "runsheet.next": _("moved on to the next block"),
    "runsheet.pause": _("paused the countdown"),
    "runsheet.resume": _("resumed the countdown"),
    "runsheet.extend": _("added time to the block"),
    "runsheet.finish": _("ended the session"),
    "runsheet.action": _("ran a block's action"),
    "runsheet.hold_open_text": _("switched holding open text while the session is live"),
}


def runsheet_audit_text(event) -> str:
    """What a run-sheet event was about, in the reader's language (the stored label is
    English)."""
    return gettext("run-sheet")
