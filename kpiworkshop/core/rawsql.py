"""The core's hand-written SQL: the session row that every signed-in request reads first.

Django's database session engine reads it with ``Session.objects.get(session_key=…,
expire_date__gt=now)``: building and compiling that query took about 190 µs of every signed-in
request, running this fixed statement about 20 µs (``docs/benchmarks.md``, "Raw SQL"). Tested
against that ORM query in ``tests/core/test_rawsql.py``."""

from functools import cache

from django.contrib.sessions.models import Session
from django.db import connections, router

from .rawrows import Columns, model_columns


@cache
def _session_sql(using: str, vendor: str) -> tuple[str, Columns]:
    """The statement behind ``session_unexpired``, written once per database."""
    columns = model_columns(Session, "s", using)
    table = Session._meta.db_table
    key = Session._meta.get_field("session_key").column
    expires = Session._meta.get_field("expire_date").column
    sql = f"SELECT {columns.sql} FROM {table} s WHERE s.{key} = %s AND s.{expires} > %s"  # noqa: S608 - no user text
    return sql, columns


def session_unexpired(*, session_key: str, now) -> Session | None:
    """The session row with this key that has not expired at ``now`` (None for none): what
    ``Session.objects.get(session_key=session_key, expire_date__gt=now)`` finds."""
    using = router.db_for_read(Session)
    connection = connections[using]
    sql, columns = _session_sql(using, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    return None if row is None else columns.load(row)
