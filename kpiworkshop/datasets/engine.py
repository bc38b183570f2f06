"""DuckDB, in-process and fenced in.

Every preview opens its own in-memory connection (no state shared between requests or
processes) that may read exactly one file, the dataset version's Parquet, and nothing else:
external access is disabled, the configuration is locked so no query can undo that, extensions
are never installed or loaded, and memory and threads are capped. Each query runs under a timer
that interrupts it. Only SQL rendered by our code from a checked tree reaches ``query``.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from sqlglot import exp


class QueryFailed(Exception):
    """A query was stopped or refused; ``str()`` is a translated message for the page."""

    def __init__(self, message: Any, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def limits() -> dict[str, Any]:
    return {
        "memory_limit": getattr(settings, "KPIW_DUCKDB_MEMORY_LIMIT", "512MB"),
        "threads": getattr(settings, "KPIW_DUCKDB_THREADS", 2),
        "timeout": getattr(settings, "KPIW_DUCKDB_TIMEOUT_SECONDS", 5.0),
    }


def _literal(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


@contextmanager
def sandbox(parquet_path: str | None = None, *, table: str = "ds") -> Iterator[Any]:
    """A locked connection; ``table`` is a view over ``parquet_path`` (the only file it may
    read)."""
    lim = limits()
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": int(lim["threads"]),
            "memory_limit": str(lim["memory_limit"]),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    try:
        if parquet_path is not None:
            con.execute(f"SET allowed_paths = [{_literal(parquet_path)}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        if parquet_path is not None:
            view = exp.to_identifier(table, quoted=True).sql(dialect="duckdb")
            # Our path and name, quoted by sqlglot: no user text.
            sql = f"CREATE VIEW {view} AS SELECT * FROM read_parquet({_literal(parquet_path)})"  # noqa: S608
            try:
                con.execute(sql)
            except duckdb.Error as exc:
                raise QueryFailed(
                    _("The dataset's file could not be read; upload the dataset again."), "file"
                ) from exc
        yield con
    finally:
        con.close()


def query(con: Any, sql: str, *, timeout: float | None = None) -> list[tuple]:
    """Run ``sql`` (ours, rendered from a checked tree) with a time limit."""
    seconds = float(limits()["timeout"] if timeout is None else timeout)
    try:
        statements = len(con.extract_statements(sql))
    except duckdb.Error:
        statements = 0
    if statements != 1:
        # DuckDB would run every statement of the text: ours are always exactly one.
        raise QueryFailed(_("The computation was refused: one query at a time."), "statements")
    timer = threading.Timer(seconds, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        return con.execute(sql).fetchall()
    except duckdb.InterruptException as exc:
        raise QueryFailed(
            _("The computation took longer than %(seconds)s seconds and was stopped.")
            % {"seconds": f"{seconds:g}"},
            "timeout",
        ) from exc
    except duckdb.OutOfMemoryException as exc:
        raise QueryFailed(
            _("The computation needed more memory than allowed and was stopped."), "memory"
        ) from exc
    except duckdb.PermissionException as exc:
        raise QueryFailed(
            _("The computation tried to read outside its dataset."), "access"
        ) from exc
    except duckdb.Error as exc:
        raise QueryFailed(
            _("The computation failed: %(detail)s") % {"detail": str(exc).splitlines()[0][:200]},
            "error",
        ) from exc
    finally:
        timer.cancel()
