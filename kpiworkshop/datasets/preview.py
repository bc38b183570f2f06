"""A KPI's live preview over a dataset version: the latest period's value, the last periods,
and the breakdown of the latest period by each allowed dimension, from two aggregate queries
(the second with one grouping set per dimension) in the DuckDB sandbox. Aggregates only: no
row ever leaves this module, and a breakdown cell of fewer than ``MIN_ROWS`` rows is withheld
(its value could point at one contact).

Results are cached per (definition revision, dataset version): both are immutable, so an entry
never goes stale. The key starts with the organisation's id and the service checks that the
definition, its dataset and the workshop all belong to that organisation, so no cached preview
can be served across organisations.
"""

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from sqlglot import exp

from kpiworkshop.accounts.models import Membership
from kpiworkshop.workshops.models import Participant

from . import engine
from .definition import SPEC_VERSION, Definition
from .models import DatasetVersion, KpiDefinition, VersionStatus
from .permissions import can_preview

MIN_ROWS = 3
NUMBER_AGGREGATIONS = {"sum", "avg", "median", "p90"}
MAX_CATEGORIES = 20
CACHE_SECONDS = 24 * 3600

NOT_COMPUTABLE = _("Not computable with today's data")


def parquet_path(version: DatasetVersion) -> str:
    """A local path DuckDB can read: the storage's own file, or a copy kept in the temporary
    directory for storages without local files (S3)."""
    try:
        return default_storage.path(version.file.name)
    except NotImplementedError:
        local = Path(tempfile.gettempdir()) / "kpiw-datasets" / version.file.name
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            part = local.with_suffix(".part")
            with default_storage.open(version.file.name, "rb") as src, part.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            part.replace(local)
        return str(local)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _value(num: Any, den: Any, scale: float) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return float(num) / float(den) * scale


def _shift(day: dt.date, grain: str, steps: int) -> dt.date:
    """The start of the period ``steps`` grains from ``day`` (itself a period start)."""
    if grain == "day":
        return day + dt.timedelta(days=steps)
    if grain == "week":
        return day + dt.timedelta(weeks=steps)
    months = steps * (3 if grain == "quarter" else 1)
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _between(definition: Definition, start: dt.date, end: dt.date | None) -> exp.Expression:
    """The time column within [start, end): a range on the raw column, so Parquet row groups
    outside it are skipped."""
    col = exp.column(definition.time_column, quoted=True)
    cond: exp.Expression = exp.GTE(this=col, expression=exp.cast(exp.convert(str(start)), "DATE"))
    if end is not None:
        upper = exp.LT(this=col.copy(), expression=exp.cast(exp.convert(str(end)), "DATE"))
        cond = exp.and_(cond, upper)
    return cond


def latest_query(definition: Definition) -> str:
    """The dataset's latest period: from the Parquet statistics, no scan."""
    trunc = exp.DateTrunc(
        unit=exp.Literal.string(definition.grain),
        this=exp.Max(this=exp.column(definition.time_column, quoted=True)),
    )
    return (
        exp.select(exp.cast(trunc, "DATE"))
        .from_(exp.to_table("ds"))
        .sql(dialect="duckdb", comments=False)
    )


def series_query(definition: Definition, *, known: set[str], start: dt.date) -> str:
    """Numerator, denominator and rows per period since ``start``."""
    query = definition.select(known=known)
    return query.where(_between(definition, start, None)).sql(dialect="duckdb", comments=False)


def breakdown_query(
    definition: Definition, *, known: set[str], start: dt.date, end: dt.date
) -> str:
    """One period's values by each dimension: one scan, one grouping set per dimension."""
    dims = [exp.column(d, quoted=True) for d in definition.dimensions]
    select: list[exp.Expression] = []
    for i, d in enumerate(dims):
        select.append(exp.alias_(exp.cast(d.copy(), "VARCHAR"), f"d_{i}"))
        select.append(exp.alias_(exp.Grouping(expressions=[d.copy()]), f"g_{i}"))
    select += definition.value_columns(known=known)
    cond = _between(definition, start, end)
    extra = definition.condition(known=known)
    if extra is not None:
        cond = exp.and_(cond, extra)
    query = exp.select(*select).from_(exp.to_table("ds")).where(cond)
    sets = [exp.paren(d.copy()) for d in dims]
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=sets)]))
    return query.sql(dialect="duckdb", comments=False)


