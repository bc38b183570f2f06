"""A catalogue entry's agreement across stakeholder groups (issue 20), in "how it was decided"."""

from django import template

from kpiworkshop.approval.selectors import vote_group_label
from kpiworkshop.voting.agreement import agreement_line as _agreement_line

register = template.Library()


@register.filter
def agreement_line(votes) -> str:
    """The entry's agreement line, from its snapshotted votes (``voting.agreement``)."""
    return _agreement_line(votes, vote_group_label)
