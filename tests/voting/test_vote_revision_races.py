"""Keeping a vote racing the close of its round (PostgreSQL only; issue 20): the vote is either
kept before the close or refused after it, never moved once the round is closed."""

from django.core.exceptions import ValidationError

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.voting import revisions, services
from kpiworkshop.voting.models import Ballot, Method, Vote
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory
from tests.races import RACE_TEST, run_at_once

from .conftest import make_proposal

pytestmark = RACE_TEST


def test_keeping_a_vote_racing_the_close_has_one_outcome():
    workshop = WorkshopFactory(stage=Stage.REFINE)
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    agent = ParticipantFactory(workshop=workshop, role=Role.AGENT, guest=True)
    kpis = [make_proposal(workshop, facilitator, f"KPI {i}") for i in range(2)]
    for _round in range(4):
        workshop.stage = Stage.VOTE
        workshop.save(update_fields=["stage"])
        ballot = services.ballot_create(
            actor=facilitator, workshop=workshop, title="R", method=Method.APPROVAL
        )
        ballot = services.ballot_open(actor=facilitator, ballot=ballot)
        services.vote_cast(actor=agent, ballot=ballot, proposal_id=kpis[0].pk, value=1)
        workshop.stage = Stage.REFINE
        workshop.save(update_fields=["stage"])
        kpis[0].refresh_from_db()
        kpi_services.proposal_revise(
            actor=facilitator, proposal=kpis[0], definition={"target": f"{_round}"}
        )
        workshop.stage = Stage.VOTE
        workshop.save(update_fields=["stage"])
        ballot = Ballot.objects.select_related("workshop").get(pk=ballot.pk)

        def act(n, ballot=ballot):
            if n == 0:
                return revisions.vote_reconfirm(actor=agent, ballot=ballot, proposal_id=kpis[0].pk)
            return services.ballot_close(actor=facilitator, ballot=ballot)

        kept, closed = run_at_once(2, act)
        assert not isinstance(closed, Exception), closed
        kpis[0].refresh_from_db()
        vote = Vote.objects.get(ballot=ballot, participant=agent)
        if isinstance(kept, ValidationError):
            assert vote.revision_id != kpis[0].current_revision_id
        else:
            assert kept == 1 and vote.revision_id == kpis[0].current_revision_id
