"""The mapping app's hand-written SQL: the statements a profile showed pay for themselves
(building and compiling the equivalent ORM query on every request cost more than running it).
Each is tested against the ORM query it replaces in ``tests/mapping/test_rawsql.py``; the
figures are in ``docs/benchmarks.md`` (the KPI tree page)."""

from functools import cache

from django.db import connections, router

from .models import TreeLink, TreeLinkStance


@cache
def _tree_stances_sql(using: str, vendor: str) -> str:
    """The statement behind ``tree_stances_of``, written once per database."""
    quote = connections[using].ops.quote_name
    stance, link = TreeLinkStance._meta, TreeLink._meta

    def col(model, alias, name):
        return f"{alias}.{quote(model.get_field(name).column)}"

    link_id = col(stance, "s", "link")
    return (
        f"SELECT {link_id}, {col(stance, 's', 'stance')} "  # noqa: S608 - no user text
        f"FROM {quote(stance.db_table)} s "
        f"INNER JOIN {quote(link.db_table)} l ON l.{quote(link.pk.column)} = {link_id} "
        f"WHERE {col(link, 'l', 'workshop')} = %s AND {col(stance, 's', 'participant')} = %s"
    )


def tree_stances_of(*, workshop_id: int, participant_id: int) -> dict[int, str]:
    """A participant's stance on each of the workshop's tree links: ``{link id: stance}``.

    Equivalent to ``TreeLinkStance.objects.filter(link__workshop_id=workshop_id,
    participant_id=participant_id).values_list("link_id", "stance")``: asked on every view of
    the KPI tree (the page's one per-viewer read), where compiling that query cost more than
    running it."""
    using = router.db_for_read(TreeLinkStance)
    sql = _tree_stances_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [workshop_id, participant_id])
        return dict(cursor.fetchall())
