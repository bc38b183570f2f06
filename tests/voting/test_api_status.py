"""The results endpoint answers in django-ninja's supported form (``Status``), not with the
``(status, body)`` tuples that ninja deprecated and will remove."""

import warnings

from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method
from tests.conftest import login


def test_results_api_raises_no_deprecation_warning(
    client, open_ballot, facilitator, agent, people, proposals
):
    # Open ballot: a secret one withholds every figure under three voters (voting-trust).
    ballot = open_ballot(Method.APPROVAL, secret=False)
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    url = f"/api/v1/workshops/{ballot.workshop_id}/ballots/{ballot.pk}/results"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        login(client, agent)
        hidden = client.get(url)
        client.logout()
        login(client, facilitator)
        shown = client.get(url)
    assert hidden.status_code == 403
    assert hidden.json() == {"detail": "The results of this round are not shown yet."}
    assert shown.status_code == 200 and shown.json()["rows"][0]["value"] == 1
    assert [str(w.message) for w in caught if "deprecated" in str(w.message).lower()] == []
