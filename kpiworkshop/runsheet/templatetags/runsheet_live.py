"""``{% runsheet_live workshop %}``: the run-sheet's countdown and current instruction on the
pages of other apps (the workshop page, the join screen, the ballot board). Those apps never
import this one: their templates load this library by name, and a page of a workshop without
a run-sheet gets nothing (one indexed query)."""

from django import template
from django.template.loader import render_to_string

from ..live import live_context
from ..selectors import sheet_for_workshop

register = template.Library()


@register.simple_tag(takes_context=True)
def runsheet_live(context, workshop, size: str = "page") -> str:
    sheet = sheet_for_workshop(workshop=workshop)
    if sheet is None:
        return ""
    return render_to_string(
        "runsheet/_live.html",
        live_context(workshop=workshop, sheet=sheet, size=size) | {"with_script": True},
        request=context.get("request"),
    )
