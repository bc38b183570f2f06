import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis import selectors, services
from kpiworkshop.kpis.models import (
    Comment,
    Proposal,
    ProposalState,
    SuggestionState,
    Support,
)
from kpiworkshop.workshops.models import Stage

from .conftest import DEFINITION


def test_proposal_create_needs_only_name_measures_category(workshop, agent):
    p = services.proposal_create(
        actor=agent,
        workshop=workshop,
        definition={"name": "Time to reach a human", "measures": "Minutes", "category": "customer"},
    )
    assert p.state == ProposalState.OPEN
    assert p.current_revision.number == 1
    assert AuditEvent.objects.filter(action="proposal.create", workshop_id=workshop.pk).exists()


@pytest.mark.parametrize("missing", ["name", "measures", "category"])
def test_proposal_create_rejects_missing_required(workshop, agent, missing):
    definition = dict(DEFINITION) | {missing: ""}
    with pytest.raises(ValidationError):
        services.proposal_create(actor=agent, workshop=workshop, definition=definition)
    assert not Proposal.objects.exists()


def test_proposal_create_rejects_unknown_channel(workshop, agent):
    with pytest.raises(ValidationError):
        services.proposal_create(
            actor=agent, workshop=workshop, definition=DEFINITION | {"channels": ["fax"]}
        )


def test_proposal_create_from_library(workshop, agent, library_kpi):
    definition = services.library_definition(library_kpi=library_kpi, language="it")
    p = services.proposal_create(
        actor=agent, workshop=workshop, definition=definition, library_kpi=library_kpi
    )
    assert p.current_revision.name == "Risoluzione al primo contatto"
    assert p.current_revision.channels == ["voice", "chat"]
    assert p.library_kpi == library_kpi


def test_proposal_create_refused_outside_propose_stage(refine, agent):
    with pytest.raises(PermissionDenied):
        services.proposal_create(actor=agent, workshop=refine, definition=DEFINITION)


def test_proposal_create_refused_to_other_org(workshop, other_org_participant):
    with pytest.raises(PermissionDenied):
        services.proposal_create(
            actor=other_org_participant, workshop=workshop, definition=DEFINITION
        )


def test_proposal_revise_by_author_makes_new_revision(proposal, agent):
    rev = services.proposal_revise(
        actor=agent, proposal=proposal, definition={"unit": "%"}, change_note="unit"
    )
    proposal.refresh_from_db()
    assert rev.number == 2 and proposal.current_revision == rev
    assert rev.name == DEFINITION["name"]
    assert proposal.revisions.get(number=1).unit == ""  # immutable history


def test_proposal_revise_by_facilitator_allowed_by_others_refused(
    proposal, facilitator, supervisor
):
    services.proposal_revise(actor=facilitator, proposal=proposal, definition={"unit": "%"})
    with pytest.raises(PermissionDenied):
        services.proposal_revise(actor=supervisor, proposal=proposal, definition={"unit": "x"})


def test_proposal_revise_without_change_is_refused(proposal, agent):
    with pytest.raises(ValidationError):
        services.proposal_revise(actor=agent, proposal=proposal, definition={})


