"""Two facilitators pressing "next" at once (PostgreSQL only, like the other race tests): the
session moves one block, the second press is refused as stale and changes nothing."""

from django.core.exceptions import ValidationError

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.runsheet import services
from kpiworkshop.runsheet.models import Block, RunSheet
from tests.factories import ParticipantFactory, WorkshopFactory
from tests.races import RACE_TEST, run_at_once

from .conftest import add_blocks

pytestmark = RACE_TEST


def test_two_facilitators_pressing_next_at_once_move_one_block():
    workshop = WorkshopFactory()
    facilitators = [ParticipantFactory(workshop=workshop, role=Role.FACILITATOR) for _ in range(2)]
    blocks = add_blocks(facilitators[0], workshop, ("Welcome", 5), ("Propose", 10), ("Vote", 8))
    services.runsheet_start(actor=facilitators[0], workshop=workshop)
    for _round in range(3):
        current = RunSheet.objects.get(workshop=workshop).current_block_id
        if current is None:
            break
        results = run_at_once(
            2,
            lambda i, current=current: services.runsheet_next(
                actor=facilitators[i], workshop=workshop, expected_block_id=current
            ),
        )
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(refused) == 1, results
        assert refused[0].code == "stale"
        assert not [r for r in results if isinstance(r, Exception) and r not in refused]
    ended = Block.objects.filter(sheet__workshop=workshop, ended_at__isnull=False).count()
    assert ended == len(blocks)
    assert AuditEvent.objects.filter(workshop_id=workshop.pk, action="runsheet.next").count() == 2
    assert AuditEvent.objects.filter(workshop_id=workshop.pk, action="runsheet.finish").count() == 1


def test_pressing_start_twice_at_once_starts_once():
    workshop = WorkshopFactory()
    facilitators = [ParticipantFactory(workshop=workshop, role=Role.FACILITATOR) for _ in range(2)]
    add_blocks(facilitators[0], workshop, ("Welcome", 5), ("Propose", 10))
    results = run_at_once(
        2, lambda i: services.runsheet_start(actor=facilitators[i], workshop=workshop)
    )
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    assert AuditEvent.objects.filter(workshop_id=workshop.pk, action="runsheet.start").count() == 1
