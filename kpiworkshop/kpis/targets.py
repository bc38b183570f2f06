"""Dated targets with red / amber / green bands (issue 20, item 4).

A KPI definition (one ``Revision``) may carry targets per period, a year or a quarter, each
with bands relative to the target: "amber below 95 % of the target, red below 90 %" for a KPI
where higher is better, the mirrored "amber above 105 %, red above 110 %" where lower is
better. They are one definition field, ``targets``: a list of dicts, stored as

    {"period_kind": "year" | "quarter", "period_start": "2027-01-01",
     "value": "85", "amber_pct": "95", "red_pct": "90"}

(numbers as decimal strings, so JSON keeps them exact; the two percentages may be null: a
target without bands). ``targets_validate`` is the one check (the services call it on every
revision and suggestion); the form reads the same list from lines of text in the reader's
notation (``targets_parse``), and every page, diff and export words it with ``targets_text`` /
``target_rows``.
"""

import datetime
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kpiworkshop.core.numbers import number_parse, number_shown

YEAR, QUARTER = "year", "quarter"
KINDS = (YEAR, QUARTER)
#: More than this many periods is not a target plan but a data load: refused.
MAX_TARGETS = 40
GREEN, AMBER, RED = "green", "amber", "red"

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*[-/ ]?\s*[QT]\s*([1-4])$", re.IGNORECASE)
_QUARTER_FIRST = re.compile(r"^[QT]\s*([1-4])\s*[-/ ]?\s*(\d{4})$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*[;|\t]\s*")


@dataclass(frozen=True)
class Target:
    kind: str
    start: datetime.date
    value: Decimal
    amber_pct: Decimal | None
    red_pct: Decimal | None

    @property
    def end(self) -> datetime.date:
        """The period's last day."""
        if self.kind == YEAR:
            return datetime.date(self.start.year, 12, 31)
        month = self.start.month + 3
        year = self.start.year + (month > 12)
        return datetime.date(year, (month - 1) % 12 + 1, 1) - datetime.timedelta(days=1)

    @property
    def period(self) -> str:
        """The period as typed: ``2027`` or ``2027-Q1``."""
        if self.kind == YEAR:
            return str(self.start.year)
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        """The period in the reader's language: "2027", "Q1 2027" ("T1 2027" in Italian)."""
        if self.kind == YEAR:
            return str(self.start.year)
        return _("Q%(q)d %(y)d") % {"q": (self.start.month - 1) // 3 + 1, "y": self.start.year}

    def edge(self, pct: Decimal | None) -> Decimal | None:
        """The value at ``pct`` % of the target (a band's edge)."""
        return None if pct is None else self.value * pct / 100

    def as_dict(self) -> dict:
        return {
            "period_kind": self.kind,
            "period_start": self.start.isoformat(),
            "value": _plain(self.value),
            "amber_pct": None if self.amber_pct is None else _plain(self.amber_pct),
            "red_pct": None if self.red_pct is None else _plain(self.red_pct),
        }


def _plain(number: Decimal) -> str:
    """A decimal as JSON keeps it: no exponent, no trailing zeros ("85", "92.5")."""
    number = number.normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return format(number, "f")


def period_read(text: str) -> tuple[str, datetime.date] | None:
    """``2027`` (a year), ``2027-Q1``, ``Q1 2027`` or ``T1 2027`` (a quarter, "trimestre")."""
    text = (text or "").strip()
    if match := _YEAR.match(text):
        return YEAR, datetime.date(int(match[1]), 1, 1)
    if match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
    elif match := _QUARTER_FIRST.match(text):
        quarter, year = int(match[1]), int(match[2])
    else:
        return None
    return QUARTER, datetime.date(year, 3 * quarter - 2, 1)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("Targets: “%(v)s” is not a number.") % {"v": str(value)[:40]}
        ) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        raise ValidationError(_("Targets: “%(v)s” is not a number.") % {"v": str(value)[:40]})
    return number


def targets_of(stored) -> list[Target]:
    """The stored list as ``Target`` objects, in period order. Tolerant: it reads what
    ``targets_validate`` wrote, and skips anything else rather than failing a page."""
    out = []
    for item in stored or []:
        try:
            kind = item["period_kind"]
            start = datetime.date.fromisoformat(item["period_start"])
            value = _decimal(item["value"])
            amber, red = _decimal(item.get("amber_pct")), _decimal(item.get("red_pct"))
        except (KeyError, TypeError, ValueError, ValidationError):
            continue
        if kind in KINDS and value is not None:
            out.append(Target(kind, start, value, amber, red))
    return sorted(out, key=lambda t: (t.start, t.kind))


