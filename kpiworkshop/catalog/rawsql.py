"""The catalogue's hand-written SQL: the statements a profile showed pay for themselves
(building and compiling the equivalent ORM query on every request cost more than running it).
Each is tested against the ORM query it replaces in ``tests/catalog/test_rawsql.py``; the
figures are in ``docs/benchmarks.md`` ("Raw SQL")."""

from functools import cache

from django.db import connections, router
from django.db.models import OneToOneRel

from kpiworkshop.accounts.models import Membership, Organisation
from kpiworkshop.core.rawrows import Columns, loaders, model_columns
from kpiworkshop.workshops.models import Workshop

from .models import CatalogEntry, CatalogRelease, Export


@cache
def _organisation_with_member_role_sql(using: str, vendor: str) -> tuple[str, list]:
    """The statement behind ``organisation_with_member_role``, written once per database."""
    organisation = model_columns(Organisation, "o", using)
    sql = (
        f"SELECT {organisation.sql}, "  # noqa: S608 - no user text
        f"(SELECT m.role FROM {Membership._meta.db_table} m "
        "WHERE m.organisation_id = o.id AND m.user_id = %s AND m.is_active = %s "
        "ORDER BY m.id LIMIT 1) "
        f"FROM {Organisation._meta.db_table} o WHERE o.slug = %s "
        # The slug is unique: at most one row (the ORM's ``first()`` ordered it by name).
        "ORDER BY o.name, o.id LIMIT 1"
    )
    return sql, [organisation]


def organisation_with_member_role(*, slug: str, user) -> tuple[Organisation | None, str | None]:
    """The organisation and the user's active membership role in it (None for none), in one
    query: what every catalogue page needs first.

    Equivalent to ``Organisation.objects.filter(slug=slug)`` annotated with the user's active
    ``Membership.role`` (none for an anonymous user); written once per process as a fixed
    statement because building and compiling that ORM query on every request cost more than
    running it."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    using = router.db_for_read(Organisation)
    sql, columns = _organisation_with_member_role_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [user_id, True, slug])
        row = cursor.fetchone()
    if row is None:
        return None, None
    (organisation,) = loaders(*columns)(row)
    return organisation, row[-1]


@cache
def _release_and_current_sql(using: str, vendor: str) -> tuple[str, list]:
    """The statement behind ``releases_for_version_and_current``, written once per database."""
    table = CatalogRelease._meta.db_table
    release = model_columns(CatalogRelease, "r", using)
    workshop = model_columns(Workshop, "w", using)
    organisation = model_columns(Organisation, "o", using)
    previous = model_columns(CatalogRelease, "p", using)
    sql = (
        f"SELECT {release.sql}, {workshop.sql}, {organisation.sql}, {previous.sql} "  # noqa: S608
        f"FROM {table} r "
        f"LEFT OUTER JOIN {Workshop._meta.db_table} w ON w.id = r.workshop_id "
        f"INNER JOIN {Organisation._meta.db_table} o ON o.id = r.organisation_id "
        f"LEFT OUTER JOIN {table} p ON p.id = r.previous_id "
        "WHERE r.organisation_id = %s AND ((r.major = %s AND r.minor = %s) OR r.id = "
        f"(SELECT n.id FROM {table} n WHERE n.organisation_id = %s "
        "ORDER BY n.major DESC, n.minor DESC LIMIT 1)) "
        "ORDER BY r.major DESC, r.minor DESC"
    )
    return sql, [release, workshop, organisation, previous]


def releases_for_version_and_current(
    *, organisation_id: int, major: int, minor: int
) -> list[CatalogRelease]:
    """The organisation's release ``major.minor`` and its newest release (one row when they are
    the same, none when it has none), newest first, each with its workshop, organisation and
    previous release loaded.

    Replaces ``CatalogRelease.objects.filter(Q(major=major, minor=minor) | Q(pk=Subquery(newest)),
    organisation_id=organisation_id).select_related("workshop", "organisation", "previous")
    .order_by("-major", "-minor")``: the catalogue's every page asks it, and building and
    compiling that ORM query cost more than running it (figures: docs/benchmarks.md, "Raw
    SQL")."""
    using = router.db_for_read(CatalogRelease)
    sql, columns = _release_and_current_sql(using, connections[using].vendor)
    load = loaders(*columns)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [organisation_id, major, minor, organisation_id])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        release, workshop, organisation, previous = load(row)
        release.workshop = workshop
        release.organisation = organisation
        release.previous = previous
        found.append(release)
    return found


