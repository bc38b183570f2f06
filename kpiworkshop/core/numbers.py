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
