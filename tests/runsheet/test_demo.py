from django.utils import translation

from kpiworkshop import demo
from kpiworkshop.runsheet import services
from kpiworkshop.runsheet.demo import LIVE_WORKSHOP, ROUND_TITLE
from kpiworkshop.runsheet.models import Block, RunSheet, SheetState
from kpiworkshop.voting.models import Ballot, BallotState
from kpiworkshop.workshops.models import Participant


def test_the_live_demo_workshop_has_a_run_sheet_that_opens_its_round(db):
    demo.seed()
    sheet = RunSheet.objects.get(workshop__title=LIVE_WORKSHOP)
    assert sheet.state == SheetState.READY
    blocks = list(Block.objects.filter(sheet=sheet).order_by("position"))
    assert [b.planned_minutes for b in blocks] == [5, 10, 15, 10]
    with translation.override("it"):
        assert blocks[1].title_text == "Voto a punti"
    # Idempotent.
    demo.seed()
    assert Block.objects.filter(sheet__workshop__title=LIVE_WORKSHOP).count() == 4
    # Running it: moving on to the vote block opens the final round.
    facilitator = Participant.objects.filter(
        workshop=sheet.workshop, role="facilitator", user__isnull=False
    ).first()
    services.runsheet_start(actor=facilitator, workshop=sheet.workshop)
    result = services.runsheet_next(
        actor=facilitator, workshop=sheet.workshop, expected_block_id=blocks[0].pk
    )
    assert result.warning == ""
    assert Ballot.objects.get(workshop=sheet.workshop, title=ROUND_TITLE).state == BallotState.OPEN