def targets_validate(stored, *, direction: str | None = "") -> list[dict]:
    """Check a list of targets (as stored, or as the form read them) and return it in its
    stored form, in period order (``direction`` None: the bands' order is not checked yet,
    the caller does not know the KPI's direction). Raises ``ValidationError`` with every
    problem found, each naming its period: an unknown period, a missing or non-positive
    target, amber and red not on the same side of the target in the KPI's direction, periods
    that overlap."""
    if stored in (None, ""):
        return []
    if not isinstance(stored, list):
        raise ValidationError(_("Targets: write one target per line."))
    if len(stored) > MAX_TARGETS:
        raise ValidationError(_("Targets: at most %(n)d periods.") % {"n": MAX_TARGETS})
    errors: list[str] = []
    targets: list[Target] = []
    for item in stored:
        if not isinstance(item, dict):
            raise ValidationError(_("Targets: write one target per line."))
        kind, start = item.get("period_kind"), item.get("period_start")
        try:
            start = datetime.date.fromisoformat(str(start))
        except ValueError:
            start = None
        if kind not in KINDS or start is None or start.day != 1:
            errors.append(_("Targets: a period is a year (2027) or a quarter (2027-Q1)."))
            continue
        if (kind == YEAR and start.month != 1) or (kind == QUARTER and start.month % 3 != 1):
            errors.append(_("Targets: a period is a year (2027) or a quarter (2027-Q1)."))
            continue
        try:
            value = _decimal(item.get("value"))
            amber, red = _decimal(item.get("amber_pct")), _decimal(item.get("red_pct"))
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        target = Target(kind, start, value or Decimal(0), amber, red)
        problem = _target_problem(target, value, direction)
        if problem:
            errors.append(problem)
            continue
        targets.append(target)
    targets.sort(key=lambda t: (t.start, t.kind))
    for before, after in itertools.pairwise(targets):
        if after.start <= before.end:
            errors.append(
                _("Targets: %(a)s and %(b)s overlap; give each period one target.")
                % {"a": before.label, "b": after.label}
            )
    if errors:
        raise ValidationError(list(dict.fromkeys(errors)))
    return [t.as_dict() for t in targets]


def _target_problem(target: Target, value, direction: str) -> str:
    period = target.label
    if value is None:
        return _("Targets: %(p)s has no target value.") % {"p": period}
    if value <= 0:
        # The bands are percentages of the target: they mean nothing around zero.
        return _("Targets: the target for %(p)s must be above zero.") % {"p": period}
    amber, red = target.amber_pct, target.red_pct
    if direction is None:
        direction = "any"
    for pct in (amber, red):
        if pct is not None and not (0 < pct < 1000):
            return _("Targets: a band is a percentage of the target between 0 and 1000.")
    if amber is None or red is None:
        if amber is not None or red is not None:
            return _("Targets: give %(p)s both the amber and the red band, or neither.") % {
                "p": period
            }
        return ""
    if direction == "any":
        return ""
    if direction == "lower":
        if not (100 <= amber <= red):
            return _(
                "Targets: lower is better, so %(p)s needs 100 ≤ amber ≤ red "
                "(e.g. amber above 105 %%, red above 110 %%)."
            ) % {"p": period}
    elif direction == "higher" or not direction:
        if not (red <= amber <= 100):
            return _(
                "Targets: higher is better, so %(p)s needs red ≤ amber ≤ 100 "
                "(e.g. amber below 95 %%, red below 90 %%)."
            ) % {"p": period}
    else:
        return _("Targets: bands need a direction (higher or lower is better).")
    return ""


def targets_parse(text: str) -> list[dict]:
    """The form's lines, one period each, fields separated by ";" (or "|", or a tab):
    ``period; target; amber %; red %`` — ``2027-Q1; 85,5; 95; 90``, numbers in the reader's
    notation, bands optional. Raises ``ValidationError`` naming each bad line; the direction
    is checked afterwards by ``targets_validate``."""
    out: list[dict] = []
    errors: list[str] = []
    lines = [line.strip() for line in (text or "").splitlines()]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        parts = _SEPARATORS.split(line)
        if len(parts) not in (2, 4):
            errors.append(
                _("Line %(n)d: write period; target; amber %%; red %%, e.g. 2027-Q1; 85; 95; 90.")
                % {"n": number}
            )
            continue
        period = period_read(parts[0])
        if period is None:
            errors.append(
                _("Line %(n)d: “%(p)s” is not a year (2027) or a quarter (2027-Q1).")
                % {"n": number, "p": parts[0][:20]}
            )
            continue
        numbers = [number_parse(p) for p in parts[1:]]
        bad = [p for p, n in zip(parts[1:], numbers, strict=True) if n is None]
        if bad:
            errors.append(
                _("Line %(n)d: “%(v)s” is not a number.") % {"n": number, "v": bad[0][:20]}
            )
            continue
        kind, start = period
        out.append(
            {
                "period_kind": kind,
                "period_start": start.isoformat(),
                "value": _plain(numbers[0]),
                "amber_pct": _plain(numbers[1]) if len(numbers) == 3 else None,
                "red_pct": _plain(numbers[2]) if len(numbers) == 3 else None,
            }
        )
    if errors:
        raise ValidationError(errors)
    return out


