"""The small server-side SVG chart of a KPI's measured values against its baseline, target and
threshold bands (issue 10). No JavaScript, no chart library: a page that works offline and
costs a few kilobytes. The SVG is decorative for screen readers (``aria-hidden``); the page
shows the same figures as a table next to it, and a one-sentence summary."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kpiworkshop.core.numbers import number_shown
from kpiworkshop.kpis.models import Direction

WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 8, 22

_NUMBER = re.compile(r"(?<!\d)-?\d+(?:[.,]\d+)?")


def first_number(text) -> Decimal | None:
    """The first number in a free-text field ("78%", "under 4 min", "≥ 80,5")."""
    match = _NUMBER.search(str(text or ""))
    return Decimal(match.group().replace(",", ".")) if match else None


def threshold_numbers(text) -> list[Decimal]:
    """Up to two numbers from the thresholds text, as band edges (low, high)."""
    found = [Decimal(m.replace(",", ".")) for m in _NUMBER.findall(str(text or ""))]
    return sorted(found[:2])


@dataclass
class Point:
    period: object
    value: Decimal
    good: bool | None


@dataclass
class Chart:
    svg: SafeString
    points: list[Point]
    baseline: Decimal | None
    target: Decimal | None
    bands: list[Decimal]
    direction: str
    #: True: the latest value moved from the baseline the right way; None: cannot say.
    improving: bool | None
    summary: str


def _good(value: Decimal, baseline: Decimal | None, target, direction: str, bands) -> bool | None:
    if direction == Direction.HIGHER and baseline is not None:
        return value >= baseline
    if direction == Direction.LOWER and baseline is not None:
        return value <= baseline
    if direction == Direction.RANGE and len(bands) == 2:
        return bands[0] <= value <= bands[1]
    return None


def chart_build(*, definition: dict, measurements: list) -> Chart:
    """The chart for one KPI: ``measurements`` are its overall values (no breakdown), oldest
    first."""
    baseline = first_number(definition.get("baseline"))
    target = first_number(definition.get("target"))
    bands = threshold_numbers(definition.get("thresholds"))
    direction = definition.get("direction") or ""
    if direction == Direction.RANGE and len(bands) < 2:
        # "15–25%": a range KPI's target is its band when no thresholds are written.
        bands = threshold_numbers(definition.get("target"))
    # Without a written baseline, progress is measured from the first value (the starting
    # point the source articles ask to track from).
    reference = (
        baseline if baseline is not None else (measurements[0].value if measurements else None)
    )
    points = [
        Point(m.period, m.value, _good(m.value, reference, target, direction, bands))
        for m in measurements
    ]
    improving = points[-1].good if points else None
    svg = _svg(points, baseline, target, bands) if points else SafeString("")
    return Chart(svg, points, reference, target, bands, direction, improving, _summary(points))


def _summary(points: list[Point]) -> str:
    if not points:
        return _("No values yet.")
    last = points[-1]
    when = date_format(last.period, "YEAR_MONTH_FORMAT")
    value = number_shown(last.value)
    if last.good is True:
        return _("Latest value %(v)s (%(d)s): better than the baseline.") % {"v": value, "d": when}
    if last.good is False:
        return _("Latest value %(v)s (%(d)s): worse than the baseline.") % {"v": value, "d": when}
    return _("Latest value %(v)s (%(d)s).") % {"v": value, "d": when}


def _svg(points: list[Point], baseline, target, bands) -> SafeString:
    values = [p.value for p in points] + [x for x in (baseline, target) if x is not None] + bands
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) / 10
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(v: Decimal) -> float:
        return round(TOP + float((hi - v) / (hi - lo)) * plot_h, 1)

    def x(i: int) -> float:
        if len(points) == 1:
            return LEFT + plot_w / 2
        return round(LEFT + i * plot_w / (len(points) - 1), 1)

    parts = [
        format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bg"/>',
            LEFT,
            TOP,
            plot_w,
            plot_h,
        )
    ]
    if len(bands) == 2:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="chart-band"/>',
                LEFT,
                y(bands[1]),
                plot_w,
                round(y(bands[0]) - y(bands[1]), 1),
            )
        )
    for value, css, label in (
        (baseline, "chart-baseline", _("baseline")),
        (target, "chart-target", _("target")),
    ):
        if value is not None:
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" class="{}"/>'
                    '<text x="{}" y="{}" class="chart-label">{}</text>',
                    LEFT,
                    WIDTH - RIGHT,
                    y(value),
                    y(value),
                    css,
                    LEFT + 2,
                    y(value) - 2,
                    label,
                )
            )
    path = " ".join(f"{x(i)},{y(p.value)}" for i, p in enumerate(points))
    parts.append(format_html('<polyline points="{}" class="chart-line"/>', path))
    parts.append(
        format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="3" class="{}"/>',
            (
                (
                    x(i),
                    y(p.value),
                    "chart-good" if p.good else "chart-bad" if p.good is False else "chart-dot",
                )
                for i, p in enumerate(points)
            ),
        )
    )
    for v in (hi - pad, lo + pad):
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>',
                LEFT - 3,
                y(v) + 3,
                number_shown(v.quantize(Decimal("0.1"))),
            )
        )
    for i in {0, len(points) - 1}:
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-axis" text-anchor="middle">{}</text>',
                x(i),
                HEIGHT - 6,
                date_format(points[i].period, "m/y"),
            )
        )
    return format_html(
        '<svg viewBox="0 0 {} {}" width="100%" class="kpi-chart" aria-hidden="true" '
        'focusable="false">{}</svg>',
        WIDTH,
        HEIGHT,
        format_html_join("", "{}", ((p,) for p in parts)),
    )
