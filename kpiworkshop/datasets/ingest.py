"""Checking an uploaded file and converting it to Parquet, on local paths our code chose.

Everything here is our own SQL over paths we generated (never user SQL; names and paths
quoted by sqlglot, hence the ``noqa: S608``), so it runs on an
unlocked connection, still with memory and thread limits and a spill directory inside the
job's temporary directory. A problem raises ``UploadRejected`` with a code and parameters; the
message is rendered in the reader's language (``rejection_message``).
"""

import codecs
import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from sqlglot import exp

from .expressions import COLUMN_NAME

ProgressFn = Callable[[int], None]

MESSAGES = {
    "too_large": _("The file is larger than %(limit)s MB."),
    "format": _("Upload a CSV file or a Parquet file."),
    "empty": _("The file is empty."),
    "encoding": _(
        "The file is not in UTF-8 (line %(line)s). Save it again as “CSV UTF-8” and upload it."
    ),
    "header_missing": _("Column %(position)s has no name in the first row."),
    "header_duplicate": _("The column name “%(name)s” appears more than once."),
    "header_numeric": _("The first row must hold the column names; “%(name)s” looks like a value."),
    "header_invalid": _("“%(name)s” cannot be a column name (at most 63 characters, no quotes)."),
    "too_many_columns": _("The file has %(count)s columns; at most %(limit)s are allowed."),
    "too_many_rows": _("The file has %(count)s rows; at most %(limit)s are allowed."),
    "no_rows": _("The file has column names but no rows."),
    "unreadable": _("The file could not be read: %(detail)s"),
    "unsupported_type": _("Column “%(name)s” has a type that is not supported (%(type)s)."),
    "type_changed": _(
        "Column “%(name)s” held %(before)s in the current version and holds %(after)s in this "
        "file; check its values (a word in a column of numbers, for example)."
    ),
    "formula": _(
        "Column “%(name)s” has cells that start with =, +, - or @ (spreadsheet formulas); "
        "remove them or save the values only."
    ),
    "ragged": _(
        "Some rows do not have as many values as the first row has column names; check the "
        "separators and quotes."
    ),
    "interrupted": _("The conversion stopped before it finished; upload the file again."),
}

FAMILIES = {
    "number": pgettext_lazy("column type", "numbers"),
    "text": pgettext_lazy("column type", "text"),
    "boolean": pgettext_lazy("column type", "yes/no values"),
    "time": pgettext_lazy("column type", "dates or times"),
}


