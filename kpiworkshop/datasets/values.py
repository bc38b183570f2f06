"""A KPI's measured values over a whole dataset version: every period, overall and by each
allowed dimension, for the catalogue's measured values (the catalogue app writes them). One
aggregate query (one grouping set for the total and one per dimension), all KPIs of a
version in one DuckDB sandbox; definitions that share their time column, grain and
dimensions share a query. Aggregates only, and a breakdown cell of fewer than
``preview.MIN_ROWS`` rows is left out, as in the preview."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from . import engine
from .definition import Definition
from .models import DatasetVersion
from .preview import MIN_ROWS, _value, computability, parquet_path

#: Definitions per query: enough to share one scan, few enough that a slow one (a time limit
#: per query) does not hold up a whole catalogue.
BATCH = 20


@dataclass(frozen=True)
class Value:
    period: dt.date
    dimension: str  # "" for the total
    label: str  # the dimension's value ("" for the total)
    value: float
    rows: int


def _group_key(definition: Definition) -> tuple:
    return (definition.time_column.casefold(), definition.grain, tuple(definition.dimensions))


def values_query(definitions: list[Definition], *, known: set[str]) -> str:
    """Every period's values of definitions that share their time column, grain and
    dimensions, overall and by each dimension, in one scan: each definition's own conditions
    become ``FILTER (WHERE …)`` on its aggregates, so one pass over the file serves them all."""
    first = definitions[0]
    period = first.period()
    dims = [exp.column(d, quoted=True) for d in first.dimensions]
    select: list[exp.Expression] = [exp.alias_(period.copy(), "period")]
    for i, d in enumerate(dims):
        select.append(exp.alias_(exp.cast(d.copy(), "VARCHAR"), f"d_{i}"))
        select.append(exp.alias_(exp.Grouping(expressions=[d.copy()]), f"g_{i}"))
    for j, definition in enumerate(definitions):
        cond = definition.condition(known=known)
        for part, column in zip(
            ("n", "d", "r"), definition.value_columns(known=known), strict=True
        ):
            value = column.this
            if cond is not None and not isinstance(value, exp.Literal):
                value = exp.Filter(this=value, expression=exp.Where(this=cond.copy()))
            select.append(exp.alias_(value, f"{part}_{j}"))
    query = exp.select(*select).from_(exp.to_table("ds"))
    sets = [exp.Tuple(expressions=[period.copy()])]
    sets += [exp.Tuple(expressions=[period.copy(), d.copy()]) for d in dims]
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=sets)]))
    return query.sql(dialect="duckdb", comments=False)


def _rows(definitions: list[Definition], con: Any, known: set[str]) -> list[list[Value]]:
    first = definitions[0]
    k = len(first.dimensions)
    out: list[list[Value]] = [[] for _ in definitions]
    for row in engine.query(con, values_query(definitions, known=known)):
        period, cells = row[0], row[1 : 1 + 2 * k]
        if period is None:
            continue
        grouped = [i for i in range(k) if cells[2 * i + 1] == 0]
        for j, definition in enumerate(definitions):
            num, den, n = row[1 + 2 * k + 3 * j : 4 + 2 * k + 3 * j]
            if not n:  # no row of this definition's in the group
                continue
            value = _value(num, den, definition.scale)
            if value is None:
                continue
            if not grouped:
                out[j].append(Value(period, "", "", value, int(n)))
            elif n >= MIN_ROWS and cells[2 * grouped[0]] is not None:
                i = grouped[0]
                out[j].append(Value(period, first.dimensions[i], str(cells[2 * i]), value, int(n)))
    for values in out:
        values.sort(key=lambda v: (v.period, v.dimension, v.label))
    return out


def values_compute(
    *, definitions: dict[Any, Definition], version: DatasetVersion
) -> dict[Any, list[Value]]:
    """The values of several definitions over one ready version, keyed as given. A definition
    the data cannot give (a missing or empty column) or that the sandbox stops gets no values
    (absent from the answer). Definitions sharing time column, grain and dimensions are
    computed together, at most ``BATCH`` per query."""
    known = {c["name"] for c in version.columns}
    result: dict[Any, list[Value]] = {}
    groups: dict[tuple, list[tuple[Any, Definition]]] = {}
    for key, d in definitions.items():
        if computability(d, version)["computable"]:
            groups.setdefault(_group_key(d), []).append((key, d))
    if not groups:
        return result
    with engine.sandbox(parquet_path(version)) as con:
        for members in groups.values():
            for at in range(0, len(members), BATCH):
                batch = members[at : at + BATCH]
                try:
                    computed = _rows([d for _, d in batch], con, known)
                except engine.QueryFailed:
                    if len(batch) == 1:
                        continue
                    # One definition the sandbox stops must not cost the others their values.
                    computed = []
                    for key, d in batch:
                        try:
                            result[key] = _rows([d], con, known)[0]
                        except engine.QueryFailed:
                            continue
                    continue
                for (key, _), values in zip(batch, computed, strict=True):
                    result[key] = values
    return result