@cache
def _release_current_sql(using: str, vendor: str) -> tuple[str, list]:
    """The statement behind ``release_current_with_workshop``, written once per database."""
    table = CatalogRelease._meta.db_table
    release = model_columns(CatalogRelease, "r", using)
    workshop = model_columns(Workshop, "w", using)
    sql = (
        f"SELECT {release.sql}, {workshop.sql} FROM {table} r "  # noqa: S608 - no user text
        f"LEFT OUTER JOIN {Workshop._meta.db_table} w ON w.id = r.workshop_id "
        "WHERE r.organisation_id = %s ORDER BY r.major DESC, r.minor DESC LIMIT 1"
    )
    return sql, [release, workshop]


def release_current_with_workshop(*, organisation_id: int) -> CatalogRelease | None:
    """The organisation's newest release with its workshop loaded (None when it has none).

    Replaces ``CatalogRelease.objects.filter(organisation_id=organisation_id)
    .select_related("workshop").order_by("-major", "-minor").first()``: the catalogue page
    asks it on every request (figures: docs/benchmarks.md, "Raw SQL")."""
    using = router.db_for_read(CatalogRelease)
    sql, columns = _release_current_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [organisation_id])
        row = cursor.fetchone()
    if row is None:
        return None
    release, workshop = loaders(*columns)(row)
    release.workshop = workshop
    return release


@cache
def _exports_sql(using: str, vendor: str) -> tuple[str, Columns]:
    """The statement behind ``exports_of``, written once per database."""
    columns = model_columns(Export, "e", using)
    sql = (
        f"SELECT {columns.sql} FROM {Export._meta.db_table} e "  # noqa: S608 - no user text
        "WHERE e.release_id = %s ORDER BY e.format, e.audience"
    )
    return sql, columns


def exports_of(*, release_id: int) -> list[Export]:
    """The release's exports by format, then audience: what ``Export.objects.filter(
    release_id=release_id).order_by("format", "audience")`` gives (the catalogue page's
    downloads, on every request)."""
    using = router.db_for_read(Export)
    sql, columns = _exports_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [release_id])
        return [columns.load(row) for row in cursor.fetchall()]


@cache
def _entries_of_kpi_sql(using: str, vendor: str, related: tuple[str, ...]) -> tuple[str, list]:
    """The statement behind ``entries_of_kpi`` for these reverse one-to-one relations."""
    entry = model_columns(CatalogEntry, "e", using)
    release = model_columns(CatalogRelease, "r", using)
    columns, joins = [entry, release], []
    for i, name in enumerate(related):
        relation = CatalogEntry._meta.get_field(name)
        if not isinstance(relation, OneToOneRel):
            raise ValueError(f"{name!r} is not a reverse one-to-one relation of an entry")
        alias = f"x{i}"
        columns.append(model_columns(relation.related_model, alias, using))
        joins.append(
            f"LEFT OUTER JOIN {relation.related_model._meta.db_table} {alias} "
            f"ON {alias}.{relation.field.column} = e.id "
        )
    sql = (
        f"SELECT {', '.join(c.sql for c in columns)} "  # noqa: S608 - no user text
        f"FROM {CatalogEntry._meta.db_table} e "
        f"INNER JOIN {CatalogRelease._meta.db_table} r ON r.id = e.release_id "
        + "".join(joins)
        + "WHERE r.organisation_id = %s AND e.kpi_uid = %s ORDER BY r.major DESC, r.minor DESC"
    )
    return sql, columns


def entries_of_kpi(
    *, organisation_id: int, kpi_uid, related: tuple[str, ...] = ()
) -> list[CatalogEntry]:
    """The KPI in every release of the organisation, newest release first, each with its
    release and the ``related`` reverse one-to-ones (None where there is none) loaded.

    Replaces ``CatalogEntry.objects.filter(release__organisation_id=organisation_id,
    kpi_uid=kpi_uid).select_related("release", *related).order_by("-release__major",
    "-release__minor")``: the KPI page asks it on every request."""
    using = router.db_for_read(CatalogEntry)
    connection = connections[using]
    sql, columns = _entries_of_kpi_sql(using, connection.vendor, tuple(related))
    uid = CatalogEntry._meta.get_field("kpi_uid").get_db_prep_value(kpi_uid, connection)
    load = loaders(*columns)
    relations = [CatalogEntry._meta.get_field(name) for name in related]
    found = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [organisation_id, uid])
        rows = cursor.fetchall()
    for row in rows:
        entry, release, *others = load(row)
        entry.release = release
        for relation, other in zip(relations, others, strict=True):
            # As select_related does: a missing row is cached as None too (no query later).
            relation.set_cached_value(entry, other)
            if other is not None:
                relation.field.set_cached_value(other, entry)
        found.append(entry)
    return found
