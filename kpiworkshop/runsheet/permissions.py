"""Who may prepare, run, follow and read a run-sheet: the workshop's role × stage table, and
one rule of this app's own — the controls need an account (a guest never reaches them, whatever
role a code gave them).

``actor`` is the Participant acting in *this* workshop, or None (anonymous, someone who has not
joined, a participant of another workshop or organisation).
"""

from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Workshop


def _member_facilitator(actor: Participant | None, workshop: Workshop) -> bool:
    return wp.can_manage(actor, workshop) and actor.user_id is not None


def can_edit_sheet(actor: Participant | None, workshop: Workshop) -> bool:
    """Prepare the sheet: templates, blocks, their order. The services also refuse edits
    once the session has started (a state of the sheet, not of the person)."""
    return _member_facilitator(actor, workshop)


def can_run_sheet(actor: Participant | None, workshop: Workshop) -> bool:
    """Start, pause, resume, add time, move on, reveal: the facilitators, in every stage but
    archived."""
    return _member_facilitator(actor, workshop)


def can_follow_sheet(actor: Participant | None, workshop: Workshop) -> bool:
    """See the countdown and the current block's instruction: everyone taking part."""
    return wp.can_view(actor, workshop)


def can_see_report(actor: Participant | None, workshop: Workshop) -> bool:
    """The session report (counts, never names): the facilitators, archived workshops too,
    like the history."""
    return wp.can_see_history(actor, workshop) and actor.user_id is not None
