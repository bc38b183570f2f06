"""The small server-side SVG chart of a KPI's measured values against its baseline, target and
threshold bands (issue 10). No JavaScript, no chart library: a page that works offline and
costs a few kilobytes. The SVG is decorative for screen readers (``aria-hidden``); the page
shows the same figures as a table next to it, and a one-sentence summary."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kpiworkshop.core.numbers import first_number, number_shown, threshold_numbers
from kpiworkshop.kpis import targets as dated
from kpiworkshop.kpis.models import Direction

from .periods import period_kind, period_label

WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 8, 22


@dataclass
class Point:
    period: object
    value: Decimal
    good: bool | None
    label: str = ""
    #: The period's dated target (issue 20) and the value's band against it, if any.
    target: object = None
    band: str | None = None


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
    #: (key, swatch, text) for each thing the SVG draws, and only those: the legend under it.
    legend: list[tuple[str, SafeString, str]] = field(default_factory=list)

    @property
    def band_of_period(self) -> dict:
        """{period: (band, its words)} for the values table: a band is named, not only
        coloured."""
        return {p.period: (p.band, dated.band_label(p.band)) for p in self.points if p.band}


def _good(value: Decimal, baseline: Decimal | None, target, direction: str, bands) -> bool | None:
    """Better (True) or worse (False) than the baseline in the KPI's direction; equal to it,
    or with nothing to judge by, neither (None). A range KPI: inside its band or not."""
    if direction == Direction.RANGE and len(bands) == 2:
        return bands[0] <= value <= bands[1]
    if baseline is None or value == baseline:
        return None
    if direction == Direction.HIGHER:
        return value > baseline
    if direction == Direction.LOWER:
        return value < baseline
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
    if len(bands) == 2 and bands[0] == bands[1]:
        bands = []  # "70% / 70%": no band to shade
    kind = period_kind(definition.get("frequency"))
    # Without a written baseline, progress is measured from the first value (the starting
    # point the source articles ask to track from).
    reference = (
        baseline if baseline is not None else (measurements[0].value if measurements else None)
    )
    points = [
        Point(
            m.period,
            m.value,
            _good(m.value, reference, target, direction, bands),
            period_label(m.period, kind),
        )
        for m in measurements
    ]
    plan = dated.targets_of(definition.get("targets"))
    for p in points:
        p.target = dated.target_at(plan, p.period) if plan else None
        p.band = dated.band_of(p.value, p.target, direction)
    stepped = any(p.target is not None for p in points)
    # Dated bands replace the written thresholds' band in the drawing (two shadings would
    # overlap); a range KPI has no dated bands and keeps its own.
    banded = any(p.target is not None and p.target.amber_pct is not None for p in points)
    drawn = [] if banded else bands
    improving = points[-1].good if points else None
    svg, legend = SafeString(""), []
    if points:
        svg = _svg(points, reference, None if stepped else target, drawn)
        legend = _legend(
            points,
            written=baseline is not None,
            target=None if stepped else target,
            bands=drawn,
            direction=direction,
        ) + _target_legend(points, direction)
    summary = " ".join(x for x in (_summary(points), _band_summary(points, direction)) if x)
    return Chart(svg, points, reference, target, bands, direction, improving, summary, legend)


def _band_summary(points: list[Point], direction: str) -> str:
    """The latest value against its period's dated target, in words (the chart's text
    alternative names the band; colour is never the only sign)."""
    last = points[-1] if points else None
    if last is None or last.target is None:
        return ""
    words = {
        "target": number_shown(last.target.value),
        "period": last.target.label,
    }
    if last.band is None:
        return _("Target for %(period)s: %(target)s.") % words
    return _("Target for %(period)s: %(target)s; the latest value is %(band)s.") % (
        words | {"band": dated.band_label(last.band)}
    )


_STEP = 'class="chart-target-step" stroke="#198754" stroke-width="2"'
_AMBER = 'class="chart-band-amber" fill="#ffe69c" fill-opacity="0.7"'
_RED = 'class="chart-band-red" fill="#f1aeb5" fill-opacity="0.7"'


def _target_legend(points: list[Point], direction: str) -> list:
    if not any(p.target is not None for p in points):
        return []
    line = '<line x1="0" x2="24" y1="6" y2="6" {}/>'
    items = [("target-step", _swatch(line.format(_STEP)), _("Green steps: each period's target"))]
    if any(p.target is not None and p.target.amber_pct is not None for p in points):
        rect = '<rect x="0" y="1" width="24" height="10" {}/>'
        lower = direction == Direction.LOWER
        items += [
            (
                "band-amber",
                _swatch(rect.format(_AMBER)),
                _("Shaded yellow: amber band (above the amber edge)")
                if lower
                else _("Shaded yellow: amber band (below the amber edge)"),
            ),
            (
                "band-red",
                _swatch(rect.format(_RED)),
                _("Shaded pink: red band (above the red edge)")
                if lower
                else _("Shaded pink: red band (below the red edge)"),
            ),
        ]
    return items


def _target_parts(points: list[Point], x, y, lo, hi) -> list:
    """Each period's target as a step under its values, with the amber and red bands shaded
    from their edges to the chart's edge."""
    plot_w = WIDTH - LEFT - RIGHT
    half = plot_w / (2 * (len(points) - 1)) if len(points) > 1 else plot_w / 2
    parts = []
    for i, p in enumerate(points):
        t = p.target
        if t is None:
            continue
        x1 = round(max(LEFT, x(i) - half), 1)
        x2 = round(min(WIDTH - RIGHT, x(i) + half), 1)
        if t.amber_pct is not None:
            amber, red = t.edge(t.amber_pct), t.edge(t.red_pct)
            far = hi if amber > t.value else lo  # lower is better: the bands are above
            for a, b, attrs in ((amber, red, _AMBER), (red, far, _RED)):
                top, bottom = y(max(a, b)), y(min(a, b))
                parts.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" {}/>',
                        x1,
                        top,
                        round(x2 - x1, 1),
                        round(max(bottom - top, 0), 1),
                        mark_safe(attrs),  # noqa: S308 - constant markup
                    )
                )
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" {}/>',
                x1,
                x2,
                y(t.value),
                y(t.value),
                mark_safe(_STEP),  # noqa: S308 - constant markup
            )
        )
    return parts


