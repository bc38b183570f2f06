"""Model instances from a hand-written SQL statement, for the few hot paths (the vote) where
building and compiling the same ORM query on every request costs more than running it.

``model_columns`` gives a model's concrete columns under a table alias, for a SELECT list, and
a loader that turns the matching slice of a row into an instance exactly as the ORM would (the
backend's and the fields' converters applied, every field loaded, nothing deferred). Both are
built once per (model, alias, database vendor) and reused: the statement text is a constant, so
only its parameters change from request to request.
"""

from collections.abc import Callable, Sequence
from functools import cache

from django.db import connections
from django.db.models import Model


class Columns:
    """The SELECT list of one model under an alias, and how to load it back from a row."""

    def __init__(
        self, model: type[Model], alias: str, using: str, names: tuple[str, ...] | None = None
    ):
        connection = connections[using]
        quote = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        if names is not None:  # some fields only, in that order: read with ``values``
            fields = [model._meta.get_field(name) for name in names]
        self.model = model
        self.fields = fields
        self.using = using
        self.width = len(fields)
        self.sql = ", ".join(f"{quote(alias)}.{quote(f.column)}" for f in fields)
        self.attnames = [f.attname for f in fields]
        converters = []
        for i, f in enumerate(fields):
            col = f.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((i, col, found))
        self._converters = converters
        self._pk_index = (
            self.attnames.index(model._meta.pk.attname)
            if model._meta.pk.attname in self.attnames
            else None
        )

    def values(self, row: Sequence, start: int = 0) -> list:
        """The fields' values in ``row[start:start + width]``, converted as the ORM converts
        them (what ``values_list`` gives), without building an instance."""
        values = list(row[start : start + self.width])
        connection = connections[self.using]
        for i, col, found in self._converters:
            value = values[i]
            for convert in found:
                value = convert(value, col, connection)
            values[i] = value
        return values

    def load(self, row: Sequence, start: int = 0) -> Model | None:
        """The instance in ``row[start:start + width]``; None when its primary key is NULL
        (the missing side of a LEFT JOIN). Only for columns of every field."""
        values = self.values(row, start)
        if values[self._pk_index] is None:
            return None
        return self.model.from_db(self.using, self.attnames, values)


@cache
def _columns(
    model: type[Model], alias: str, using: str, vendor: str, names: tuple[str, ...] | None
) -> Columns:
    return Columns(model, alias, using, names)


def model_columns(
    model: type[Model], alias: str, using: str = "default", names: tuple[str, ...] | None = None
) -> Columns:
    """``Columns`` for ``model`` under ``alias``, built once per database vendor: every
    concrete field (``load`` gives instances), or only the fields ``names`` (``values`` gives
    their converted values)."""
    return _columns(model, alias, using, connections[using].vendor, names)


def loaders(*columns: Columns) -> Callable[[Sequence], list[Model | None]]:
    """Load several models laid side by side in one row, in the order of the SELECT list."""

    def load(row: Sequence) -> list[Model | None]:
        out, start = [], 0
        for c in columns:
            out.append(c.load(row, start))
            start += c.width
        return out

    return load