class UploadRejected(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def rejection_message(code: str, params: dict[str, Any]) -> str:
    template = MESSAGES.get(code, MESSAGES["unreadable"])
    shown = dict(params)
    for key in ("before", "after"):
        if key in shown:
            shown[key] = str(FAMILIES.get(shown[key], shown[key]))
    try:
        return str(template) % shown
    except (KeyError, TypeError, ValueError):
        return str(MESSAGES["unreadable"]) % {"detail": code}


def limit(name: str) -> int:
    defaults = {
        "KPIW_DATASET_MAX_BYTES": 200 * 1024 * 1024,
        "KPIW_DATASET_MAX_ROWS": 2_000_000,
        "KPIW_DATASET_MAX_COLUMNS": 100,
    }
    return int(getattr(settings, name, defaults[name]))


def lit(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def family(duck_type: str) -> str | None:
    t = duck_type.upper()
    if t == "BOOLEAN":
        return "boolean"
    if t in {"VARCHAR"}:
        return "text"
    if re.fullmatch(r"U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)", t):
        return "number"
    if t in {"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS"}:
        return "time"
    return None


# --- CSV text ------------------------------------------------------------------------------


def check_utf8(path: Path) -> None:
    """Stream the file through a UTF-8 decoder: a wrong encoding is named with its line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk.count(b"\n", 0, exc.start)
                raise UploadRejected("encoding", line=line) from exc
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UploadRejected("encoding", line=line) from None


def read_header(path: Path) -> tuple[list[str], str]:
    """The first row's names and the delimiter (comma, semicolon, tab or bar)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        sample = f.read(64 * 1024)
    if not sample.strip():
        raise UploadRejected("empty")
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    first = next(csv.reader([sample.split("\n", 1)[0].rstrip("\r")], delimiter=delimiter))
    return first, delimiter


def check_names(names: list[str]) -> None:
    if len(names) > limit("KPIW_DATASET_MAX_COLUMNS"):
        raise UploadRejected(
            "too_many_columns", count=len(names), limit=limit("KPIW_DATASET_MAX_COLUMNS")
        )
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise UploadRejected("header_missing", position=position)
        if not COLUMN_NAME.match(name) or name != name.strip():
            raise UploadRejected("header_invalid", name=name[:80])
        if re.fullmatch(r"[-+]?\d+([.,]\d+)?", name.strip()):
            raise UploadRejected("header_numeric", name=name)
        key = name.casefold()
        if key in seen:
            raise UploadRejected("header_duplicate", name=name)
        seen.add(key)


# --- conversion ----------------------------------------------------------------------------


@dataclass
class Converted:
    row_count: int
    columns: list[dict[str, Any]]


def _connection(work_dir: Path) -> Any:
    return duckdb.connect(
        ":memory:",
        config={
            "threads": int(getattr(settings, "KPIW_DUCKDB_THREADS", 2)),
            "memory_limit": str(getattr(settings, "KPIW_DUCKDB_MEMORY_LIMIT", "512MB")),
            "temp_directory": str(work_dir / "spill"),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )


def convert(
    *,
    source: Path,
    source_format: str,
    out: Path,
    previous_columns: list[dict[str, Any]] | None = None,
    progress: ProgressFn | None = None,
) -> Converted:
    """Check ``source`` and write it as Parquet to ``out``. Raises ``UploadRejected``."""
    step = progress or (lambda _p: None)
    if source.stat().st_size == 0:
        raise UploadRejected("empty")
    if source_format == "csv":
        check_utf8(source)
        names, delimiter = read_header(source)
        check_names(names)
        # A semicolon-separated file is what a spreadsheet in an Italian (or most European)
        # locale exports: its decimals have a comma.
        decimals = ", decimal_separator = ','" if delimiter == ";" else ""
        reader = (
            f"read_csv({lit(str(source))}, header = true, delim = {lit(delimiter)}, "
            f"sample_size = -1, auto_detect = true, strict_mode = true{decimals})"
        )
    else:
        with source.open("rb") as f:
            head = f.read(4)
            f.seek(-4, 2)
            tail = f.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            raise UploadRejected("format")
        reader = f"read_parquet({lit(str(source))})"
    step(20)
    con = _connection(out.parent)
    try:
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()  # noqa: S608
            found = [row[0] for row in described]
            if source_format == "csv" and found != names:
                # DuckDB read the rows with another shape than the header row has.
                raise UploadRejected("ragged")
            check_names(found)
            con.execute(
                f"COPY (SELECT * FROM {reader}) TO {lit(str(out))} "  # noqa: S608
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
            )
        except duckdb.Error as exc:
            raise UploadRejected("unreadable", detail=str(exc).splitlines()[0][:300]) from exc
        step(60)
        parquet = f"read_parquet({lit(str(out))})"
        types = con.execute(f"DESCRIBE SELECT * FROM {parquet}").fetchall()  # noqa: S608
        columns = []
        for name, duck_type, *_rest in types:
            fam = family(duck_type)
            if fam is None:
                raise UploadRejected("unsupported_type", name=name, type=duck_type)
            columns.append({"name": name, "type": duck_type, "family": fam})
        before = {c["name"].casefold(): c.get("family") for c in previous_columns or []}
        for col in columns:
            was = before.get(col["name"].casefold())
            if was and was != col["family"]:
                raise UploadRejected(
                    "type_changed", name=col["name"], before=was, after=col["family"]
                )
        parts = ["count(*)"]
        for col in columns:
            parts.append(f"count({ident(col['name'])})")
        texts = [c for c in columns if c["family"] == "text"]
        for col in texts:
            c = ident(col["name"])
            # = and @ start a formula; + and - only with a call, a reference or a DDE pipe
            # (so phone numbers, signed numbers and "- see ticket" notes pass).
            parts.append(
                f"count(*) FILTER (WHERE (regexp_matches({c}, '^[=@\\t\\r]') "
                f"OR regexp_matches({c}, '^[+\\-].*[(!|=]')) AND TRY_CAST({c} AS DOUBLE) IS NULL)"
            )
        stats = con.execute(f"SELECT {', '.join(parts)} FROM {parquet}").fetchone()  # noqa: S608
    finally:
        con.close()
    row_count = int(stats[0])
    if row_count == 0:
        raise UploadRejected("no_rows")
    if row_count > limit("KPIW_DATASET_MAX_ROWS"):
        raise UploadRejected("too_many_rows", count=row_count, limit=limit("KPIW_DATASET_MAX_ROWS"))
    for i, col in enumerate(columns):
        col["non_null"] = int(stats[1 + i])
    for j, col in enumerate(texts):
        if stats[1 + len(columns) + j]:
            raise UploadRejected("formula", name=col["name"])
    step(80)
    return Converted(row_count=row_count, columns=columns)
