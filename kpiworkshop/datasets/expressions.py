"""Checking and rendering SQL with sqlglot's syntax tree, never by joining strings.

A data person may write a row-level expression (``handle_time_s + wait_time_s``) or a condition
(``channel IN ('chat', 'email') AND NOT abandoned``). It is parsed, and every node of the tree
must be on the allow-list below: no statements, subqueries, tables or table functions (file and
HTTP readers are table functions or unknown functions), no parameters, no aggregates (the
measure's aggregation is chosen from a fixed list), and only the dataset's own columns. What is
run is the checked tree rendered again by sqlglot, never the text as written.
"""

import re
from collections.abc import Iterable

import sqlglot
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from sqlglot import exp
from sqlglot.errors import SqlglotError

MAX_EXPRESSION_CHARS = 2000
MAX_NODES = 400

#: Column names a definition may refer to: what a CSV header or a Parquet schema may give us,
#: within reason (no control characters or double quotes; 63 characters at most).
COLUMN_NAME = re.compile(r'^[^\x00-\x1f\x7f"]{1,63}$')

_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Neg,
    exp.Not,
    exp.And,
    exp.Or,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.IntDiv,
    exp.Mod,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.Coalesce,
    exp.Nullif,
    exp.Abs,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Greatest,
    exp.Least,
    exp.Lower,
    exp.Upper,
    exp.Length,
    exp.Trim,
    exp.Extract,
    exp.Var,
    exp.DateDiff,
    exp.Tuple,
)

#: Types a cast may name: scalar types only.
_ALLOWED_TYPES = {
    exp.DataType.Type.BOOLEAN,
    exp.DataType.Type.TINYINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.FLOAT,
    exp.DataType.Type.DOUBLE,
    exp.DataType.Type.DECIMAL,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.TEXT,
    exp.DataType.Type.DATE,
    exp.DataType.Type.TIMESTAMP,
}


def _reject(message: str, **params: object) -> ValidationError:
    return ValidationError(message, code="expression", params=params)


def _name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this)
    return node.key.upper()


def expression_check(text: str, *, columns: Iterable[str] | None = None) -> exp.Expression:
    """Parse ``text`` as ONE scalar expression and check every node; returns the tree.

    ``columns``: the dataset's own columns; when given, any other column is refused. When not
    (the dataset has no version yet) column references are only checked for their shape, and
    the preview reports the missing ones by name. Raises ``ValidationError`` with a message a
    data person can act on."""
    if not isinstance(text, str) or not text.strip():
        raise _reject(_("The expression is empty."))
    if len(text) > MAX_EXPRESSION_CHARS:
        raise _reject(
            _("The expression is longer than %(limit)s characters."), limit=MAX_EXPRESSION_CHARS
        )
    try:
        trees = [t for t in sqlglot.parse(text, read="duckdb") if t is not None]
    except SqlglotError as exc:
        raise _reject(
            _("The expression could not be read as SQL: %(detail)s"), detail=str(exc)[:200]
        ) from exc
    if len(trees) != 1:
        raise _reject(_("Write one expression, not several statements."))
    tree = trees[0]
    known = None if columns is None else {c.lower() for c in columns}
    for count, node in enumerate(tree.walk(), start=1):
        # sqlglot keeps comments and renders a line comment as /* … */, so a "*/" inside one
        # would end it early: comments are dropped, never rendered.
        node.comments = None
        if count > MAX_NODES:
            raise _reject(_("The expression is too long."))
        if isinstance(node, exp.Query | exp.Subquery | exp.Table | exp.From | exp.Join):
            raise _reject(_("Queries and tables are not allowed in an expression."))
        if isinstance(node, exp.AggFunc):
            raise _reject(
                _(
                    "%(name)s is an aggregate: choose the aggregation in the measure and write "
                    "a row-level expression here."
                ),
                name=_name(node),
            )
        if isinstance(node, exp.Placeholder | exp.Parameter | exp.Star):
            raise _reject(_("%(name)s is not allowed in an expression."), name=_name(node))
        if not isinstance(node, _ALLOWED_NODES):
            if isinstance(node, exp.Func):
                raise _reject(_("The function %(name)s is not allowed."), name=_name(node))
            raise _reject(_("%(name)s is not allowed in an expression."), name=_name(node))
        if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
            raise _reject(_("Queries and tables are not allowed in an expression."))
        if isinstance(node, exp.DataType) and node.this not in _ALLOWED_TYPES:
            raise _reject(_("The type %(name)s is not allowed."), name=node.sql("duckdb"))
        if isinstance(node, exp.Column):
            if node.table or node.args.get("db") or node.args.get("catalog"):
                raise _reject(_("Refer to columns by their name alone."))
            if not COLUMN_NAME.match(node.name):
                raise _reject(_("%(name)s is not a valid column name."), name=node.name[:80])
            if known is not None and node.name.lower() not in known:
                raise _reject(_("The dataset has no column %(name)s."), name=node.name)
    return tree


def expression_columns(tree: exp.Expression) -> set[str]:
    return {c.name for c in tree.find_all(exp.Column)}


def column(name: str) -> exp.Column:
    """A quoted column reference: a name from a CSV header is data, never SQL."""
    if not COLUMN_NAME.match(name):
        raise _reject(_("%(name)s is not a valid column name."), name=name[:80])
    return exp.column(name, quoted=True)
