"""A small accessible line chart of a KPI's last periods against its baseline, target and
thresholds, as inline SVG (no script, no library). Built with ``format_html`` only: every
piece of text, a label or a figure, is escaped.

Baseline, target and thresholds are words in the KPI's revision; a reference line is drawn only
where a number can be read from them (the first number of the text, or of each threshold
line); anything else is left out rather than guessed."""

import re
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kpiworkshop.core.numbers import first_number

WIDTH = 320
HEIGHT = 140
PAD_LEFT = 44  # room for the axis figures
PAD_RIGHT = 100  # room for the reference lines' labels
PAD_Y = 12
LABEL_CHARS = 16  # at font-size 10 a character is at most ~6px: 16 * 6 <= PAD_RIGHT - 4
WORD_CHARS = 9  # the line's name, before its figure
MAX_THRESHOLDS = 3


def references(revision: Any) -> list[tuple[str, str, Decimal]]:
    """The reference lines a revision's words allow: (kind, label, value), kind being
    ``baseline``, ``target`` or ``threshold``."""
    found: list[tuple[str, str, Decimal]] = []
    baseline = first_number(getattr(revision, "baseline", ""))
    if baseline is not None:
        found.append(("baseline", _("Baseline"), baseline))
    target = first_number(getattr(revision, "target", ""))
    if target is not None:
        found.append(("target", _("Target"), target))
    lines = re.split(r"[\n;]", getattr(revision, "thresholds", "") or "")
    thresholds = [n for n in (first_number(line) for line in lines) if n is not None]
    for value in thresholds[:MAX_THRESHOLDS]:
        found.append(("threshold", _("Threshold"), value))
    return found


def dated_references(revision: Any, series: list[dict]) -> list[tuple[str, str, Decimal]]:
    """The reference lines of the revision's dated target (issue 20) for the latest period
    shown: the target and, with bands, the amber and red edges. They replace the written
    target's line, which the dated one makes more precise."""
    import datetime as dt

    from kpiworkshop.kpis import targets as dated

    plan = dated.targets_of(getattr(revision, "targets", None))
    periods = [p["period"] for p in series if p.get("value") is not None]
    if not plan or not periods:
        return []
    try:
        target = dated.target_at(plan, dt.date.fromisoformat(str(periods[-1])[:10]))
    except ValueError:
        return []
    if target is None:
        return []
    found = [("target", _("Target for %(p)s") % {"p": target.label}, target.value)]
    if target.amber_pct is not None:
        found.append(("threshold", _("Amber edge"), target.edge(target.amber_pct)))
        found.append(("threshold", _("Red edge"), target.edge(target.red_pct)))
    return found


def _fit(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(kind: str) -> str:
    """The line's name beside it in the chart (short: the full one is in the summary)."""
    names = {
        "baseline": pgettext("chart label", "Baseline"),
        "target": pgettext("chart label", "Target"),
        "threshold": pgettext("chart label", "Threshold"),
    }
    return _fit(names[kind], WORD_CHARS)


def _figure(value: float | Decimal) -> str:
    return number_format(value, 2)


def series_chart(series: list[dict], refs: list[tuple[str, str, Decimal]]) -> SafeString:
    """The chart (an ``<svg role="img">`` whose label summarises it) and, for screen readers,
    a visually hidden table of the reference lines (the periods' values are in the page's own
    table). Empty when no period has a value."""
    points = [(p["period"], float(p["value"])) for p in series if p.get("value") is not None]
    if not points:
        return SafeString("")
    values = [v for _p, v in points] + [float(r[2]) for r in refs]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - 2 * PAD_Y

    def y_of(value: float) -> str:
        return f"{PAD_Y + (high - value) / (high - low) * plot_h:.1f}"

    def x_of(i: int) -> str:
        step = plot_w / (len(points) - 1) if len(points) > 1 else 0
        return f"{PAD_LEFT + (i * step if len(points) > 1 else plot_w / 2):.1f}"

    coords = [(x_of(i), y_of(v)) for i, (_p, v) in enumerate(points)]
    line = " ".join(f"{x},{y}" for x, y in coords)
    ref_lines = format_html_join(
        "",
        '<g class="chart-ref chart-{}"><line x1="{}" x2="{}" y1="{}" y2="{}" '
        'stroke="currentColor" stroke-dasharray="{}" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="10" dominant-baseline="middle">{}</text></g>',
        (
            (
                kind,
                PAD_LEFT,
                WIDTH - PAD_RIGHT,
                y_of(float(value)),
                y_of(float(value)),
                "2 2" if kind == "threshold" else "6 3",
                WIDTH - PAD_RIGHT + 4,
                y_of(float(value)),
                _fit(f"{_short(kind)} {_figure(value)}"),
            )
            for kind, _label, value in refs
        ),
    )
    dots = format_html_join(
        "",
        '<circle class="chart-point" cx="{}" cy="{}" r="3" fill="currentColor">'
        "<title>{}: {}</title></circle>",
        ((x, y, period, _figure(v)) for (x, y), (period, v) in zip(coords, points, strict=True)),
    )
    summary = ngettext(
        "Line chart of %(count)d period, %(first)s: %(start)s.",
        "Line chart of %(count)d periods, from %(first)s to %(last)s: from %(start)s to %(end)s.",
        len(points),
    ) % {
        "count": len(points),
        "first": points[0][0],
        "last": points[-1][0],
        "start": _figure(points[0][1]),
        "end": _figure(points[-1][1]),
    }
    if refs:
        summary += " " + "; ".join(f"{label} {_figure(value)}" for _k, label, value in refs) + "."
    svg = format_html(
        '<svg class="kpi-chart text-primary" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="{}" height="{}" data-testid="chart">'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" dominant-baseline="middle">{}</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" dominant-baseline="middle">{}</text>'
        '<g class="text-body-secondary">{}</g>'
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="2"/>{}</svg>',
        summary,
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        PAD_LEFT - 4,
        y_of(high),
        _figure(high),
        PAD_LEFT - 4,
        y_of(low),
        _figure(low),
        ref_lines,
        line,
        dots,
    )
    if not refs:
        return svg
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td></tr>", ((label, _figure(v)) for _k, label, v in refs)
    )
    table = format_html(
        '<table class="visually-hidden"><caption>{}</caption><thead><tr><th scope="col">{}</th>'
        '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
        _("Reference lines"),
        _("Line"),
        _("Value"),
        rows,
    )
    return format_html("{}{}", svg, table)
