"""A KPI's vote summary in the catalogue follows the voting app's small-group rule: the merged
"other groups" line keeps its roles and is labelled in the reader's language, and the overall
figure stays (it is safe under the rule); a round with too few voters shows no figure."""

from django.utils import translation

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval.selectors import vote_group_label
from kpiworkshop.approval.selectors import vote_summaries as _vote_summaries
from kpiworkshop.voting import services as voting
from kpiworkshop.voting.models import Method
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory

from .conftest import make_proposal


def _secret_round(workshop, facilitator, sizes: dict[str, int]):
    workshop.stage = Stage.VOTE
    workshop.save(update_fields=["stage"])
    proposal = make_proposal(workshop, facilitator, "FCR")
    ballot = voting.ballot_create(
        actor=facilitator, workshop=workshop, title="Round", method=Method.APPROVAL, secret=True
    )
    ballot = voting.ballot_open(actor=facilitator, ballot=ballot)
    for role, n in sizes.items():
        for _ in range(n):
            person = ParticipantFactory(workshop=workshop, role=role, guest=True)
            voting.vote_cast(actor=person, ballot=ballot, proposal_id=proposal.pk, value=1)
    voting.ballot_close(actor=facilitator, ballot=ballot)
    return proposal


def test_merged_small_groups_keep_their_roles_and_a_readable_label(workshop, facilitator):
    sizes = {Role.AGENT: 3, Role.MANAGER: 3, Role.CUSTOMER: 1, Role.SUPERVISOR: 2}
    proposal = _secret_round(workshop, facilitator, sizes)
    (summary,) = _vote_summaries(workshop)[proposal.pk]
    assert summary["voters"] == 9 and summary["percent"] == 100
    other = [g for g in summary["groups"] if g["role"] == "other"]
    assert len(other) == 1
    assert set(other[0]["roles"]) == {Role.CUSTOMER, Role.SUPERVISOR}
    with translation.override("en"):
        assert vote_group_label(other[0]) == "Other groups (Supervisor, Customer)"
    with translation.override("it"):
        assert vote_group_label(other[0]).startswith("Altri gruppi (")
    # No group line of fewer than 3 voters on its own.
    assert {g["role"] for g in summary["groups"]} == {Role.AGENT, Role.MANAGER, "other"}


def test_a_round_with_too_few_voters_shows_no_figure(workshop, facilitator):
    proposal = _secret_round(workshop, facilitator, {Role.AGENT: 1, Role.CUSTOMER: 1})
    assert proposal.pk not in _vote_summaries(workshop)
