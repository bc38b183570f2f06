"""The proposal predicates as a full grid: every role x every stage, plus outsiders."""

import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import permissions
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import STAGE_ORDER, Participant, Stage, Workshop

EDIT = {Stage.PROPOSE, Stage.REFINE}


def _setup(role: str, stage: str, *, author: bool):
    workshop = Workshop(pk=1, organisation_id=1, stage=stage)
    actor = Participant(pk=10, workshop_id=1, role=role, is_active=True)
    proposal = Proposal(pk=5, workshop=workshop, author_id=10 if author else 11)
    proposal.state = ProposalState.OPEN
    return actor, proposal


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_edit_grid(role, stage):
    actor, proposal = _setup(role, stage, author=False)
    assert permissions.can_edit(actor, proposal) == (stage in EDIT and role == Role.FACILITATOR)
    actor, proposal = _setup(role, stage, author=True)
    assert permissions.can_edit(actor, proposal) == (stage in EDIT)


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_comment_suggest_support_grid(role, stage):
    actor, proposal = _setup(role, stage, author=False)
    assert permissions.can_comment_on(actor, proposal) == (stage in EDIT)
    assert permissions.can_support(actor, proposal) == (stage in EDIT)
    assert permissions.can_suggest_on(actor, proposal) == (stage == Stage.REFINE)


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_moderate_and_unmerge_grid(role, stage):
    actor, proposal = _setup(role, stage, author=False)
    facilitator = role == Role.FACILITATOR
    assert permissions.can_moderate(actor, proposal) == (facilitator and stage != Stage.ARCHIVED)
    before_vote = STAGE_ORDER.index(stage) < STAGE_ORDER.index(Stage.VOTE)
    assert permissions.can_unmerge(actor, proposal) == (facilitator and before_vote)


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_outsiders_and_anonymous_get_nothing(stage):
    _actor, proposal = _setup(Role.FACILITATOR, stage, author=False)
    outsider = Participant(pk=10, workshop_id=2, role=Role.FACILITATOR, is_active=True)
    for actor in (None, outsider):
        assert not permissions.can_edit(actor, proposal)
        assert not permissions.can_comment_on(actor, proposal)
        assert not permissions.can_suggest_on(actor, proposal)
        assert not permissions.can_moderate(actor, proposal)
        assert not permissions.can_unmerge(actor, proposal)


@pytest.mark.parametrize(
    "state", [s for s in ProposalState.values if s not in {"open", "changes_requested"}]
)
def test_closed_proposals_cannot_be_edited_or_discussed(state):
    actor, proposal = _setup(Role.FACILITATOR, Stage.REFINE, author=True)
    proposal.state = state
    assert not permissions.can_edit(actor, proposal)
    assert not permissions.can_comment_on(actor, proposal)
    assert not permissions.can_suggest_on(actor, proposal)


# --- internal-only fields: one rule for pages, API, forms and exports ---------------------------


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_see_internal_grid(role, stage):
    from kpiworkshop.accounts.models import Membership

    workshop = Workshop(pk=1, organisation_id=1, stage=stage)
    participant = Participant(pk=10, workshop_id=1, role=role, is_active=True)
    assert permissions.can_see_internal(participant, workshop) == (role != Role.CUSTOMER)
    # Not joined, but a member of the organisation: the same rule, by the organisation role.
    member = Membership(pk=3, organisation_id=1, role=role, is_active=True)
    assert permissions.can_see_internal(None, workshop, member) == (role != Role.CUSTOMER)
    # Another organisation's member, an inactive member, anonymous: never.
    outsider = Membership(pk=4, organisation_id=2, role=role, is_active=True)
    assert not permissions.can_see_internal(None, workshop, outsider)
    member.is_active = False
    assert not permissions.can_see_internal(None, workshop, member)
    assert not permissions.can_see_internal(None, workshop)
    other_workshop = Participant(pk=11, workshop_id=2, role=role, is_active=True)
    assert not permissions.can_see_internal(other_workshop, workshop)
    # A customer who joined sees no more because their organisation role would allow it.
    customer = Participant(pk=12, workshop_id=1, role=Role.CUSTOMER, is_active=True)
    assert not permissions.can_see_internal(customer, workshop, member)


