"""Template helpers of the agreement view (issue 20)."""

from django import template

from kpiworkshop.voting import agreement

register = template.Library()


@register.filter
def agreement_strip(row) -> str:
    return agreement.agreement_strip(row)


@register.filter
def verdict_label(verdict: str) -> str:
    return agreement.verdict_label(verdict)
