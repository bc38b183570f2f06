"""The core's hand-written SQL: the versions every shared fragment's key holds.

Their ORM query (an OR of the scopes) took about 190 µs to build and compile on every request
that reads them, running this fixed statement about 20 µs (``docs/benchmarks.md``, "Raw SQL").
Tested against the ORM query it replaces in ``tests/core/test_rawsql.py``. (The session row,
read first by every signed-in request, is ``accounts.rawsql.session_with_user``.)"""

from collections.abc import Sequence
from functools import lru_cache

from django.db import connections, router

from .models import ScopeVersion


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
