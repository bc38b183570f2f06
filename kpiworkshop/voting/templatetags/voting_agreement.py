"""Template helpers of the agreement view and of a catalogue entry's agreement line (issue 20)."""

from django import template

from kpiworkshop.voting import agreement

register = template.Library()


@register.filter
def agreement_strip(row) -> str:
    return agreement.agreement_strip(row)


@register.filter
def verdict_label(verdict: str) -> str:
    return agreement.verdict_label(verdict)


@register.filter
def agreement_line(votes) -> str:
    """A catalogue entry's agreement across groups, from its snapshotted votes."""
    from kpiworkshop.approval.selectors import vote_group_label

    return agreement.agreement_line(votes, vote_group_label)
