"""The core's hand-written SQL: the session row that every signed-in request reads first, and
the versions every shared fragment's key holds.

Django's database session engine reads the session with ``Session.objects.get(session_key=…,
expire_date__gt=now)``: building and compiling that query took about 190 µs of every
signed-in request, running this fixed statement about 20 µs; the versions' ORM query (an OR of
the scopes) cost about as much to build (``docs/benchmarks.md``, "Raw SQL"). Each is tested
against the ORM query it replaces in ``tests/core/test_rawsql.py``."""

from collections.abc import Sequence
from functools import cache, lru_cache

from django.contrib.sessions.models import Session
from django.db import connections, router

from .models import ScopeVersion
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


@lru_cache(maxsize=32)
def _versions_sql(using: str, vendor: str, count: int) -> str:
    """The statement behind ``scope_versions`` for ``count`` scopes, written once per database
    and count (a page asks one to four)."""
    table = ScopeVersion._meta.db_table
    where = " OR ".join(["(v.kind = %s AND v.object_id = %s)"] * count)
    return f"SELECT v.kind, v.object_id, v.epoch, v.n FROM {table} v WHERE {where}"  # noqa: S608 - no user text


def scope_versions(scopes: Sequence[tuple[str, int]]) -> list[tuple[str, int, str, int]]:
    """(kind, object_id, epoch, n) of the counter rows of these (kind, object id) scopes, in
    no order; a scope never written has none. What ``ScopeVersion.objects.filter(Q(kind=…,
    object_id=…) | …).values_list("kind", "object_id", "epoch", "n")`` gives: every shared
    fragment's key reads it (``core.versions.versions_read``)."""
    if not scopes:
        return []
    using = router.db_for_read(ScopeVersion)
    sql = _versions_sql(using, connections[using].vendor, len(scopes))
    params = [value for kind, object_id in scopes for value in (kind, int(object_id))]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return [(kind, int(object_id), epoch, int(n)) for kind, object_id, epoch, n in cursor]
