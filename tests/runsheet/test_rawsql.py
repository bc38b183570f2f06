"""``runsheet.rawsql`` gives what the ORM query it replaces gives."""

import pytest

from kpiworkshop.runsheet import rawsql, services
from kpiworkshop.runsheet.models import RunSheet
from tests.core.test_rawsql_modules import row
from tests.factories import ParticipantFactory, WorkshopFactory

from .conftest import add_blocks

pytestmark = pytest.mark.django_db


def _orm(workshop_id):
    return RunSheet.objects.select_related("current_block").filter(workshop_id=workshop_id).first()


def _same(workshop_id):
    raw, orm = rawsql.sheet_with_block(workshop_id=workshop_id), _orm(workshop_id)
    if orm is None:
        assert raw is None
        return None
    assert row(raw) == row(orm)
    mine, theirs = raw.current_block, orm.current_block
    assert (row(mine) if mine else None) == (row(theirs) if theirs else None)
    return raw


def test_sheet_with_block_is_the_orm_query(workshop, facilitator):
    assert _same(workshop.pk) is None  # no sheet
    add_blocks(facilitator, workshop, ("Welcome", 5), ("Propose", 10))
    assert _same(workshop.pk).current_block is None  # prepared, not started
    services.runsheet_start(actor=facilitator, workshop=workshop)
    sheet = _same(workshop.pk)
    assert sheet.current_block.title == "Welcome"
    # Another organisation's workshop with its own sheet: never this one's.
    other = WorkshopFactory()
    other_fac = ParticipantFactory(workshop=other, role="facilitator")
    add_blocks(other_fac, other, ("Theirs", 3))
    assert _same(other.pk).pk != sheet.pk
    assert _same(workshop.pk).pk == sheet.pk
    assert _same(10**12) is None
