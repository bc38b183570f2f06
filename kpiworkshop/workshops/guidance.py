"""What each stage is for and what each action means, in words shown to participants."""

from django.utils.translation import gettext_lazy as _

from .models import Stage
from .permissions import Action

STAGE_HELP = {
    Stage.DRAFT: _("The facilitator is preparing the workshop. You can join now; it starts soon."),
    Stage.PROPOSE: _(
        "Propose the KPIs you think matter: from scratch or starting from the KPI library."
    ),
    Stage.REFINE: _(
        "Improve the proposals: comment with a stance, suggest edits, spot duplicates."
    ),
    Stage.VOTE: _("Vote on the proposals in the open rounds."),
    Stage.MAP: _(
        "Link each KPI to the business goals it serves and to who sees it and who acts on it."
    ),
    Stage.APPROVE: _("Leadership reviews the shortlist and decides on each KPI."),
    Stage.PUBLISHED: _("The agreed catalogue is published. Read it and its training notes."),
    Stage.ARCHIVED: _("This workshop is closed. Its history stays available."),
}

ACTION_LABELS = {
    Action.PROPOSE: _("Propose KPIs"),
    Action.COMMENT: _("Comment on proposals"),
    Action.SUGGEST: _("Suggest edits"),
    Action.MERGE: _("Merge duplicates"),
    Action.VOTE: _("Vote"),
    Action.MAP: _("Map KPIs to goals and audiences"),
    Action.APPROVE: _("Approve or reject KPIs"),
    Action.MANAGE: _("Run the workshop: stages, invitations, history"),
}
