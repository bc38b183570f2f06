"""A KPI's measured values over a whole dataset version: every period, overall and by each
allowed dimension, for the catalogue's measured values (the catalogue app writes them). One
aggregate query per KPI (one grouping set for the total and one per dimension), all KPIs of a
version in one DuckDB sandbox. Aggregates only, and a breakdown cell of fewer than
``preview.MIN_ROWS`` rows is left out, as in the preview."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from . import engine
from .definition import Definition
from .models import DatasetVersion
from .preview import MIN_ROWS, _value, computability, parquet_path


@dataclass(frozen=True)
class Value:
    period: dt.date
    dimension: str  # "" for the total
    label: str  # the dimension's value ("" for the total)
    value: float
    rows: int


def values_query(definition: Definition, *, known: set[str]) -> str:
    """Every period's value, overall and by each dimension, in one scan."""
    period = definition.period()
    dims = [exp.column(d, quoted=True) for d in definition.dimensions]
    select: list[exp.Expression] = [exp.alias_(period.copy(), "period")]
    for i, d in enumerate(dims):
        select.append(exp.alias_(exp.cast(d.copy(), "VARCHAR"), f"d_{i}"))
        select.append(exp.alias_(exp.Grouping(expressions=[d.copy()]), f"g_{i}"))
    select += definition.value_columns(known=known)
    query = exp.select(*select).from_(exp.to_table("ds"))
    cond = definition.condition(known=known)
    if cond is not None:
        query = query.where(cond)
    sets = [exp.Tuple(expressions=[period.copy()])]
    sets += [exp.Tuple(expressions=[period.copy(), d.copy()]) for d in dims]
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=sets)]))
    return query.sql(dialect="duckdb", comments=False)


def _rows(definition: Definition, con: Any, known: set[str]) -> list[Value]:
    k = len(definition.dimensions)
    out: list[Value] = []
    for row in engine.query(con, values_query(definition, known=known)):
        period, cells, (num, den, n) = row[0], row[1 : 1 + 2 * k], row[1 + 2 * k :]
        if period is None:
            continue
        value = _value(num, den, definition.scale)
        if value is None:
            continue
        grouped = [i for i in range(k) if cells[2 * i + 1] == 0]
        if not grouped:
            out.append(Value(period, "", "", value, int(n or 0)))
        elif (n or 0) >= MIN_ROWS and cells[2 * grouped[0]] is not None:
            i = grouped[0]
            out.append(Value(period, definition.dimensions[i], str(cells[2 * i]), value, int(n)))
    out.sort(key=lambda v: (v.period, v.dimension, v.label))
    return out


def values_compute(
    *, definitions: dict[Any, Definition], version: DatasetVersion
) -> dict[Any, list[Value]]:
    """The values of several definitions over one ready version, keyed as given. A definition
    the data cannot give (a missing or empty column) or that the sandbox stops gets no values
    (absent from the answer)."""
    known = {c["name"] for c in version.columns}
    result: dict[Any, list[Value]] = {}
    computable = {
        key: d for key, d in definitions.items() if computability(d, version)["computable"]
    }
    if not computable:
        return result
    with engine.sandbox(parquet_path(version)) as con:
        for key, definition in computable.items():
            try:
                result[key] = _rows(definition, con, known)
            except engine.QueryFailed:
                continue
    return result