def _summary(points: list[Point]) -> str:
    if not points:
        return _("No values yet.")
    last = points[-1]
    when = last.label
    value = number_shown(last.value)
    if last.good is True:
        return _("Latest value %(v)s (%(d)s): better than the baseline.") % {"v": value, "d": when}
    if last.good is False:
        return _("Latest value %(v)s (%(d)s): worse than the baseline.") % {"v": value, "d": when}
    return _("Latest value %(v)s (%(d)s).") % {"v": value, "d": when}


def _dot_class(good: bool | None) -> str:
    return "chart-good" if good else "chart-bad" if good is False else "chart-dot"


#: How each part is drawn, in the chart and in its legend's swatch: presentation attributes as
#: well as the stylesheet's classes, so the dashes and the shading never depend on the CSS.
_BASELINE = 'class="chart-baseline" stroke="#6c757d" stroke-width="1.5" stroke-dasharray="4 3"'
_TARGET = 'class="chart-target" stroke="#198754" stroke-width="1.5"'
_BAND = 'class="chart-band" fill="#fff3cd" stroke="#e0c46c" stroke-width="0.5"'
_LINE = 'class="chart-line" fill="none" stroke="#0d6efd" stroke-width="2"'
_DOT_FILL = {"chart-good": "#198754", "chart-bad": "#dc3545", "chart-dot": "#0d6efd"}


def _swatch(inner: str) -> SafeString:
    return mark_safe(  # noqa: S308 - constant markup
        '<svg viewBox="0 0 24 12" width="24" height="12" class="chart-swatch" '
        f'aria-hidden="true" focusable="false">{inner}</svg>'
    )


def _dot_swatch(css: str) -> SafeString:
    return _swatch(f'<circle cx="12" cy="6" r="4" class="{css}" fill="{_DOT_FILL[css]}"/>')


