"""What the PDF training pack shows of a release document (exports.py): its texts rendered
from Markdown, dates and numbers in the pack's language, the language a KPI's text is written
in when it is not the pack's, and each KPI's one-glance card with its target drawn as a small
SVG scale. Call inside ``translation.override(release.language)``."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import nh3
from babel.dates import format_date
from babel.numbers import format_decimal
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from kpiworkshop.core.markdown import ALLOWED_TAGS, render_markdown
from kpiworkshop.core.numbers import first_number, threshold_numbers
from kpiworkshop.kpis.models import Direction
from kpiworkshop.kpis.targets import Target

#: A printed page has nowhere to click: links keep their text.
PACK_TAGS = ALLOWED_TAGS - {"a"}


def markdown(text: str) -> SafeString:
    """User text (already the sanitised plain text) rendered from Markdown, links as text."""
    if not text or not text.strip():
        return mark_safe("")
    html = nh3.clean(str(render_markdown(text)), tags=PACK_TAGS, attributes={})
    return mark_safe(html)  # noqa: S308 - sanitised by nh3


def inline_markdown(text: str) -> SafeString:
    """Markdown of a short field, without the paragraph around it."""
    html = str(markdown(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 - sanitised by markdown()


def long_date(iso: str | None) -> str:
    """An ISO date in the active language's long form ("6 dicembre 2026")."""
    if not iso:
        return ""
    return format_date(datetime.date.fromisoformat(iso[:10]), "long", locale=_locale())


def number(value: Decimal) -> str:
    """A number in the active language, no trailing zeros ("38,5")."""
    value = value.normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return format_decimal(value, locale=_locale())


_FIGURE = re.compile(r"\s*(-?\d+)(?:\.(\d+))?\s*(%?)\s*")


def figure(text: str) -> str:
    """A field that holds just a number ("38.5000", "12 %") in the active language, without
    trailing zeros ("38,5"); any other text as written. A point followed by exactly three
    digits is left alone: "3.000" is three thousand to an Italian reader."""
    match = _FIGURE.fullmatch(text or "")
    if not match or (match.group(2) and len(match.group(2)) == 3):
        return text
    whole, fraction, percent = match.groups()
    value = number(Decimal(f"{whole}.{fraction or 0}"))
    return f"{value}{percent}"


def _locale() -> str:
    return (get_language() or "en").replace("-", "_")


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _targets_of(exported: list[dict]) -> list[Target]:
    return [
        Target(
            t["period_kind"],
            datetime.date.fromisoformat(t["period_start"]),
            _decimal(t["target"]),
            _decimal(t.get("amber_pct")),
            _decimal(t.get("red_pct")),
        )
        for t in exported or []
    ]


def card_target(written: str, exported: list[dict], on: datetime.date) -> tuple[str, str]:
    """The target a KPI's one-glance card shows, and the period it is for ("" for the written
    target): the written target when there is one; else, of the dated targets, the one whose
    period holds ``on`` (the release's effective date), else the next to come, else the last.
    A KPI with dated targets and no written one showed "—" where its target was."""
    if (written or "").strip():
        return figure(written), ""
    targets = sorted(_targets_of(exported), key=lambda t: t.start)
    if not targets:
        return "", ""
    chosen = next((t for t in targets if t.start <= on <= t.end), None)
    chosen = chosen or next((t for t in targets if t.start > on), targets[-1])
    return number(chosen.value), chosen.label


def dated_targets(exported: list[dict]) -> list[dict]:
    """The dated targets of an exported entry (``targets.targets_export``) as the pack's table
    rows, in the pack's language: the period ("1° trim. 2027"), the target, and each band's
    edge as a value of the KPI with the percentage of the target it comes from ("76 (95 %)"),
    or no edges for a target without bands."""
    rows = []
    for target in _targets_of(exported):
        rows.append(
            {
                "period": target.label,
                "target": number(target.value),
                "amber": _band_edge(target, target.amber_pct),
                "red": _band_edge(target, target.red_pct),
            }
        )
    return rows


