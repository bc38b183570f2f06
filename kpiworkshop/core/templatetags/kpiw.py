from datetime import UTC, datetime

from django import template

from kpiworkshop.core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: str | None):
    return render_markdown(value)


@register.filter(name="mmss")
def mmss(seconds: int | None) -> str:
    """A countdown as m:ss (or h:mm:ss)."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@register.filter(name="iso")
def iso(value: datetime | None) -> str:
    """A datetime for ``<time datetime>`` and for scripts: UTC, whole seconds.

    ``date:'c'`` writes microseconds, and HTML allows at most three fraction digits.
    """
    if not value:
        return ""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