def computability(definition: Definition, version: DatasetVersion) -> dict[str, Any]:
    """Whether the version's columns can give the definition: ``computable``, and ``missing``,
    ``empty`` and ``not_numbers`` naming the columns when not (a time column that holds no
    dates counts as missing; a sum, average, median or percentile needs numbers)."""
    by_name = {c["name"].casefold(): c for c in version.columns}
    needed = sorted(definition.columns())
    missing = [n for n in needed if n.casefold() not in by_name]
    time_col = by_name.get(definition.time_column.casefold())
    if time_col is not None and time_col.get("family", "time") != "time":
        missing.append(definition.time_column)
    empty = [n for n in needed if n.casefold() in by_name and not by_name[n.casefold()]["non_null"]]
    numeric = [
        m.column
        for m in (definition.numerator, definition.denominator)
        if m is not None and m.column and m.agg in NUMBER_AGGREGATIONS
    ]
    not_numbers = sorted(
        {
            n
            for n in numeric
            if n.casefold() in by_name and by_name[n.casefold()].get("family", "number") != "number"
        }
    )
    return {
        "computable": not missing and not empty and not not_numbers,
        "missing": missing,
        "empty": empty,
        "not_numbers": not_numbers,
    }


def preview_compute(
    *, definition: Definition, version: DatasetVersion, periods: int = 6
) -> dict[str, Any]:
    """The preview as plain data (cacheable). ``computable`` is False with ``missing`` and
    ``empty`` naming the columns when the data cannot give the KPI (a time column that holds
    no dates counts as missing), and ``not_numbers`` the columns a sum, average, median or
    percentile reads that hold something else.

    Two aggregate queries: the last ``periods`` periods (a range on the time column, so only
    those row groups are read), then the latest period by each dimension."""
    result = computability(definition, version) | {
        "version_id": version.pk,
        "grain": definition.grain,
        "latest": None,
        "series": [],
        "breakdowns": {},
    }
    if not result["computable"]:
        return result
    known = {c["name"] for c in version.columns}
    scale = definition.scale
    with engine.sandbox(parquet_path(version)) as con:
        [(last,)] = engine.query(con, latest_query(definition))
        if last is None:
            return result
        start = _shift(last, definition.grain, -(periods - 1))
        series = [
            {
                "period": _iso(p),
                "numerator": num,
                "denominator": den,
                "rows": n,
                "value": _value(num, den, scale),
            }
            for p, num, den, n in engine.query(
                con, series_query(definition, known=known, start=start)
            )
        ][-periods:]
        if not series:
            return result
        latest = series[-1]
        first = dt.date.fromisoformat(latest["period"])
        k = len(definition.dimensions)
        rows = []
        if k:
            sql = breakdown_query(
                definition, known=known, start=first, end=_shift(first, definition.grain, 1)
            )
            rows = engine.query(con, sql)
    result["series"] = _plain(series)
    result["latest"] = _plain(latest)
    for i, name in enumerate(definition.dimensions):
        cells = []
        for row in rows:
            if row[1 + 2 * i] != 0:  # not this dimension's grouping set
                continue
            num, den, n = row[2 * k :]
            cells.append(
                {
                    "value_label": row[2 * i],
                    "numerator": num,
                    "denominator": den,
                    "rows": n,
                    "value": _value(num, den, scale),
                }
            )
        cells.sort(key=lambda c: (-(c["rows"] or 0), str(c["value_label"])))
        shown = []
        for cell in cells[:MAX_CATEGORIES]:
            if (cell["rows"] or 0) < MIN_ROWS:
                cell.update(value=None, numerator=None, denominator=None, suppressed=True)
            shown.append(cell)
        result["breakdowns"][name] = _plain(shown)
    return result


def _plain(data: Any) -> Any:
    """Decimals and numpy-free DuckDB numbers to JSON-friendly floats and ints."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, bool | int | float | str) or data is None:
        return data
    return float(data)


def cache_key(kpi_definition: KpiDefinition, version: DatasetVersion, periods: int) -> str:
    return (
        f"datasets:preview:{SPEC_VERSION}:{kpi_definition.organisation_id}:"
        f"{kpi_definition.revision_id}:{version.pk}:{periods}"
    )


def definition_preview(
    *,
    actor: Participant | None,
    kpi_definition: KpiDefinition,
    periods: int = 6,
    membership: Membership | None = None,
) -> dict[str, Any]:
    """The preview of one revision's definition over its dataset's current version, for a
    viewer of the workshop (aggregates only). Raises ``PermissionDenied`` for anyone else.
    A computation stopped by the sandbox comes back as ``error`` (a translated message) and
    is not cached."""
    workshop = kpi_definition.revision.proposal.workshop
    dataset = kpi_definition.dataset
    if (
        not can_preview(actor, workshop, dataset.organisation_id, membership)
        or kpi_definition.organisation_id != workshop.organisation_id
    ):
        raise PermissionDenied
    periods = max(1, min(int(periods), 36))
    version = dataset.current_version
    if version is None or version.status != VersionStatus.READY:
        return {"computable": False, "missing": [], "empty": [], "no_data": True}
    key = cache_key(kpi_definition, version, periods)
    cached = cache.get(key)
    if cached is not None:
        return cached
    definition = Definition.from_dict(kpi_definition.spec)
    try:
        result = preview_compute(definition=definition, version=version, periods=periods)
    except engine.QueryFailed as exc:
        return {"computable": False, "missing": [], "empty": [], "error": str(exc)}
    cache.set(key, result, CACHE_SECONDS)
    return result
