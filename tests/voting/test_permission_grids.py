"""Full grids (7 roles + anonymous + a facilitator of another organisation, × 8 stages) for the
ballot predicates not covered elsewhere: running an existing ballot (Map included), seeing
results under each visibility, and seeing who voted what."""

import pytest
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.voting import permissions, services
from kpiworkshop.voting.models import Method, Visibility
from kpiworkshop.workshops.models import STAGE_ORDER, Stage
from tests.factories import ParticipantFactory

LETTERS = {
    "F": Role.FACILITATOR, "L": Role.LEADERSHIP, "M": Role.MANAGER, "S": Role.SUPERVISOR,
    "A": Role.AGENT, "C": Role.CUSTOMER, "K": Role.STAKEHOLDER,
}  # fmt: skip
ACTORS = [*LETTERS, "anonymous", "other-org"]
ALL = " ".join(LETTERS)

#: Who may close, reveal and shortlist an existing ballot, per stage: the facilitator, while
#: the workshop is in Refine, Vote or Map (tidying up the last round after moving on).
RUN = {s: "" for s in STAGE_ORDER} | {Stage.REFINE: "F", Stage.VOTE: "F", Stage.MAP: "F"}
#: Results of a round not yet revealed (visibility "when revealed"): the facilitator only, in
#: every stage (archived included: they keep the record).
UNREVEALED = {s: "F" for s in STAGE_ORDER}
#: Revealed results: everyone in the workshop, in every stage.
REVEALED = {s: ALL for s in STAGE_ORDER}
#: Who voted what in an open (non-secret) ballot: the facilitator only, in every stage.
OPEN_INDIVIDUAL = {s: "F" for s in STAGE_ORDER}
#: ... and in a secret ballot: nobody, ever.
SECRET_INDIVIDUAL = {s: "" for s in STAGE_ORDER}


@pytest.fixture
def make_ballot(vote_workshop, facilitator, proposals):
    def make(stage, **kwargs):
        ballot = services.ballot_create(
            actor=facilitator, workshop=vote_workshop, title="R", method=Method.DOTS, **kwargs
        )
        ballot = services.ballot_open(actor=facilitator, ballot=ballot)
        vote_workshop.stage = stage
        vote_workshop.save(update_fields=["stage"])
        ballot.workshop = vote_workshop
        return ballot

    return make


def actors_for(workshop) -> dict:
    """Every kind of visitor: the 7 roles of this workshop, anonymous, and a facilitator of
    another organisation's workshop."""
    actors = {
        letter: ParticipantFactory(workshop=workshop, role=role, guest=True)
        for letter, role in LETTERS.items()
    }
    return actors | {"anonymous": None, "other-org": ParticipantFactory(role=Role.FACILITATOR)}


def allowed(grid: dict, stage: str) -> dict:
    return {letter: letter in grid[stage].split() for letter in ACTORS}


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_running_a_ballot_grid(stage, make_ballot, vote_workshop):
    ballot = make_ballot(stage)
    actors = actors_for(vote_workshop)
    seen = {k: permissions.can_manage_ballots(a, ballot) for k, a in actors.items()}
    assert seen == allowed(RUN, stage)


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_results_visibility_grid(stage, make_ballot, vote_workshop):
    ballot = make_ballot(stage, visibility=Visibility.WHEN_REVEALED)
    actors = actors_for(vote_workshop)
    seen = {k: permissions.can_see_results(a, ballot, has_voted=True) for k, a in actors.items()}
    assert seen == allowed(UNREVEALED, stage)
    ballot.revealed_at = timezone.now()
    seen = {k: permissions.can_see_results(a, ballot, has_voted=False) for k, a in actors.items()}
    assert seen == allowed(REVEALED, stage)


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_results_after_voting_grid(stage, make_ballot, vote_workshop):
    """'To each person after they have voted': while the round is open, a person who voted
    sees them, one who has not does not (the facilitator always does)."""
    ballot = make_ballot(stage, visibility=Visibility.AFTER_VOTING)
    actors = actors_for(vote_workshop)
    seen = {k: permissions.can_see_results(a, ballot, has_voted=True) for k, a in actors.items()}
    assert seen == allowed(REVEALED, stage)
    seen = {k: permissions.can_see_results(a, ballot, has_voted=False) for k, a in actors.items()}
    assert seen == allowed(UNREVEALED, stage)


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("secret", [False, True], ids=["open", "secret"])
def test_individual_votes_grid(stage, secret, make_ballot, vote_workshop):
    ballot = make_ballot(stage, secret=secret)
    actors = actors_for(vote_workshop)
    seen = {k: permissions.can_see_individual_votes(a, ballot) for k, a in actors.items()}
    assert seen == allowed(SECRET_INDIVIDUAL if secret else OPEN_INDIVIDUAL, stage)
