"""The period of a measured value, shaped by the KPI's frequency (issue 17, item 3).

A monthly KPI's period is a month, a weekly one's an ISO week, a quarterly one's a quarter, a
daily (or real-time, or unstated) one's a day. Each is stored as its first day, so one value per
month (week, quarter) is what the unique key enforces. The entry form offers the browser input
that fits (``type=month``, ``type=week``, a list of quarters, ``type=date``); the server reads
what those inputs send (``2026-11``, ``2026-W48``, ``2026-Q4``, ``2026-11-30``), whichever kind
the KPI has, and also a date typed in the reader's own format (``30/11/2026`` in Italian or
British English), since a browser without month or week pickers shows a plain text box.
"""

import datetime
import re

from django.utils.dates import MONTHS, MONTHS_3
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _

#: A value may be entered for a period up to this many days ahead (a month being closed early).
FUTURE_DAYS = 31
DAY, WEEK, MONTH, QUARTER = "date", "week", "month", "quarter"
KIND_OF_FREQUENCY = {
    "realtime": DAY,
    "daily": DAY,
    "weekly": WEEK,
    "monthly": MONTH,
    "quarterly": QUARTER,
}

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_LOCAL = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_QUARTER_LOCAL = re.compile(r"^[QT]([1-4])[\s/\-]*(\d{4})$", re.IGNORECASE)
_MONTH_NAME = re.compile(r"^([^\W\d_]+)\.?\s+(\d{4})$")


def period_kind(frequency: str | None) -> str:
    """The kind of period a KPI of this frequency is measured over (a day when unstated)."""
    return KIND_OF_FREQUENCY.get(frequency or "", DAY)


def period_start(day: datetime.date, kind: str) -> datetime.date:
    """The first day of the period of this kind that holds ``day``."""
    if kind == MONTH:
        return day.replace(day=1)
    if kind == WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if kind == QUARTER:
        return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return day


def period_value(day: datetime.date, kind: str) -> str:
    """What the browser input of this kind holds for the period of ``day``."""
    if kind == MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    if kind == WEEK:
        year, week, _weekday = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if kind == QUARTER:
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return day.isoformat()


def period_label(day: datetime.date, kind: str) -> str:
    """The period as the reader says it, in the active language: "November 2026", "Q4 2026",
    "Week 48, 2026", "30 Nov 2026" (never an ambiguous 11/30/2026)."""
    if kind == MONTH:
        return date_format(day, "YEAR_MONTH_FORMAT")
    if kind == WEEK:
        year, week, _weekday = day.isocalendar()
        return _("Week %(w)d, %(y)d") % {"w": week, "y": year}
    if kind == QUARTER:
        return _("Q%(q)d %(y)d") % {"q": (day.month - 1) // 3 + 1, "y": day.year}
    return date_format(day, "DATE_FORMAT")


def _month_number(name: str) -> int | None:
    name = name.lower()
    for names in (MONTHS, MONTHS_3):
        for number, label in names.items():
            if str(label).lower() == name:
                return number
    return None


_SPAN = {DAY: 0, WEEK: 1, MONTH: 2, QUARTER: 3}


def _parse(text: str) -> tuple[datetime.date, str] | None:
    """(first day, kind of period named) for ``text``, or None."""
    try:
        if m := _MONTH.match(text):
            return datetime.date(int(m[1]), int(m[2]), 1), MONTH
        if m := _WEEK.match(text):
            return datetime.date.fromisocalendar(int(m[1]), int(m[2]), 1), WEEK
        if m := _QUARTER.match(text):
            return datetime.date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1), QUARTER
        if m := _QUARTER_LOCAL.match(text):
            return datetime.date(int(m[2]), (int(m[1]) - 1) * 3 + 1, 1), QUARTER
        if m := _MONTH_LOCAL.match(text):
            return datetime.date(int(m[2]), int(m[1]), 1), MONTH
        if (m := _MONTH_NAME.match(text)) and (month := _month_number(m[1])):
            return datetime.date(int(m[2]), month, 1), MONTH
        return datetime.date.fromisoformat(text), DAY
    except ValueError:
        pass
    for fmt in get_format("DATE_INPUT_FORMATS"):
        try:
            return datetime.datetime.strptime(text, fmt).date(), DAY
        except ValueError:
            continue
    return None


def parse_period_text(text: str, kind: str = DAY) -> datetime.date | None:
    """The first day of the period ``text`` names, or None. ISO forms of every kind, then the
    active language's date formats and "11/2026" / "November 2026" for a month. A period
    longer than the KPI's is refused (a month for a weekly KPI names no one week), except a
    month for a daily KPI, read as its first day as it always was."""
    found = _parse(" ".join(str(text or "").split()))
    if found is None:
        return None
    day, named = found
    if kind != DAY and _SPAN[named] > _SPAN[kind]:
        return None
    if kind == DAY and named not in (DAY, MONTH):
        return None
    return day


def period_error(text: str, kind: str) -> str:
    """What to say when ``text`` names no period of this kind."""
    shown = str(text or "")[:40]
    if kind == MONTH:
        return _("“%(v)s” is not a month: choose one, or write it as year-month (2026-11).") % {
            "v": shown
        }
    if kind == WEEK:
        return _("“%(v)s” is not a week: choose one, or write it as year-W-week (2026-W48).") % {
            "v": shown
        }
    if kind == QUARTER:
        return _("“%(v)s” is not a quarter: choose one from the list.") % {"v": shown}
    return _("“%(v)s” is not a date: choose a day, or write it as year-month-day (2026-11-30).") % {
        "v": shown
    }


def recent_quarters(today: datetime.date, *, ahead_days: int, count: int = 20) -> list:
    """(value, label) for the quarters a value may be entered for, newest first: from the one
    starting within ``ahead_days`` of ``today`` back over ``count`` quarters."""
    first = period_start(today + datetime.timedelta(days=ahead_days), QUARTER)
    out = []
    year, month = first.year, first.month
    for _i in range(count):
        day = datetime.date(year, month, 1)
        out.append((period_value(day, QUARTER), period_label(day, QUARTER)))
        month -= 3
        if month < 1:
            month += 12
            year -= 1
    return out
