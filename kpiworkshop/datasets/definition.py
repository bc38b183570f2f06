"""The computable definition of a KPI: a structured, validated spec, and its SQL.

A definition says which dataset it reads, a numerator and (for a ratio) a denominator as
measures, filters in plain terms, the time column and grain, and the dimensions it may be
broken down by. It is stored as JSON (``Definition.to_dict``) on a ``KpiDefinition`` keyed by
the KPI's revision, and read back through ``Definition.from_dict``, which validates everything a
form or the API might send. SQL is built as a sqlglot tree (``definition_select``) and rendered
per dialect: DuckDB for previews, the warehouse's dialect for exports.
"""

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from sqlglot import exp

from .expressions import COLUMN_NAME, column, expression_check, expression_columns

SPEC_VERSION = 1

AGGREGATIONS = {
    "count": pgettext_lazy("aggregation", "number of rows"),
    "count_distinct": pgettext_lazy("aggregation", "number of distinct values of"),
    "sum": pgettext_lazy("aggregation", "sum of"),
    "avg": pgettext_lazy("aggregation", "average of"),
    "median": pgettext_lazy("aggregation", "median of"),
    "p90": pgettext_lazy("aggregation", "90th percentile of"),
}
OPERATORS = {
    "is": pgettext_lazy("filter", "is"),
    "is_not": pgettext_lazy("filter", "is not"),
    "in": pgettext_lazy("filter", "is one of"),
    "not_in": pgettext_lazy("filter", "is none of"),
    "is_true": pgettext_lazy("filter", "is yes"),
    "is_false": pgettext_lazy("filter", "is no"),
    "gt": pgettext_lazy("filter", "is more than"),
    "lt": pgettext_lazy("filter", "is less than"),
    "gte": pgettext_lazy("filter", "is at least"),
    "lte": pgettext_lazy("filter", "is at most"),
    "is_empty": pgettext_lazy("filter", "is empty"),
    "is_not_empty": pgettext_lazy("filter", "is not empty"),
}
GRAINS = {
    "day": pgettext_lazy("grain", "day"),
    "week": pgettext_lazy("grain", "week"),
    "month": pgettext_lazy("grain", "month"),
    "quarter": pgettext_lazy("grain", "quarter"),
}

_NO_VALUE = {"is_true", "is_false", "is_empty", "is_not_empty"}
_LIST_VALUE = {"in", "not_in"}
MAX_FILTERS = 20
MAX_DIMENSIONS = 8
MAX_LIST_VALUES = 50
MAX_TEXT_VALUE = 200

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: Any = None

    def condition(self) -> exp.Expression:
        col = column(self.column)
        op = self.op
        if op == "is_true":
            return exp.EQ(this=col, expression=exp.true())
        if op == "is_false":
            return exp.EQ(this=col, expression=exp.false())
        if op == "is_empty":
            return exp.Is(this=col, expression=exp.Null())
        if op == "is_not_empty":
            return exp.Not(this=exp.Is(this=col, expression=exp.Null()))
        if op in _LIST_VALUE:
            cond = exp.In(this=col, expressions=[exp.convert(v) for v in self.value])
            return exp.Not(this=cond) if op == "not_in" else cond
        value = exp.convert(self.value)
        ops = {"is": exp.EQ, "is_not": exp.NEQ, "gt": exp.GT, "lt": exp.LT}
        ops |= {"gte": exp.GTE, "lte": exp.LTE}
        return ops[op](this=col, expression=value)


@dataclass(frozen=True)
class Measure:
    """``agg`` over ``column`` (or a checked row-level ``expr``), on the rows ``filters`` keep
    (on top of the definition's own filters). ``count`` needs neither column nor expression."""

    agg: str
    column: str = ""
    expr: str = ""
    filters: tuple[Filter, ...] = ()

    def columns(self) -> set[str]:
        names = {f.column for f in self.filters}
        if self.column:
            names.add(self.column)
        if self.expr:
            names |= expression_columns(expression_check(self.expr))
        return names

    def aggregate(self, *, known: set[str] | None = None) -> exp.Expression:
        value: exp.Expression | None = None
        if self.expr:
            value = exp.paren(expression_check(self.expr, columns=known), copy=False)
        elif self.column:
            value = column(self.column)
        cond = _and([f.condition() for f in self.filters])
        if self.agg == "count":
            if value is None and cond is None:
                return exp.Count(this=exp.Star())
            if value is None:
                value = exp.Literal.number(1)
        if cond is not None:
            value = exp.Case(ifs=[exp.If(this=cond, true=value)])
        if self.agg == "count":
            return exp.Count(this=value)
        if self.agg == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[value]))
        if self.agg == "sum":
            return exp.Sum(this=value)
        if self.agg == "avg":
            return exp.Avg(this=value)
        if self.agg == "median":
            return exp.Median(this=value)
        return exp.PercentileCont(this=value, expression=exp.Literal.number(0.9))


