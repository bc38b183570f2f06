"""Numbers as a reader sees them: in their locale's notation, without the trailing zeros a
``DecimalField`` keeps ("38.5000" is shown "38.5", or "38,5" in Italian). The one helper for
every page, fragment and text that shows a stored number (template filter ``number``)."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format


def number_shown(value) -> str:
    """``value`` (Decimal, int, float; None gives "") in the active language's notation, with
    no trailing zeros and never in exponent form (100.0000 is "100", not "1E+2")."""
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not number.is_finite():
        return str(value)
    number = number.normalize()
    if number == 0:
        number = Decimal(0)  # not "-0"
    elif number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return number_format(number)


# Numbers read from a KPI's words (baseline, target, thresholds), for the catalogue's charts
# and the PDF pack's target scale.
_NUMBER = re.compile(r"(?<!\d)-?\d+(?:[.,]\d+)?")


def first_number(text) -> Decimal | None:
    """The first number in a free-text field ("78%", "under 4 min", "≥ 80,5")."""
    match = _NUMBER.search(str(text or ""))
    return Decimal(match.group().replace(",", ".")) if match else None


def threshold_numbers(text) -> list[Decimal]:
    """Up to two numbers from the thresholds text, as band edges (low, high)."""
    found = [Decimal(m.replace(",", ".")) for m in _NUMBER.findall(str(text or ""))]
    return sorted(found[:2])


def number_parse(text) -> Decimal | None:
    """A number as a reader types it in their locale's notation ("85,5" or "1.234,5" in
    Italian, "85.5" or "1,234.5" in English; a trailing "%" and spaces are ignored), or None
    when it is not one. The other notation's decimal mark is accepted too when it cannot be
    a thousands separator (not followed by exactly three digits), so "85.5" reads as 85,5 in
    Italian while "1.234" reads as one thousand two hundred and thirty-four."""
    from django.utils.formats import get_format

    raw = str(text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    raw = raw.rstrip("%").strip()
    if not raw or len(raw) > 40:
        return None
    decimal_mark = str(get_format("DECIMAL_SEPARATOR")) or "."
    group_mark = "," if decimal_mark == "." else "."
    if raw.count(decimal_mark) > 1:
        return None
    if group_mark in raw:
        whole = raw.split(decimal_mark)[0]
        groups = whole.split(group_mark)[1:]
        if decimal_mark not in raw and len(groups) == 1 and len(groups[0]) != 3:
            raw = raw.replace(group_mark, ".")  # the other notation's decimal mark
            decimal_mark = "."
        elif group_mark not in raw.split(decimal_mark)[-1] or decimal_mark not in raw:
            if not all(len(g) == 3 and g.isdigit() for g in groups):
                return None
            raw = raw.replace(group_mark, "")
        else:
            return None
    raw = raw.replace(decimal_mark, ".")
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        return None
    return number
