"""A KPI's live preview over a dataset version: the latest period's value, the last periods,
and the breakdown by each allowed dimension, from ONE aggregate query (grouping sets) in the
DuckDB sandbox. Aggregates only: no row ever leaves this module, and a breakdown cell of fewer
than ``MIN_ROWS`` rows is withheld (its value could point at one contact).

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

from kpiworkshop.workshops.models import Participant

from . import engine
from .definition import SPEC_VERSION, Definition
from .models import DatasetVersion, KpiDefinition, VersionStatus
from .permissions import can_preview

MIN_ROWS = 3
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


def preview_query(definition: Definition, *, known: set[str]) -> str:
    period = definition.period()
    dims = [exp.column(d, quoted=True) for d in definition.dimensions]
    select: list[exp.Expression] = [exp.alias_(period.copy(), "period")]
    for i, d in enumerate(dims):
        select.append(exp.alias_(exp.cast(d.copy(), "VARCHAR"), f"d_{i}"))
        select.append(exp.alias_(exp.Grouping(expressions=[d.copy()]), f"g_{i}"))
    select += definition.value_columns(known=known)
    sets: list[exp.Expression] = [exp.paren(period.copy())]
    sets += [exp.Tuple(expressions=[period.copy(), d.copy()]) for d in dims]
    query = exp.select(*select).from_(exp.to_table("ds"))
    cond = definition.condition(known=known)
    if cond is not None:
        query = query.where(cond)
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=sets)]))
    return query.sql(dialect="duckdb")


def preview_compute(
    *, definition: Definition, version: DatasetVersion, periods: int = 6
) -> dict[str, Any]:
    """The preview as plain data (cacheable). ``computable`` is False with ``missing`` and
    ``empty`` naming the columns when the data cannot give the KPI."""
    by_name = {c["name"].casefold(): c for c in version.columns}
    needed = sorted(definition.columns())
    missing = [n for n in needed if n.casefold() not in by_name]
    empty = [n for n in needed if n.casefold() in by_name and not by_name[n.casefold()]["non_null"]]
    result: dict[str, Any] = {
        "computable": not missing and not empty,
        "missing": missing,
        "empty": empty,
        "version_id": version.pk,
        "grain": definition.grain,
        "latest": None,
        "series": [],
        "breakdowns": {},
    }
    if missing or empty:
        return result
    known = {c["name"] for c in version.columns}
    sql = preview_query(definition, known=known)
    with engine.sandbox(parquet_path(version)) as con:
        rows = engine.query(con, sql)
    k = len(definition.dimensions)
    series: dict[str, dict[str, Any]] = {}
    cells: list[tuple[int, str, Any, tuple]] = []
    for row in rows:
        period = _iso(row[0])
        flags = [row[2 + 2 * i] for i in range(k)]
        num, den, n = row[1 + 2 * k :]
        point = {
            "numerator": num,
            "denominator": den,
            "rows": n,
            "value": _value(num, den, definition.scale),
        }
        if all(flags):
            series[period] = {"period": period, **point}
        else:
            i = flags.index(0)
            cells.append((i, period, row[1 + 2 * i], point))
    ordered = [series[p] for p in sorted(series)][-periods:]
    result["series"] = _plain(ordered)
    if not ordered:
        return result
    latest = ordered[-1]
    result["latest"] = _plain(latest)
    for i, name in enumerate(definition.dimensions):
        mine = [(v, p) for j, per, v, p in cells if j == i and per == latest["period"]]
        mine.sort(key=lambda vp: (-(vp[1]["rows"] or 0), str(vp[0])))
        shown = []
        for value, point in mine[:MAX_CATEGORIES]:
            item = {"value_label": value, **point}
            if (point["rows"] or 0) < MIN_ROWS:
                item.update(value=None, numerator=None, denominator=None, suppressed=True)
            shown.append(item)
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
    *, actor: Participant | None, kpi_definition: KpiDefinition, periods: int = 6
) -> dict[str, Any]:
    """The preview of one revision's definition over its dataset's current version, for a
    viewer of the workshop (aggregates only). Raises ``PermissionDenied`` for anyone else.
    A computation stopped by the sandbox comes back as ``error`` (a translated message) and
    is not cached."""
    workshop = kpi_definition.revision.proposal.workshop
    dataset = kpi_definition.dataset
    if (
        not can_preview(actor, workshop, dataset.organisation_id)
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