@dataclass(frozen=True)
class Definition:
    numerator: Measure
    time_column: str
    grain: str = "month"
    denominator: Measure | None = None
    filters: tuple[Filter, ...] = ()
    where: str = ""
    dimensions: tuple[str, ...] = ()
    scale: float = 1.0
    version: int = field(default=SPEC_VERSION)

    # --- reading and writing ------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Any) -> "Definition":
        """Validate a spec from a form, the API or the database; raises ``ValidationError``
        with every problem found, each in words the author can act on."""
        errors: list[ValidationError] = []
        if not isinstance(data, dict):
            raise ValidationError(_("The definition must be an object."), code="spec")
        numerator = _measure(data.get("numerator"), pgettext_lazy("measure", "numerator"), errors)
        denominator = None
        if data.get("denominator") not in (None, {}, ""):
            denominator = _measure(
                data.get("denominator"), pgettext_lazy("measure", "denominator"), errors
            )
        time_column = data.get("time_column")
        if not isinstance(time_column, str) or not COLUMN_NAME.match(time_column):
            errors.append(ValidationError(_("Choose the time column."), code="spec"))
        grain = data.get("grain", "month")
        if grain not in GRAINS:
            errors.append(ValidationError(_("Choose a day, week, month or quarter."), code="spec"))
        filters = _filters(data.get("filters", []), errors)
        where = data.get("where", "") or ""
        if not isinstance(where, str):
            errors.append(ValidationError(_("The condition must be text."), code="spec"))
        elif where:
            try:
                expression_check(where)
            except ValidationError as exc:
                errors.append(exc)
        dims = data.get("dimensions", [])
        if not isinstance(dims, list | tuple) or len(dims) > MAX_DIMENSIONS:
            errors.append(
                ValidationError(
                    _("Choose at most %(n)s dimensions."), code="spec", params={"n": MAX_DIMENSIONS}
                )
            )
            dims = []
        for d in dims:
            if not isinstance(d, str) or not COLUMN_NAME.match(d):
                errors.append(ValidationError(_("A dimension must be a column name."), code="spec"))
        if len(set(dims)) != len(dims):
            errors.append(ValidationError(_("A dimension is chosen twice."), code="spec"))
        scale = data.get("scale", 1)
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int | float)
            or not math.isfinite(scale)
            or scale == 0
        ):
            errors.append(ValidationError(_("The scale must be a number."), code="spec"))
            scale = 1
        if errors:
            raise ValidationError(errors)
        return cls(
            numerator=numerator,  # type: ignore[arg-type]
            denominator=denominator,
            time_column=time_column,
            grain=grain,
            filters=tuple(filters),
            where=where,
            dimensions=tuple(dims),
            scale=float(scale),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.denominator is None:
            data.pop("denominator")
        return data

    # --- what it needs ----------------------------------------------------------------------

    def columns(self) -> set[str]:
        """Every column the definition reads, the dimensions included."""
        names = {self.time_column, *self.dimensions, *(f.column for f in self.filters)}
        names |= self.numerator.columns()
        if self.denominator is not None:
            names |= self.denominator.columns()
        if self.where:
            names |= expression_columns(expression_check(self.where))
        return names

    # --- SQL -----------------------------------------------------------------------------

    def period(self) -> exp.Expression:
        unit = exp.Literal.string(self.grain)
        trunc = exp.DateTrunc(unit=unit, this=column(self.time_column))
        return exp.cast(trunc, exp.DataType.build("DATE"))

    def condition(self, *, known: set[str] | None = None) -> exp.Expression | None:
        parts = [f.condition() for f in self.filters]
        if self.where:
            parts.append(exp.paren(expression_check(self.where, columns=known), copy=False))
        return _and(parts)

    def value_columns(self, *, known: set[str] | None = None) -> list[exp.Expression]:
        """numerator, denominator (1 when there is none), rows."""
        num = self.numerator.aggregate(known=known)
        den: exp.Expression = (
            self.denominator.aggregate(known=known)
            if self.denominator is not None
            else exp.Literal.number(1)
        )
        return [
            exp.alias_(num, "numerator"),
            exp.alias_(den, "denominator"),
            exp.alias_(exp.Count(this=exp.Star()), "row_count"),
        ]

    def select(self, *, table: str = "ds", known: set[str] | None = None) -> exp.Select:
        """Numerator and denominator per period: the definition's plain query."""
        query = (
            exp.select(exp.alias_(self.period(), "period"), *self.value_columns(known=known))
            .from_(exp.to_table(table))
            .group_by(exp.Literal.number(1))
            .order_by(exp.Literal.number(1))
        )
        cond = self.condition(known=known)
        return query.where(cond) if cond is not None else query

    def sql(self, *, dialect: str = "duckdb", table: str = "ds") -> str:
        return self.select(table=table).sql(dialect=dialect, comments=False)


def _and(parts: list[exp.Expression]) -> exp.Expression | None:
    if not parts:
        return None
    return exp.and_(*parts, copy=False) if len(parts) > 1 else parts[0]


def _measure(data: Any, label: Any, errors: list[ValidationError]) -> Measure | None:
    if not isinstance(data, dict):
        errors.append(
            ValidationError(_("Describe the %(part)s."), code="spec", params={"part": label})
        )
        return None
    agg = data.get("agg")
    col = data.get("column", "") or ""
    expr = data.get("expr", "") or ""
    before = len(errors)
    if agg not in AGGREGATIONS:
        errors.append(
            ValidationError(
                _("Choose how the %(part)s is counted."), code="spec", params={"part": label}
            )
        )
    if not isinstance(col, str) or not isinstance(expr, str):
        errors.append(ValidationError(_("A column must be named."), code="spec"))
        return None
    if col and expr:
        errors.append(
            ValidationError(
                _("The %(part)s reads a column or an expression, not both."),
                code="spec",
                params={"part": label},
            )
        )
    if col and not COLUMN_NAME.match(col):
        errors.append(ValidationError(_("A column must be named."), code="spec"))
    if agg in AGGREGATIONS and agg != "count" and not (col or expr):
        errors.append(
            ValidationError(
                _("Choose the column the %(part)s reads."), code="spec", params={"part": label}
            )
        )
    if expr:
        try:
            expression_check(expr)
        except ValidationError as exc:
            errors.append(exc)
    filters = _filters(data.get("filters", []), errors)
    if len(errors) > before:
        return None
    return Measure(agg=agg, column=col, expr=expr, filters=tuple(filters))


def _filters(data: Any, errors: list[ValidationError]) -> list[Filter]:
    if not isinstance(data, list | tuple) or len(data) > MAX_FILTERS:
        errors.append(
            ValidationError(_("At most %(n)s filters."), code="spec", params={"n": MAX_FILTERS})
        )
        return []
    out = []
    for item in data:
        if not isinstance(item, dict):
            errors.append(ValidationError(_("A filter is incomplete."), code="spec"))
            continue
        col, op, value = item.get("column"), item.get("op"), item.get("value")
        if not isinstance(col, str) or not COLUMN_NAME.match(col):
            errors.append(ValidationError(_("A filter must name a column."), code="spec"))
            continue
        if op not in OPERATORS:
            errors.append(
                ValidationError(
                    _("The filter on %(column)s has no valid condition."),
                    code="spec",
                    params={"column": col},
                )
            )
            continue
        if op in _NO_VALUE:
            value = None
        elif op in _LIST_VALUE:
            if (
                not isinstance(value, list | tuple)
                or not value
                or len(value) > MAX_LIST_VALUES
                or not all(_scalar(v) for v in value)
            ):
                errors.append(
                    ValidationError(
                        _("The filter on %(column)s needs a list of values."),
                        code="spec",
                        params={"column": col},
                    )
                )
                continue
            value = tuple(value)
        elif not _scalar(value):
            errors.append(
                ValidationError(
                    _("The filter on %(column)s needs a value."),
                    code="spec",
                    params={"column": col},
                )
            )
            continue
        out.append(Filter(column=col, op=op, value=value))
    return out


def _scalar(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value)
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT_VALUE
