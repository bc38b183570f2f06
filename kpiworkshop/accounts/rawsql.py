"""The accounts' hand-written SQL: the session and the signed-in user that every signed-in request
reads first.

Django's session engine reads the session with ``Session.objects.get(session_key=…,
expire_date__gt=now)`` and its ``ModelBackend.get_user`` the user with ``User.objects.get(pk=…)``:
building and compiling each query took about 190 µs of every signed-in request, running a
fixed statement about 20 µs (``docs/benchmarks.md``, "Raw SQL"); and on PostgreSQL each is a
round trip. ``session_with_user`` reads both in one. Each statement is tested against the ORM
queries it replaces in ``tests/accounts/test_rawsql.py``."""

from functools import cache

from django.db import connections, router

from kpiworkshop.core.rawrows import Columns, model_columns

from .models import Session, User


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


@cache
def _session_with_user_sql(using: str, vendor: str) -> tuple[str, Columns, Columns]:
    """The statement behind ``session_with_user``, written once per database."""
    session = model_columns(Session, "s", using)
    user = model_columns(User, "u", using)
    key = Session._meta.get_field("session_key").column
    expires = Session._meta.get_field("expire_date").column
    user_id = Session._meta.get_field("user").column
    sql = (
        f"SELECT {session.sql}, {user.sql} FROM {Session._meta.db_table} s "  # noqa: S608 - no user text
        f"LEFT OUTER JOIN {User._meta.db_table} u ON u.{User._meta.pk.column} = s.{user_id} "
        f"WHERE s.{key} = %s AND s.{expires} > %s"
    )
    return sql, session, user


def session_with_user(*, session_key: str, now) -> tuple[Session | None, User | None]:
    """The session row with this key that has not expired at ``now``, and the user its ``user``
    column names (None for none, for each): what
    ``Session.objects.select_related("user").filter(session_key=session_key,
    expire_date__gt=now).first()`` finds, in one statement."""
    using = router.db_for_read(Session)
    connection = connections[using]
    sql, session, user = _session_with_user_sql(using, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return None, None
    return session.load(row), user.load(row, session.width)