def targets_lines(stored) -> str:
    """The stored list as the form's lines, in the reader's notation (``targets_parse``'s
    inverse)."""
    lines = []
    for t in targets_of(stored):
        parts = [t.period, number_shown(t.value)]
        if t.amber_pct is not None:
            parts += [number_shown(t.amber_pct), number_shown(t.red_pct)]
        lines.append("; ".join(parts))
    return "\n".join(lines)


def targets_text(stored) -> str:
    """The targets in words, one period per line, for diffs, changelogs and tabular exports:
    "2027: 85 (amber at 95 %, red at 90 % of the target)"."""
    lines = []
    for t in targets_of(stored):
        if t.amber_pct is None:
            lines.append(f"{t.label}: {number_shown(t.value)}")
        else:
            lines.append(
                _("%(p)s: %(v)s (amber at %(a)s %%, red at %(r)s %% of the target)")
                % {
                    "p": t.label,
                    "v": number_shown(t.value),
                    "a": number_shown(t.amber_pct),
                    "r": number_shown(t.red_pct),
                }
            )
    return "\n".join(lines)


def target_at(targets: list[Target], day: datetime.date) -> Target | None:
    """The target whose period holds ``day`` (periods never overlap)."""
    for t in targets:
        if t.start <= day <= t.end:
            return t
    return None


def band_of(value: Decimal, target: Target | None, direction: str) -> str | None:
    """GREEN, AMBER or RED for a measured value against its period's target, in the KPI's
    direction; None without a target or without bands. A value exactly on an edge is in the
    better band ("amber below 95 %": 95 % is green)."""
    if target is None or target.amber_pct is None or target.red_pct is None:
        return None
    amber, red = target.edge(target.amber_pct), target.edge(target.red_pct)
    if direction == "lower":
        return RED if value > red else AMBER if value > amber else GREEN
    if direction in ("higher", ""):
        return RED if value < red else AMBER if value < amber else GREEN
    return None


def band_label(band: str | None) -> str:
    return {GREEN: _("green"), AMBER: _("amber"), RED: _("red")}.get(band or "", "")


@dataclass
class TargetRow:
    period: str
    value: Decimal
    amber: Decimal | None  # the band edge as a value of the KPI (not a percentage)
    red: Decimal | None
    amber_pct: Decimal | None
    red_pct: Decimal | None


def target_rows(stored) -> list[TargetRow]:
    """One row per period for the catalogue's table: period, target, and each band's edge as a
    value of the KPI (95 % of 80 is 76), with the percentage it comes from."""
    return [
        TargetRow(
            t.label,
            t.value,
            t.edge(t.amber_pct),
            t.edge(t.red_pct),
            t.amber_pct,
            t.red_pct,
        )
        for t in targets_of(stored)
    ]


def _json_number(number: Decimal | None):
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def targets_export(stored, *, direction: str = "") -> list[dict]:
    """The targets for exports (JSON, dbt ``meta``, OpenMetadata extension, API): plain JSON
    numbers, each period named and dated, and which side of the target the bands lie
    (``bands``: "below" when higher is better, "above" when lower is)."""
    side = "above" if direction == "lower" else "below"
    return [
        {
            "period": t.period,
            "period_kind": t.kind,
            "period_start": t.start.isoformat(),
            "period_end": t.end.isoformat(),
            "target": _json_number(t.value),
            "amber_pct": _json_number(t.amber_pct),
            "red_pct": _json_number(t.red_pct),
            "amber_edge": _json_number(t.edge(t.amber_pct)),
            "red_edge": _json_number(t.edge(t.red_pct)),
            "bands": side if t.amber_pct is not None else None,
        }
        for t in targets_of(stored)
    ]


def targets_cell(exported: list[dict]) -> str:
    """``targets_export``'s list in one spreadsheet cell: "2027: 85 (amber below 95 %, red
    below 90 %) | 2028: 88"."""
    out = []
    for t in exported or []:
        text = f"{t['period']}: {number_shown(t['target'])}"
        if t.get("bands") == "above":
            text += " " + _("(amber above %(a)s %%, red above %(r)s %%)") % {
                "a": number_shown(t["amber_pct"]),
                "r": number_shown(t["red_pct"]),
            }
        elif t.get("bands") == "below":
            text += " " + _("(amber below %(a)s %%, red below %(r)s %%)") % {
                "a": number_shown(t["amber_pct"]),
                "r": number_shown(t["red_pct"]),
            }
        out.append(text)
    return " | ".join(out)