def _band_edge(target: Target, pct: Decimal | None) -> str:
    """A band's edge as a value of the KPI, with its percentage of the target."""
    if pct is None:
        return ""
    return f"{number(target.edge(pct))} ({number(pct)} %)"


# --- which language a text is written in ---------------------------------------------------

#: Short words that say which of the organisation's languages a text is in.
_MARKERS = {
    "en": {
        "the", "of", "and", "to", "in", "a", "an", "is", "are", "with", "for", "by", "on",
        "within", "that", "it", "not", "or", "how", "when", "what", "all", "any", "no",
    },
    "it": {
        "il", "lo", "la", "i", "gli", "le", "di", "del", "della", "dei", "delle", "e", "che",
        "per", "un", "una", "con", "non", "nel", "nella", "sono", "è", "al", "alla", "da",
        "entro", "tutte", "tutti", "quanto", "quante",
    },
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def text_language(text: str) -> str | None:
    """The language a text is most likely written in (of ``settings.LANGUAGES`` that we know
    marker words of), or None when it is too short or too mixed to say."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    scores = {
        lang: sum(1 for w in words if w in markers)
        for lang, markers in _MARKERS.items()
        if lang in dict(settings.LANGUAGES)
    }
    if not scores:
        return None
    best = max(scores, key=scores.get)
    rest = max((s for lang, s in scores.items() if lang != best), default=0)
    if scores[best] >= 3 and scores[best] >= 2 * rest + 1:
        return best
    return None


def written_in(language: str) -> str:
    """ "Written in English", in the active language."""
    from django.utils.translation import get_language_info

    name = get_language_info(language)["name_translated"]
    return _("Written in %(language)s") % {"language": name.lower()}


# --- the target scale ----------------------------------------------------------------------

W = 300
#: The scale's printed width.
WIDTH_MM = 95
PAD = 14
BAR_Y, BAR_H = 26, 12
GOOD, FAIR, POOR = "#3f9b5a", "#e8b64c", "#d9534f"


def _zones(direction: str, target, bands: list) -> list[tuple[Decimal, Decimal, str]]:
    """The coloured stretches of the scale, (from, to, colour), over an unbounded axis
    (None = the scale's end)."""
    if direction == Direction.RANGE and len(bands) == 2:
        return [(None, bands[0], POOR), (bands[0], bands[1], GOOD), (bands[1], None, POOR)]
    edges = bands if len(bands) == 2 else ([target] if target is not None else [])
    if direction == Direction.HIGHER:
        colours = [POOR, FAIR, GOOD] if len(edges) == 2 else [FAIR, GOOD]
    elif direction == Direction.LOWER:
        colours = [GOOD, FAIR, POOR] if len(edges) == 2 else [GOOD, FAIR]
    else:
        return []
    points = [None, *edges, None]
    return [(points[i], points[i + 1], c) for i, c in enumerate(colours)]


def target_scale(definition: dict) -> dict | None:
    """The card's small scale: where the target and the baseline sit, which stretches are
    good, with a text alternative. None when the KPI has no number to draw."""
    direction = definition.get("direction") or ""
    target = first_number(definition.get("target"))
    baseline = first_number(definition.get("baseline"))
    bands = threshold_numbers(definition.get("thresholds"))
    if direction == Direction.RANGE and len(bands) < 2:
        bands = threshold_numbers(definition.get("target"))  # "15–25%"
        target = None
    values = [v for v in (target, baseline, *bands) if v is not None]
    if not values:
        return None
    lo, hi = min(values), max(values)
    span = (hi - lo) or abs(hi) or Decimal(1)
    lo, hi = lo - span / 2, hi + span / 2
    if min(values) >= 0 > lo:
        lo = Decimal(0)

    def x(v: Decimal) -> float:
        return PAD + float((v - lo) / (hi - lo)) * (W - 2 * PAD)

    # As tall as what it shows: the band edges and the baseline are labelled below the bar.
    height = BAR_Y + BAR_H + 4 + (11 if bands else 0) + (11 if baseline is not None else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_MM}mm" '
        f'height="{WIDTH_MM * height / W:.1f}mm" viewBox="0 0 {W} {height}" role="img">'
    ]
    unit = definition.get("unit") or ""
    described = []
    if target is not None:
        described.append(
            pgettext("pack scale", "target %(v)s") % {"v": f"{number(target)} {unit}".strip()}
        )
    if len(bands) == 2:
        described.append(
            _("good between %(a)s and %(b)s") % {"a": number(bands[0]), "b": number(bands[1])}
            if direction == Direction.RANGE
            else _("thresholds %(a)s and %(b)s") % {"a": number(bands[0]), "b": number(bands[1])}
        )
    if baseline is not None:
        described.append(pgettext("pack scale", "baseline %(v)s") % {"v": number(baseline)})
    parts.append(f"<title>{escape(', '.join(described))}</title>")
    zones = _zones(direction, target, bands)
    if not zones:
        zones = [(None, None, "#c9d3df")]
    for start, end, colour in zones:
        x1 = PAD if start is None else x(start)
        x2 = W - PAD if end is None else x(end)
        parts.append(
            f'<rect x="{x1:.1f}" y="{BAR_Y}" width="{max(x2 - x1, 0):.1f}" height="{BAR_H}" '
            f'fill="{colour}" fill-opacity="0.85"/>'
        )
    for edge in bands:
        parts.append(
            f'<text x="{x(edge):.1f}" y="{BAR_Y + BAR_H + 11}" font-size="9" '
            f'text-anchor="middle" fill="#333">{escape(number(edge))}</text>'
        )
    if baseline is not None:
        bx = x(baseline)
        parts.append(
            f'<line x1="{bx:.1f}" y1="{BAR_Y - 4}" x2="{bx:.1f}" y2="{BAR_Y + BAR_H + 4}" '
            f'stroke="#333" stroke-width="1.5" stroke-dasharray="3 2"/>'
        )
        label = pgettext("pack scale", "baseline %(v)s") % {"v": number(baseline)}
        parts.append(
            f'<text x="{bx:.1f}" y="{BAR_Y + BAR_H + (22 if bands else 11)}" font-size="8.5" '
            f'text-anchor="middle" '
            f'fill="#333">{escape(label)}</text>'
        )
    if target is not None:
        tx = x(target)
        parts.append(
            f'<path d="M{tx - 6:.1f},{BAR_Y - 12} L{tx + 6:.1f},{BAR_Y - 12} L{tx:.1f},'
            f'{BAR_Y - 2} Z" fill="#111"/>'
        )
        parts.append(
            f'<line x1="{tx:.1f}" y1="{BAR_Y - 2}" x2="{tx:.1f}" y2="{BAR_Y + BAR_H}" '
            f'stroke="#111" stroke-width="2"/>'
        )
        value = f"{number(target)}{'' if unit in ('', '%') else ' '}{unit}"
        label = pgettext("pack scale", "target %(v)s") % {"v": value}
        anchor = "start" if tx < W / 3 else ("end" if tx > 2 * W / 3 else "middle")
        dx = 8 if anchor == "start" else (-8 if anchor == "end" else 0)
        parts.append(
            f'<text x="{tx + dx:.1f}" y="{BAR_Y - 15 if anchor == "middle" else BAR_Y - 4}" '
            f'font-size="10" font-weight="bold" text-anchor="{anchor}" '
            f'fill="#111">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return {"svg": mark_safe("".join(parts)), "text": ", ".join(described)}  # noqa: S308


DIRECTION_SIGNS = {Direction.HIGHER: "↑", Direction.LOWER: "↓", Direction.RANGE: "↔"}
