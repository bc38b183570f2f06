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

AUDIT_LABELS = {
    "workshop.create": _("created the workshop"),
    "workshop.update": _("edited the workshop"),
    "workshop.stage": _("moved the stage"),
    "invitation.create": _("created an invitation"),
    "invitation.revoke": _("revoked an invitation"),
    "invitation.email": _("sent invitations by e-mail"),
    "participant.join_facilitator": _("joined as facilitator"),
    "proposal.create": _("proposed a KPI"),
    "proposal.revise": _("revised a proposal"),
    "proposal.withdraw": _("withdrew a proposal"),
    "proposal.internal_fields": _("changed the internal-only fields"),
    "proposal.merge": _("merged a duplicate"),
    "proposal.unmerge": _("undid a merge"),
    "comment.create": _("commented"),
    "comment.hide": _("hid a comment"),
    "comment.resolve": _("marked a comment resolved"),
    "suggestion.create": _("suggested an edit"),
    "suggestion.accept": _("accepted a suggestion"),
    "suggestion.decline": _("declined a suggestion"),
    "ballot.create": _("created a voting round"),
    "ballot.open": _("opened a voting round"),
    "ballot.close": _("closed a voting round"),
    "ballot.reveal": _("revealed the results"),
    "ballot.shortlist": _("shortlisted proposals"),
    "ballot.unshortlist": _("took proposals off the shortlist"),
    "goal.create": _("added a business goal"),
    "goal.update": _("changed a business goal"),
    "audience.create": _("added an audience"),
    "audience.update": _("changed an audience"),
    "goal_link.create": _("linked a KPI to a goal"),
    "goal_link.update": _("changed a KPI's goal link"),
    "goal_link.remove": _("removed a KPI's goal link"),
    "audience_link.create": _("linked a KPI to an audience"),
    "audience_link.update": _("changed a KPI's audience link"),
    "audience_link.remove": _("removed a KPI's audience link"),
    "breakdowns.set": _("set a KPI's breakdowns"),
    "counter_metric.set": _("set a KPI's counter-metric"),
    "map_settings.update": _("changed the coverage checks"),
    "link_comment.create": _("commented on a KPI's link"),
    "link_comment.hide": _("hid a comment on a KPI's link"),
    "approval.quorum": _("changed the approval quorum"),
    "approval.requorum": _("changed a KPI's state under a new quorum"),
    "catalog.notes_confirm": _("confirmed training notes against a KPI's new revision"),
}
