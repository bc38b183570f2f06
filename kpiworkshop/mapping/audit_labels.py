"""What each audit action on goals, audiences and the links of KPIs to them means, as the history
shows it (registered with ``core.audit`` from this app's AppConfig.ready)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "defaults.add": _("added the default goals and audiences"),
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
    "tree_link.propose": _("proposed a link in the KPI tree"),
    "tree_link.stance": _("took a stance on a link in the KPI tree"),
    "tree_link.accept": _("accepted a link in the KPI tree"),
    "tree_link.decline": _("declined a link in the KPI tree"),
    "tree_link.import": _("started the KPI tree from the agreed links"),
}