def _legend(points, *, written: bool, target, bands, direction) -> list:
    line = '<line x1="0" x2="24" y1="6" y2="6" {}/>'
    items = [("line", _swatch(line.format(_LINE)), _("Line: measured values"))]
    baseline_text = (
        _("Dashed: baseline")
        if written
        else _("Dashed: baseline (no baseline is written: the first value)")
    )
    items.append(("baseline", _swatch(line.format(_BASELINE)), baseline_text))
    if target is not None:
        items.append(("target", _swatch(line.format(_TARGET)), _("Solid green: target")))
    if len(bands) == 2:
        span = {
            "lo": number_shown(bands[0]),
            "hi": number_shown(bands[1]),
        }
        text = (
            _("Shaded: the range aimed for (%(lo)s–%(hi)s)")
            if direction == Direction.RANGE
            else _("Shaded: between the thresholds (%(lo)s–%(hi)s)")
        )
        items.append(
            ("band", _swatch(f'<rect x="0" y="1" width="24" height="10" {_BAND}/>'), text % span)
        )
    ranged = direction == Direction.RANGE and len(bands) == 2
    shown = {p.good for p in points}
    for good, css, text in (
        (True, "chart-good", _("Green dot: inside the range") if ranged
         else _("Green dot: better than the baseline")),
        (False, "chart-bad", _("Red dot: outside the range") if ranged
         else _("Red dot: worse than the baseline")),
        (None, "chart-dot", _("Blue dot: equal to the baseline") if direction
         in (Direction.HIGHER, Direction.LOWER) else _("Blue dot: not judged (no direction)")),
    ):  # fmt: skip
        if good in shown:
            items.append((css, _dot_swatch(css), text))
    return items


def _svg(points: list[Point], baseline, target, bands) -> SafeString:
    values = [p.value for p in points] + [x for x in (baseline, target) if x is not None] + bands
    for p in points:
        if p.target is not None:
            values += [p.target.value] + [
                p.target.edge(pct) for pct in (p.target.amber_pct, p.target.red_pct) if pct
            ]
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
            '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bg" fill="#f8f9fa"/>',
            LEFT,
            TOP,
            plot_w,
            plot_h,
        )
    ]
    if len(bands) == 2:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" {}/>',
                LEFT,
                y(bands[1]),
                plot_w,
                round(y(bands[0]) - y(bands[1]), 1),
                mark_safe(_BAND),  # noqa: S308 - constant markup
            )
        )
    parts += _target_parts(points, x, y, lo, hi)
    for value, attrs, label in (
        (baseline, _BASELINE, _("baseline")),
        (target, _TARGET, _("target")),
    ):
        if value is not None:
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" {}/>'
                    '<text x="{}" y="{}" class="chart-label">{}</text>',
                    LEFT,
                    WIDTH - RIGHT,
                    y(value),
                    y(value),
                    mark_safe(attrs),  # noqa: S308 - constant markup
                    LEFT + 2,
                    y(value) - 2,
                    label,
                )
            )
    path = " ".join(f"{x(i)},{y(p.value)}" for i, p in enumerate(points))
    parts.append(format_html('<polyline points="{}" {}/>', path, mark_safe(_LINE)))  # noqa: S308
    parts.append(
        format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="3" class="{}" fill="{}"/>',
            (
                (x(i), y(p.value), _dot_class(p.good), _DOT_FILL[_dot_class(p.good)])
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
    # The first period's label starts at its point and the last one's ends at its point, so
    # neither runs past the edge of the drawing.
    last = len(points) - 1
    ends = [(0, "middle")] if last == 0 else [(0, "start"), (last, "end")]
    for i, anchor in ends:
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-axis" text-anchor="{}">{}</text>',
                x(i),
                HEIGHT - 6,
                anchor,
                points[i].label,
            )
        )
    return format_html(
        '<svg viewBox="0 0 {} {}" width="100%" class="kpi-chart" aria-hidden="true" '
        'focusable="false">{}</svg>',
        WIDTH,
        HEIGHT,
        format_html_join("", "{}", ((p,) for p in parts)),
    )
