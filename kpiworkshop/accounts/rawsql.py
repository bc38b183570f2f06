"""The accounts' hand-written SQL: the signed-in user that every signed-in request loads.

Django's ``ModelBackend.get_user`` reads it with ``User.objects.get(pk=…)``: building and
compiling that query took about 190 µs of every signed-in request, running this fixed
statement about 20 µs (``docs/benchmarks.md``, "Raw SQL"). Tested against that ORM query in
``tests/accounts/test_rawsql.py``."""

from functools import cache

from django.db import connections, router

from kpiworkshop.core.rawrows import Columns, model_columns

from .models import User


@cache
def _user_sql(using: str, vendor: str) -> tuple[str, Columns]:
    """The statement behind ``user_get``, written once per database."""
    columns = model_columns(User, "u", using)
    sql = f"SELECT {columns.sql} FROM {User._meta.db_table} u WHERE u.{User._meta.pk.column} = %s"  # noqa: S608 - no user text
    return sql, columns


def user_get(*, user_id: int) -> User | None:
    """The user with this primary key (None for none): what ``User.objects.get(pk=user_id)``
    finds."""
    using = router.db_for_read(User)
    sql, columns = _user_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    return None if row is None else columns.load(row)
