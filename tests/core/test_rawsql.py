"""``core.rawsql`` gives what the ORM query it replaces gives."""

import pytest

from kpiworkshop.core import rawsql

pytestmark = pytest.mark.django_db


def test_scope_versions_is_the_orm_query():
    from django.db import transaction
    from django.db.models import Q

    from kpiworkshop.core import versions
    from kpiworkshop.core.models import ScopeVersion

    with transaction.atomic():
        versions.version_bump(versions.BOARD, 7)
        versions.version_bump(versions.BOARD, 7)
        versions.version_bump(versions.MAP, 7)
        versions.version_bump(versions.BOARD, 8)

    def orm(scopes):
        where = Q(pk__in=[])
        for kind, object_id in scopes:
            where |= Q(kind=kind, object_id=object_id)
        return sorted(
            ScopeVersion.objects.filter(where).values_list("kind", "object_id", "epoch", "n")
        )

    for scopes in (
        [(versions.BOARD, 7)],
        [(versions.BOARD, 7), (versions.MAP, 7), (versions.ROSTER, 7)],
        [(versions.MAP, 8), (versions.BOARD, 8), (versions.BOARD, "7")],
        [(versions.GOALS, 10**12)],
        [],
    ):
        assert sorted(rawsql.scope_versions(scopes)) == orm(scopes)
    board = dict(((k, i), n) for k, i, _e, n in rawsql.scope_versions([(versions.BOARD, 7)]))
    assert board == {(versions.BOARD, 7): 2}
    # As the keys read them: a scope never written is "0", the rest "epoch.n", in order.
    read = versions.versions_read((versions.ROSTER, 7), (versions.BOARD, 7))
    assert read.split("|")[0] == "0" and read.split("|")[1].endswith(".2")


def test_columns_of_some_fields_convert_as_values_list(organisation):
    """``model_columns(..., names=…)``: only those columns, converted as ``values_list`` gives
    them (a date, a Decimal), with no instance built."""
    import datetime
    import decimal

    from django.db import connection

    from kpiworkshop.core.rawrows import model_columns
    from kpiworkshop.reviews.models import Measurement
    from tests.catalog.review_helpers import make_release

    entry = make_release(organisation).entries.first()
    Measurement.objects.create(
        organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
        period=datetime.date(2026, 2, 1), breakdown="chat", value=decimal.Decimal("-0.0001"),
    )  # fmt: skip
    columns = model_columns(Measurement, "m", names=("period", "value", "breakdown"))
    assert columns.width == 3 and columns.sql.count(",") == 2
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1, {columns.sql} FROM catalog_measurement m")  # noqa: S608
        raw = [columns.values(row, 1) for row in cursor.fetchall()]
    assert raw == [list(Measurement.objects.values_list("period", "value", "breakdown").get())]
    assert isinstance(raw[0][0], datetime.date) and isinstance(raw[0][1], decimal.Decimal)
