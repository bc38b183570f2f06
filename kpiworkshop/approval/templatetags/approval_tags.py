from django import template

from kpiworkshop.approval.selectors import vote_group_label

register = template.Library()


@register.filter(name="vote_group_label")
def vote_group_label_filter(group: dict) -> str:
    """A snapshotted vote group's label in the reader's language (see the selector)."""
    return vote_group_label(group)
