"""The run-sheet's hand-written SQL: the statement a profile showed pays for itself. Every page
of a workshop (the workshop page, the join screen, the ballot board) asks whether the workshop
has a run-sheet and where it stands; building and compiling that ORM query cost about a fifth
of the facilitator's workshop page on a hit. Tested against the ORM query it replaces in
``tests/runsheet/test_rawsql.py``; the figures are in ``docs/benchmarks.md`` ("Raw SQL")."""

from functools import cache

from django.db import connections, router

from kpiworkshop.core.rawrows import loaders, model_columns

from .models import Block, RunSheet


@cache
def _sheet_with_block_sql(using: str, vendor: str) -> tuple[str, list]:
    """The statement behind ``sheet_with_block``, written once per database."""
    sheet = model_columns(RunSheet, "s", using)
    block = model_columns(Block, "b", using)
    sql = (
        f"SELECT {sheet.sql}, {block.sql} "  # noqa: S608 - no user text
        f"FROM {RunSheet._meta.db_table} s "
        f"LEFT OUTER JOIN {Block._meta.db_table} b ON b.id = s.current_block_id "
        "WHERE s.workshop_id = %s"
    )
    return sql, [sheet, block]


def sheet_with_block(*, workshop_id: int) -> RunSheet | None:
    """The workshop's run-sheet with its current block (None when it has none), in one query.

    Equivalent to ``RunSheet.objects.select_related("current_block").filter(workshop_id=...)
    .first()`` (a workshop has at most one sheet: a one-to-one field), written once per process
    as a fixed statement."""
    using = router.db_for_read(RunSheet)
    sql, columns = _sheet_with_block_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [workshop_id])
        row = cursor.fetchone()
    if row is None:
        return None
    sheet, block = loaders(*columns)(row)
    sheet.current_block = block
    return sheet
