"""Figures quoted in free text, for training notes that go stale against their KPI's definition
(issue 17, item 26): a worked example saying "78 % is above the 75 % target" once the target is
80 %.

A figure is a number as people write it in English or Italian: ``75``, ``75 %``, ``75%``,
``78.5``, ``78,5 %``, ``1,200`` or ``1.200`` (thousands), ``1.234,5`` or ``1,234.5``. A
separator followed by exactly three digits may be a decimal point or a thousands separator
(``1.200`` is 1.2 in English and 1200 in Italian): such a figure stands for both values, so a
quote is never missed whichever convention its writer used. The unit is not compared: ``75``
in the notes quotes the ``75 %`` of a target.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Not after a letter or inside another number ("H1", "v1.2.3" after its first part), digits
# with "." or "," between groups, then an optional per cent sign (after a space, a no-break
# space or a narrow no-break space, as Italian typesetting puts it).
_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?:[ \u00a0\u202f]?%)?")
# A Markdown ordered-list marker at the start of a line ("1. Green: 80 % or more") is not a
# figure of the definition.
_LIST_MARKER = re.compile(r"^(\s*)\d+[.)](?=\s)", re.MULTILINE)


@dataclass(frozen=True)
class Figure:
    """A number as written (``raw``) and the values it may stand for."""

    raw: str
    values: frozenset[Decimal]


def _values(token: str) -> frozenset[Decimal]:
    parts = re.split(r"[.,]", token)
    seps = re.findall(r"[.,]", token)
    try:
        if not seps:
            return frozenset({Decimal(token)})
        if len(seps) == 1:
            head, tail = parts
            values = {Decimal(f"{head}.{tail}")}
            if len(tail) == 3 and 1 <= len(head) <= 3 and not head.startswith("0"):
                values.add(Decimal(head + tail))  # a thousands separator
            return frozenset(values)
        *groups, last = parts
        grouping = set(seps[:-1])
        if len(grouping) != 1:
            return frozenset()
        if all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
            whole = "".join(groups)
            if seps[-1] in grouping:  # 1.200.000: thousands all the way
                return frozenset({Decimal(whole + last)}) if len(last) == 3 else frozenset()
            return frozenset({Decimal(f"{whole}.{last}")})  # 1.234,5 or 1,234.5
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        pass
    return frozenset()  # a version number, a date written with dots: not a figure


def figures(text: str) -> list[Figure]:
    """Every figure in ``text``, in order."""
    found = []
    for match in _NUMBER.finditer(text or ""):
        values = _values(match.group(1))
        if values:
            found.append(Figure(raw=match.group(0), values=values))
    return found


def definition_values(texts: Iterable[str]) -> frozenset[Decimal]:
    """The values a definition's texts (target, thresholds, baseline) state, list markers
    left out."""
    values: set[Decimal] = set()
    for text in texts:
        for figure in figures(_LIST_MARKER.sub(r"\1", text or "")):
            values |= figure.values
    return frozenset(values)


def stale_quotes(notes: Iterable[str], *, before: Iterable[str], after: Iterable[str]) -> list[str]:
    """The figures, as first written in ``notes``, that the definition stated ``before`` and
    no longer states ``after`` (each value once, in order of appearance)."""
    gone = definition_values(before) - definition_values(after)
    if not gone:
        return []
    quoted: list[str] = []
    seen: set[Decimal] = set()
    for text in notes:
        for figure in figures(text):
            stale = figure.values & gone
            if stale and not stale <= seen:
                seen |= stale
                quoted.append(" ".join(figure.raw.split()))
    return quoted