def test_proposal_withdraw(proposal, agent, supervisor):
    with pytest.raises(PermissionDenied):
        services.proposal_withdraw(actor=supervisor, proposal=proposal)
    services.proposal_withdraw(actor=agent, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.WITHDRAWN
    with pytest.raises(PermissionDenied):
        services.proposal_revise(actor=agent, proposal=proposal, definition={"unit": "%"})


def test_comment_with_stance_and_one_level_replies(proposal, supervisor, agent):
    c = services.comment_create(
        actor=supervisor, proposal=proposal, body="Exclude transfers", stance="concern"
    )
    r1 = services.comment_create(actor=agent, proposal=proposal, body="Good point", parent=c)
    r2 = services.comment_create(actor=supervisor, proposal=proposal, body="Thanks", parent=r1)
    assert r1.parent == c and r2.parent == c  # a reply to a reply joins the thread
    with pytest.raises(ValidationError):
        services.comment_create(actor=agent, proposal=proposal, body="x", stance="angry")
    with pytest.raises(ValidationError):
        services.comment_create(actor=agent, proposal=proposal, body="   ")


def test_comment_closed_in_vote_stage(proposal, supervisor, workshop):
    workshop.stage = Stage.VOTE
    workshop.save()
    proposal.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.comment_create(actor=supervisor, proposal=proposal, body="late")


def test_comment_hide_needs_facilitator_and_reason(proposal, supervisor, facilitator):
    c = services.comment_create(actor=supervisor, proposal=proposal, body="rude")
    with pytest.raises(PermissionDenied):
        services.comment_hide(actor=supervisor, comment=c, reason="x")
    with pytest.raises(ValidationError):
        services.comment_hide(actor=facilitator, comment=c, reason=" ")
    services.comment_hide(actor=facilitator, comment=c, reason="Off topic")
    c.refresh_from_db()
    assert c.is_hidden and c.hidden_by == facilitator
    assert AuditEvent.objects.filter(action="comment.hide").exists()


def test_comment_resolve_toggles(proposal, supervisor, facilitator):
    c = services.comment_create(actor=supervisor, proposal=proposal, body="add unit")
    with pytest.raises(PermissionDenied):
        services.comment_resolve(actor=supervisor, comment=c)
    services.comment_resolve(actor=facilitator, comment=c)
    assert Comment.objects.get(pk=c.pk).resolved_at is not None


def test_suggestion_only_in_refine(proposal, supervisor):
    with pytest.raises(PermissionDenied):
        services.suggestion_create(actor=supervisor, proposal=proposal, changes={"unit": "%"})


def test_suggestion_accept_credits_suggester(refine, proposal, supervisor, agent):
    s = services.suggestion_create(
        actor=supervisor,
        proposal=proposal,
        changes={"denominator": "All requests closed in the period, excluding transfers"},
        reason="Transfers are not repeats",
    )
    with pytest.raises(PermissionDenied):
        services.suggestion_accept(actor=supervisor, suggestion=s)
    rev = services.suggestion_accept(actor=agent, suggestion=s)
    s.refresh_from_db()
    assert s.state == SuggestionState.ACCEPTED and s.resulting_revision == rev
    assert rev.credited_to == supervisor and rev.number == 2
    assert rev.denominator.endswith("excluding transfers")
    with pytest.raises(ValidationError):
        services.suggestion_accept(actor=agent, suggestion=s)


def test_suggestion_without_change_is_refused(refine, proposal, supervisor):
    with pytest.raises(ValidationError):
        services.suggestion_create(
            actor=supervisor, proposal=proposal, changes={"name": DEFINITION["name"]}
        )


def test_stale_suggestion_applies_only_its_fields(refine, proposal, supervisor, agent):
    s = services.suggestion_create(actor=supervisor, proposal=proposal, changes={"unit": "%"})
    services.proposal_revise(actor=agent, proposal=proposal, definition={"owner": "CX lead"})
    rev = services.suggestion_accept(actor=agent, suggestion=s)
    assert rev.unit == "%" and rev.owner == "CX lead" and rev.number == 3


def test_facilitator_decides_in_authors_place_and_decline_needs_reason(
    refine, proposal, supervisor, facilitator
):
    s = services.suggestion_create(actor=supervisor, proposal=proposal, changes={"unit": "%"})
    with pytest.raises(ValidationError):
        services.suggestion_decline(actor=facilitator, suggestion=s, reason="")
    services.suggestion_decline(actor=facilitator, suggestion=s, reason="Already a share")
    s.refresh_from_db()
    assert s.state == SuggestionState.DECLINED and s.decided_by == facilitator


def test_support_toggles(proposal, supervisor):
    assert services.proposal_support(actor=supervisor, proposal=proposal) is True
    assert Support.objects.count() == 1
    assert services.proposal_support(actor=supervisor, proposal=proposal) is False
    assert Support.objects.count() == 0


def _second(workshop, author):
    return services.proposal_create(
        actor=author,
        workshop=workshop,
        definition=DEFINITION | {"name": "Repeat contacts in digital channels"},
    )


def test_merge_keeps_comments_and_supporters_once_and_undo(
    workshop, proposal, supervisor, facilitator, agent
):
    b = _second(workshop, supervisor)
    services.comment_create(actor=agent, proposal=b, body="On B", stance="supports")
    services.proposal_support(actor=agent, proposal=proposal)
    services.proposal_support(actor=agent, proposal=b)
    services.proposal_support(actor=supervisor, proposal=b)
    workshop.stage = Stage.REFINE
    workshop.save()
    pairs = selectors.duplicate_pairs(workshop=workshop)
    assert [(d.first.pk, d.second.pk) for d in pairs] == [(proposal.pk, b.pk)]
    with pytest.raises(PermissionDenied):
        services.proposal_merge(actor=agent, source=b, target=proposal)
    services.proposal_merge(actor=facilitator, source=b, target=proposal)
    b.refresh_from_db()
    assert b.state == ProposalState.MERGED and b.merged_into == proposal
    detail = selectors.proposal_detail(proposal=proposal, actor=agent)
    assert [c.body for c in detail.comments] == ["On B"]
    assert proposal.supporter_count == 2  # agent supported both: counted once
    assert proposal.supports_count == 1
    board = selectors.proposals_for_board(workshop=workshop, actor=agent)
    assert [p.pk for p in board] == [proposal.pk]
    services.proposal_unmerge(actor=facilitator, proposal=b)
    b.refresh_from_db()
    assert b.state == ProposalState.OPEN and b.merged_into is None
    assert Comment.objects.filter(proposal=b).count() == 1


def test_unmerge_refused_once_voting_starts(workshop, proposal, supervisor, facilitator):
    b = _second(workshop, supervisor)
    workshop.stage = Stage.REFINE
    workshop.save()
    services.proposal_merge(actor=facilitator, source=b, target=proposal)
    workshop.stage = Stage.VOTE
    workshop.save()
    b.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.proposal_unmerge(actor=facilitator, proposal=b)


def test_merge_refused_into_itself(refine, proposal, facilitator):
    with pytest.raises(ValidationError):
        services.proposal_merge(actor=facilitator, source=proposal, target=proposal)


def test_duplicates_ignore_different_kpis(workshop, proposal, supervisor):
    services.proposal_create(
        actor=supervisor,
        workshop=workshop,
        definition={
            "name": "Agent attrition",
            "measures": "Leavers per year",
            "category": "employee",
        },
    )
    assert selectors.duplicate_pairs(workshop=workshop) == []


def test_internal_fields_only_by_facilitator(proposal, facilitator, agent):
    with pytest.raises(PermissionDenied):
        services.proposal_set_internal_fields(actor=agent, proposal=proposal, fields=["unit"])
    with pytest.raises(ValidationError):
        services.proposal_set_internal_fields(actor=facilitator, proposal=proposal, fields=["name"])
    services.proposal_set_internal_fields(actor=facilitator, proposal=proposal, fields=["unit"])
    assert Proposal.objects.get(pk=proposal.pk).internal_fields == ["unit"]


def test_revision_diff_highlights_words_and_escapes():
    from kpiworkshop.kpis.models import Revision

    a = Revision(name="Repeat rate", measures="old <b>text</b>", category="customer")
    b = Revision(name="Repeat contact rate", measures="new <b>text</b>", category="economic")
    diffs = {d.name: d for d in selectors.revision_diff(a, b)}
    assert set(diffs) == {"name", "measures", "category"}
    assert "<ins>contact </ins>" in diffs["name"].html
    assert "&lt;b&gt;" in diffs["measures"].html and "<b>" not in diffs["measures"].html
    assert "<del>old</del><ins>new</ins>" in diffs["measures"].html


def test_library_load_is_idempotent(db):
    from kpiworkshop.kpis.models import LibraryKPI

    created, _ = services.library_load()
    assert created >= 40
    again, updated = services.library_load()
    assert again == 0 and updated == created
    assert LibraryKPI.objects.count() == created
    categories = set(LibraryKPI.objects.values_list("category", flat=True))
    assert categories == {"technical", "economic", "customer", "employee"}


def test_demo_seed_is_idempotent(db):
    from django.core.management import call_command

    from kpiworkshop.kpis.models import Suggestion

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = (Proposal.objects.count(), Comment.objects.count(), Suggestion.objects.count())
    assert first[0] >= 8 and first[1] > 0 and first[2] > 0
    assert Suggestion.objects.filter(state=SuggestionState.ACCEPTED).exists()
    assert Suggestion.objects.filter(state=SuggestionState.OPEN).exists()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Proposal.objects.count(), Comment.objects.count(), Suggestion.objects.count()) == first
