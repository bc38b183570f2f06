"""The issue-10 predicates as full grids: every organisation role, a member of another
organisation, and nobody (anonymous)."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.reviews import permissions as p

ORG = 1
READERS = {role: Reader(ORG, role) for role in Role.values} | {
    "other_org": Reader(2, Role.FACILITATOR),
    "anonymous": None,
}
ACCOUNTABLE_TEAM_LEADERS = [{"slug": "team_leaders", "name": "TL", "kind": "accountable"}]
SEEN_BY_AGENTS = [{"slug": "agents", "name": "Agents", "kind": "sees"}]

FEEDBACK = {r: r in Role.values for r in READERS}
MODERATE = {r: r == Role.FACILITATOR for r in READERS}
COMMENTS = {r: r in (Role.FACILITATOR, Role.LEADERSHIP, Role.MANAGER) for r in READERS}
VALUES = {r: r in (Role.FACILITATOR, Role.SUPERVISOR) for r in READERS}
REVIEWS = {r: r == Role.FACILITATOR for r in READERS}


@pytest.mark.parametrize("who", list(READERS))
def test_feedback_grid(who):
    assert p.can_give_feedback(READERS[who], ORG, is_current=True) is FEEDBACK[who]
    assert p.can_give_feedback(READERS[who], ORG, is_current=False) is False
    assert p.can_moderate_feedback(READERS[who], ORG) is MODERATE[who]
    assert p.can_see_feedback_comments(READERS[who], ORG) is COMMENTS[who]


@pytest.mark.parametrize("who", list(READERS))
def test_values_grid(who):
    assert p.can_record_values(READERS[who], ORG, ACCOUNTABLE_TEAM_LEADERS) is VALUES[who]
    # Seeing a KPI does not make one accountable for its values.
    only_facilitator = who == Role.FACILITATOR
    assert p.can_record_values(READERS[who], ORG, SEEN_BY_AGENTS) is only_facilitator


@pytest.mark.parametrize("who", list(READERS))
def test_reviews_grid(who):
    assert p.can_manage_reviews(READERS[who], ORG) is REVIEWS[who]
