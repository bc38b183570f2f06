"""The session report: activity falls into the block it happened in, counted per group,
never with names; planned against actual time."""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.runsheet import selectors, services
from kpiworkshop.runsheet.report import report_csv, session_report
from kpiworkshop.voting import services as voting_services
from kpiworkshop.voting.models import Method
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory

from .conftest import add_blocks, make_proposal


@contextmanager
def clock_at(moment):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def test_activity_is_counted_per_block_and_group_without_names(workshop, facilitator):
    workshop.stage = Stage.VOTE
    workshop.save()
    agents = [
        ParticipantFactory(workshop=workshop, role=Role.AGENT, display_name=f"Agent Zed {i}")
        for i in range(3)
    ]
    customer = ParticipantFactory(
        workshop=workshop, role=Role.CUSTOMER, guest=True, display_name="Customer Quinn"
    )
    seed = make_proposal(workshop, facilitator, "Seed KPI")
    ballot = voting_services.ballot_create(
        actor=facilitator, workshop=workshop, title="Secret dots", method=Method.DOTS, secret=True
    )
    blocks = add_blocks(facilitator, workshop, ("Propose", 10), ("Vote", 5, "ballot_open"))
    t0 = timezone.now()
    with clock_at(t0):
        services.runsheet_start(actor=facilitator, workshop=workshop)
    with clock_at(t0 + timedelta(minutes=3)):
        for person in [*agents[:2], customer]:
            make_proposal(workshop, person, f"Idea of {person.display_name}")
    with clock_at(t0 + timedelta(minutes=12)):
        services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=blocks[0].pk)
    with clock_at(t0 + timedelta(minutes=13)):
        for person in agents:
            voting_services.vote_cast(actor=person, ballot=ballot, proposal_id=seed.pk, value=2)
    with clock_at(t0 + timedelta(minutes=16)):
        services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=blocks[1].pk)
    sheet = selectors.sheet_for_workshop(workshop=workshop)
    report = session_report(sheet=sheet, blocks=selectors.blocks_for_sheet(sheet=sheet))
    first, second = report.rows
    assert (first.planned_seconds, first.actual_seconds) == (600, 720)
    assert (second.planned_seconds, second.actual_seconds) == (300, 240)
    assert first.people == {Role.AGENT: 2, Role.CUSTOMER: 1}
    assert first.produced["proposals"] == 3
    assert second.people == {Role.AGENT: 3}
    assert second.produced["votes"] == 3
    assert second.produced["rounds"] == 1  # opened by moving on to the block
    assert report.planned_seconds == 900 and report.actual_seconds == 960
    csv = report_csv(report)
    assert "Zed" not in csv and "Quinn" not in csv
    assert csv.splitlines()[1].startswith("1,Propose,10,12.0,720,")


def test_a_typed_title_cannot_become_a_spreadsheet_formula(workshop, facilitator):
    add_blocks(facilitator, workshop, ("=HYPERLINK(1)", 5))
    sheet = selectors.sheet_for_workshop(workshop=workshop)
    report = session_report(sheet=sheet, blocks=selectors.blocks_for_sheet(sheet=sheet))
    assert ",'=HYPERLINK(1)," in report_csv(report)
