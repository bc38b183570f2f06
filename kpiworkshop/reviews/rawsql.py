"""The reviews' hand-written SQL: the three reads of a KPI's catalogue page that its every
request makes (the feedback counts with the reader's own answer, the latest comments, the
measured values). Building and compiling their ORM queries cost more than running them
(``docs/benchmarks.md``, "Raw SQL"); each statement is written once per database and tested
against the ORM query it replaces in ``tests/reviews/test_rawsql.py``."""

from collections import namedtuple
from functools import cache

from django.db import connections, router

from kpiworkshop.core.rawrows import Columns, model_columns

from .models import Feedback, Measurement

#: A measured value as the page reads it (``values_list(..., named=True)``'s row).
MeasurementRow = namedtuple("MeasurementRow", ["period", "breakdown", "value"])


@cache
def _feedback_counts_sql(using: str, vendor: str) -> str:
    return (
        # Only a person's own row matches the CASEs (``person`` is never NULL, a parameter of
        # NULL matches none): the filtered count and maximum of the ORM query.
        "SELECT f.role, f.answer, COUNT(f.id), "  # noqa: S608 - no user text
        "COUNT(CASE WHEN f.person = %s THEN f.id END), "
        "MAX(CASE WHEN f.person = %s THEN f.comment END) "
        f"FROM {Feedback._meta.db_table} f WHERE f.entry_id = %s GROUP BY f.role, f.answer"
    )


def feedback_counts(*, entry_id: int, person: str) -> list[tuple[str, str, int, int, str | None]]:
    """(role, answer, answers, of them the person's, the person's comment) per role and
    answer, in no order: what ``Feedback.objects.filter(entry_id=entry_id).values_list("role",
    "answer").annotate(n=Count("id"), mine=Count("id", filter=Q(person=person)),
    comment=Max("comment", filter=Q(person=person))).order_by()`` gives. An empty ``person``
    (nobody) owns no answer."""
    using = router.db_for_read(Feedback)
    sql = _feedback_counts_sql(using, connections[using].vendor)
    mine = person or None
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [mine, mine, entry_id])
        return [(role, answer, int(n), int(m), c) for role, answer, n, m, c in cursor.fetchall()]


@cache
def _feedback_comments_sql(using: str, vendor: str) -> tuple[str, Columns]:
    columns = model_columns(Feedback, "f", using)
    sql = (
        f"SELECT {columns.sql} FROM {Feedback._meta.db_table} f "  # noqa: S608 - no user text
        "WHERE f.entry_id = %s AND NOT (f.comment = %s) "
        "ORDER BY f.updated_at DESC, f.id DESC LIMIT %s"
    )
    return sql, columns


def feedback_comments(*, entry_id: int, limit: int) -> list[Feedback]:
    """The latest ``limit`` answers with a comment: ``Feedback.objects.filter(entry_id=
    entry_id).exclude(comment="")[:limit]`` (newest first, the model's ordering)."""
    using = router.db_for_read(Feedback)
    sql, columns = _feedback_comments_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [entry_id, "", limit])
        return [columns.load(row) for row in cursor.fetchall()]


@cache
def _measurements_sql(using: str, vendor: str) -> tuple[str, Columns]:
    columns = model_columns(Measurement, "m", using)
    sql = (
        f"SELECT {columns.sql} FROM {Measurement._meta.db_table} m "  # noqa: S608 - no user text
        "WHERE m.organisation_id = %s AND m.kpi_uid = %s ORDER BY m.period, m.breakdown"
    )
    return sql, columns


def measurements(*, organisation_id: int, kpi_uid) -> list[MeasurementRow]:
    """Every value of one KPI, oldest first: ``Measurement.objects.filter(organisation_id=…,
    kpi_uid=…).order_by("period", "breakdown").values_list("period", "breakdown", "value",
    named=True)``."""
    using = router.db_for_read(Measurement)
    connection = connections[using]
    sql, columns = _measurements_sql(using, connection.vendor)
    uid = Measurement._meta.get_field("kpi_uid").get_db_prep_value(kpi_uid, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [organisation_id, uid])
        rows = [columns.load(row) for row in cursor.fetchall()]
    return [MeasurementRow(m.period, m.breakdown, m.value) for m in rows]