@pytest.mark.parametrize("role", Role.values)
def test_hidden_fields_follow_the_predicate(role):
    workshop = Workshop(pk=1, organisation_id=1, stage=Stage.REFINE)
    proposal = Proposal(pk=5, workshop=workshop, author_id=11, internal_fields=["owner", "why"])
    participant = Participant(pk=10, workshop_id=1, role=role, is_active=True)
    expected = frozenset({"owner", "why"}) if role == Role.CUSTOMER else frozenset()
    assert permissions.hidden_fields(participant, proposal) == expected
    assert permissions.hidden_fields(None, proposal) == frozenset({"owner", "why"})


# --- resolving comments and withdrawing proposals ---------------------------------------------


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_resolve_grid(role, stage):
    facilitator = role == Role.FACILITATOR
    # Someone else's proposal: only the facilitator, while the workshop is not archived.
    actor, proposal = _setup(role, stage, author=False)
    assert permissions.can_resolve(actor, proposal) == (facilitator and stage != Stage.ARCHIVED)
    # Their own proposal: the author too, while comments are open (propose, refine).
    actor, proposal = _setup(role, stage, author=True)
    expected = (facilitator and stage != Stage.ARCHIVED) or stage in EDIT
    assert permissions.can_resolve(actor, proposal) == expected


@pytest.mark.parametrize("stage", STAGE_ORDER)
@pytest.mark.parametrize("role", Role.values)
def test_withdraw_grid(role, stage):
    actor, proposal = _setup(role, stage, author=False)
    assert permissions.can_withdraw(actor, proposal) == (stage in EDIT and role == Role.FACILITATOR)
    actor, proposal = _setup(role, stage, author=True)
    assert permissions.can_withdraw(actor, proposal) == (stage in EDIT)


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_outsiders_and_anonymous_never_resolve_or_withdraw(stage):
    _actor, proposal = _setup(Role.FACILITATOR, stage, author=False)
    # Another workshop's facilitator, even with the author's participant id.
    outsider = Participant(pk=11, workshop_id=2, role=Role.FACILITATOR, is_active=True)
    inactive = Participant(pk=11, workshop_id=1, role=Role.FACILITATOR, is_active=False)
    for actor in (None, outsider, inactive):
        assert not permissions.can_resolve(actor, proposal)
        assert not permissions.can_withdraw(actor, proposal)


@pytest.mark.parametrize(
    "state", [s for s in ProposalState.values if s not in {"open", "changes_requested"}]
)
def test_decided_proposals_cannot_be_withdrawn(state):
    actor, proposal = _setup(Role.AGENT, Stage.REFINE, author=True)
    proposal.state = state
    assert not permissions.can_withdraw(actor, proposal)


# --- the one hidden-fields rule, for proposals and catalogue entries alike --------------------


@pytest.mark.parametrize(
    ("internal_fields", "see_internal", "hidden"),
    [
        (["owner", "why"], False, {"owner", "why"}),
        (["owner", "why"], True, set()),
        ([], False, set()),
        (None, False, set()),  # an entry published before fields could be marked
        (None, True, set()),
    ],
)
def test_fields_hidden(internal_fields, see_internal, hidden):
    assert permissions.fields_hidden(internal_fields, see_internal=see_internal) == hidden


def test_fields_hidden_of_several_entries_is_every_field_any_of_them_hides():
    entries = [["owner"], None, ["why", "owner"]]
    assert permissions.fields_hidden_of(entries, see_internal=False) == {"owner", "why"}
    assert permissions.fields_hidden_of(entries, see_internal=True) == frozenset()


def test_only_kpis_permissions_turns_internal_fields_into_hidden_ones():
    # Every other module asks fields_hidden / hidden_fields: none decides from a see-internal
    # flag and a list of internal fields itself.
    import re
    from pathlib import Path

    import kpiworkshop

    derives = re.compile(r"\b(see_)?internal (else|or) .*internal_fields")
    source = Path(kpiworkshop.__file__).parent
    found = [
        f"{path.relative_to(source)}:{n}"
        for path in source.rglob("*.py")
        if path.name != "permissions.py" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if derives.search(line)
    ]
    assert found == []
