"""Secret ballots never link a person to a choice (pages, board, API, audit trail), and who may
vote is the workshop's role × stage table narrowed by the ballot's eligible roles."""

import json

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.voting import permissions, services
from kpiworkshop.voting.models import Method
from kpiworkshop.workshops.models import STAGE_ORDER, Stage
from tests.conftest import login
from tests.factories import ParticipantFactory


def test_secret_ballot_reveals_no_names_anywhere(
    client, open_ballot, facilitator, people, proposals
):
    agents, customers = people
    ballot = open_ballot(Method.APPROVAL, secret=True, visibility="always", reason_required=True)
    for i, p in enumerate(agents + customers):
        services.vote_cast(
            actor=p, ballot=ballot, proposal_id=proposals[0].pk, value=i % 2, reason=f"because {i}"
        )
    services.ballot_close(actor=facilitator, ballot=ballot)
    names = [p.display_name for p in agents + customers]
    login(client, facilitator)
    base = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/"
    pages = [
        client.get(base).content.decode(),
        client.get(base + "board/").content.decode(),
        client.get(
            f"/api/v1/workshops/{ballot.workshop_id}/ballots/{ballot.pk}/results"
        ).content.decode(),
    ]
    for html in pages:
        assert not any(name in html for name in names)
    assert "because 3" in pages[0]  # reasons are shown, without names
    trail = json.dumps(list(AuditEvent.objects.values("actor_name", "details", "target_label")))
    assert not any(name in trail for name in names)
    assert "because" not in trail


def test_open_ballot_shows_the_facilitator_who_voted_what(
    client, open_ballot, facilitator, people, proposals
):
    voter = people[0][0]
    ballot = open_ballot(Method.APPROVAL, secret=False)
    services.vote_cast(actor=voter, ballot=ballot, proposal_id=proposals[0].pk, value=1)
    login(client, facilitator)
    html = client.get(f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/").content.decode()
    assert voter.display_name in html
    assert "Who voted what" in html


LETTERS = {
    "F": Role.FACILITATOR, "L": Role.LEADERSHIP, "M": Role.MANAGER, "S": Role.SUPERVISOR,
    "A": Role.AGENT, "C": Role.CUSTOMER, "K": Role.STAKEHOLDER,
}  # fmt: skip
#: Who may vote in an open ballot with no role restriction, per stage (the spec).
VOTERS = {s: "" for s in STAGE_ORDER} | {Stage.VOTE: "F M S A C K"}
#: Who may create ballots, per stage.
MANAGERS = {s: "" for s in STAGE_ORDER} | {Stage.REFINE: "F", Stage.VOTE: "F"}


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("letter", [*LETTERS, "anonymous", "other-org"])
def test_ballot_permission_grid(stage, letter, vote_workshop, facilitator, proposals):
    ballot = services.ballot_create(
        actor=facilitator, workshop=vote_workshop, title="R", method=Method.DOTS
    )
    ballot = services.ballot_open(actor=facilitator, ballot=ballot)
    vote_workshop.stage = stage
    vote_workshop.save(update_fields=["stage"])
    ballot.workshop = vote_workshop
    if letter == "anonymous":
        actor = None
    elif letter == "other-org":
        actor = ParticipantFactory(role=Role.AGENT)
    else:
        actor = ParticipantFactory(workshop=vote_workshop, role=LETTERS[letter], guest=True)
    assert permissions.can_vote_in(actor, ballot) is (letter in VOTERS[stage].split())
    assert permissions.can_manage_ballots(actor, vote_workshop) is (
        letter in MANAGERS[stage].split()
    )


def test_eligible_roles_narrow_who_votes(open_ballot, vote_workshop):
    ballot = open_ballot(Method.DOTS, eligible_roles=[Role.CUSTOMER])
    customer = ParticipantFactory(workshop=vote_workshop, role=Role.CUSTOMER, guest=True)
    agent = ParticipantFactory(workshop=vote_workshop, role=Role.AGENT, guest=True)
    assert permissions.can_vote_in(customer, ballot)
    assert not permissions.can_vote_in(agent, ballot)
