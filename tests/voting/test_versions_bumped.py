"""Each write a ballot's shared fragments show moves their version in its transaction: the
ballot's services (open, close, reveal, shortlist) and every vote (its voter's counter)."""

from kpiworkshop.voting import fragments, selectors, services
from kpiworkshop.voting.models import Method
from kpiworkshop.workshops.access import WorkshopAccess


def keys(workshop, ballot_id):
    ballot = selectors.ballot_get(workshop=workshop, ballot_id=ballot_id, with_activity=True)
    viewer = WorkshopAccess(workshop, None, None)
    return (
        fragments.ballot_results.key(viewer, ballot=ballot, equal=False),
        fragments.ballot_board.key(viewer, ballot=ballot, equal=False),
        fragments.ballot_cards.key(viewer, ballot=ballot),
    )


def test_ballot_services_and_votes_move_the_versions(
    open_ballot, people, proposals, vote_workshop, facilitator
):
    ballot = open_ballot(Method.APPROVAL, visibility="always", secret=False)
    seen = [keys(vote_workshop, ballot.pk)]
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    after_vote = keys(vote_workshop, ballot.pk)
    assert after_vote[0] != seen[-1][0] and after_vote[1] != seen[-1][1]
    assert after_vote[2] == seen[-1][2]  # the cards do not follow the votes (slots do)
    seen.append(after_vote)
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=proposals[0].pk, value=0)
    seen.append(keys(vote_workshop, ballot.pk))
    services.ballot_close(actor=facilitator, ballot=ballot)
    seen.append(keys(vote_workshop, ballot.pk))
    services.ballot_shortlist(actor=facilitator, ballot=ballot, proposal_ids=[proposals[0].pk])
    seen.append(keys(vote_workshop, ballot.pk))
    results = [k[0] for k in seen]
    assert len(set(results)) == len(results)
