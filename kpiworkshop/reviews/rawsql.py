"""The reviews' hand-written SQL: the one statement of a KPI's catalogue page that its every
request makes for this app, bringing three reads in one round trip (the feedback counts with the
reader's own answer, the latest comments, the measured values). Building and compiling their ORM
queries cost more than running them, and on PostgreSQL each further statement is a round trip
of its own (``docs/benchmarks.md``, "Raw SQL" and "Issue 18's budgets, session 8"). The
statement is written once per database and each of its parts is tested against the ORM query
it replaces in ``tests/reviews/test_rawsql.py``."""

from collections import namedtuple
from functools import cache

from django.db import connections, router

from kpiworkshop.core.rawrows import Columns, model_columns

from .models import Feedback, Measurement

#: A measured value as the page reads it (``values_list(..., named=True)``'s row).
MeasurementRow = namedtuple("MeasurementRow", ["period", "breakdown", "value"])

#: What ``entry_reads`` gives: ``counts`` as ``(role, answer, answers, of them the person's,
#: the person's comment)`` per role and answer, in no order; ``comments`` as ``Feedback``
#: instances, newest first; ``measurements`` as ``MeasurementRow``, oldest first.
EntryReads = namedtuple("EntryReads", ["counts", "comments", "measurements"])

#: The parts of the statement, told apart by its first column.
_COUNTS, _COMMENTS, _VALUES = 0, 1, 2
_COUNT_WIDTH = 5  # role, answer, answers, the person's, the person's comment


@cache
def _entry_reads_sql(using: str, vendor: str) -> tuple[str, Columns, Columns]:
    connection = connections[using]
    feedback = model_columns(Feedback, "f", using)
    values = model_columns(Measurement, "m", using, names=MeasurementRow._fields)
    fb_table, m_table = Feedback._meta.db_table, Measurement._meta.db_table

    def nulls(fields, typed: bool) -> str:
        # The parts lie side by side, each with NULLs where the others' columns are. The first
        # part names every column's type for PostgreSQL, which resolves a UNION's columns two
        # parts at a time (two untyped NULLs would make ``text``); SQLite has no column types.
        if not typed or vendor != "postgresql":
            return ", ".join("NULL" for _ in fields)
        return ", ".join(f"CAST(NULL AS {t})" for t in fields)

    fb_types = [f.cast_db_type(connection) for f in feedback.fields]
    m_types = [f.cast_db_type(connection) for f in values.fields]
    count_nulls = ", ".join("NULL" for _ in range(_COUNT_WIDTH))
    # Positions (1-based) of the ordering columns in the whole row: the part, the counts,
    # then each model's columns in field order.
    fb_at = 2 + _COUNT_WIDTH
    m_at = fb_at + feedback.width
    fb_fields, m_fields = feedback.attnames, values.attnames
    order = ", ".join(
        [
            "1",
            f"{fb_at + fb_fields.index('updated_at')} DESC",
            f"{fb_at + fb_fields.index('id')} DESC",
            f"{m_at + m_fields.index('period')}",
            f"{m_at + m_fields.index('breakdown')}",
        ]
    )
    sql = (
        # Only a person's own row matches the CASEs (``person`` is never NULL, a parameter of
        # NULL matches none): the filtered count and maximum of the ORM query.
        f"SELECT {_COUNTS}, f.role, f.answer, COUNT(f.id), "  # noqa: S608 - no user text
        "COUNT(CASE WHEN f.person = %s THEN f.id END), "
        "MAX(CASE WHEN f.person = %s THEN f.comment END), "
        f"{nulls(fb_types, True)}, {nulls(m_types, True)} "
        f"FROM {fb_table} f WHERE f.entry_id = %s GROUP BY f.role, f.answer "
        # A member of a compound SELECT may not have its own ORDER BY and LIMIT in SQLite:
        # they go in a derived table, and the whole statement's ORDER BY keeps them in order.
        f"UNION ALL SELECT {_COMMENTS}, {count_nulls}, c.*, {nulls(m_types, False)} FROM ("
        f"SELECT {feedback.sql} FROM {fb_table} f "
        "WHERE f.entry_id = %s AND NOT (f.comment = %s) "
        "ORDER BY f.updated_at DESC, f.id DESC LIMIT %s) c "
        f"UNION ALL SELECT {_VALUES}, {count_nulls}, {nulls(fb_types, False)}, {values.sql} "
        f"FROM {m_table} m WHERE m.organisation_id = %s AND m.kpi_uid = %s "
        f"ORDER BY {order}"
    )
    return sql, feedback, values


def entry_reads(
    *, entry_id: int, person: str, organisation_id: int, kpi_uid, comments: int
) -> EntryReads:
    """Three reads of a KPI's page in one statement, each what its ORM query gives:

    - ``counts``: ``Feedback.objects.filter(entry_id=entry_id).values_list("role", "answer")
      .annotate(n=Count("id"), mine=Count("id", filter=Q(person=person)), comment=Max(
      "comment", filter=Q(person=person))).order_by()``; an empty ``person`` (nobody) owns
      no answer;
    - ``comments``: the latest ``comments`` answers with a comment, ``Feedback.objects.filter(
      entry_id=entry_id).exclude(comment="")[:comments]`` (the model's ordering, newest
      first); 0 reads none;
    - ``measurements``: every value of the organisation's KPI, oldest first,
      ``Measurement.objects.filter(organisation_id=…, kpi_uid=…).order_by("period",
      "breakdown").values_list("period", "breakdown", "value", named=True)``."""
    using = router.db_for_read(Feedback)
    connection = connections[using]
    sql, feedback, values = _entry_reads_sql(using, connection.vendor)
    mine = person or None
    uid = Measurement._meta.get_field("kpi_uid").get_db_prep_value(kpi_uid, connection)
    params = [mine, mine, entry_id, entry_id, "", max(comments, 0), organisation_id, uid]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts, found, measured = [], [], []
    for row in rows:
        part = row[0]
        if part == _COUNTS:
            role, answer, n, m, comment = row[1 : 1 + _COUNT_WIDTH]
            counts.append((role, answer, int(n), int(m), comment))
        elif part == _COMMENTS:
            found.append(feedback.load(row, 1 + _COUNT_WIDTH))
        else:
            measured.append(MeasurementRow(*values.values(row, 1 + _COUNT_WIDTH + feedback.width)))
    return EntryReads(counts, found, measured)
