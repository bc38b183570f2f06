"""Moderation of open text (issue 21, item 3): while a workshop holds open text, new comments and
proposals wait for the facilitator; the room does not see them until let through; a hidden one
shows its author why."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis import selectors as kpi_selectors
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Comment, Proposal
from kpiworkshop.mapping.models import TreeLink
from kpiworkshop.voting import services as voting_services
from kpiworkshop.workshops import permissions, selectors, services
from kpiworkshop.workshops.models import Participant, Stage, Workshop
from kpiworkshop.workshops.moderation import (
    ModeratedKind,
    Moderation,
    moderated_kind,
    moderated_kind_register,
    moderated_kinds,
)
from tests.conftest import as_guest, login
from tests.factories import ParticipantFactory, proposal_with_revision

DEFINITION = {
    "name": "First contact resolution",
    "measures": "Solved at once.",
    "category": "customer",
}


@pytest.fixture
def proposal(workshop, facilitator):
    return proposal_with_revision(workshop, facilitator, **DEFINITION)


@pytest.fixture
def holding(workshop, facilitator):
    """The workshop holding open text (the fixtures' instance, as proposals hold it)."""
    services.workshop_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    workshop.refresh_from_db()
    return workshop


def _comment(agent, proposal, body="Measured on which channels?"):
    return kpi_services.comment_create(actor=agent, proposal=proposal, body=body)


# --- the setting ------------------------------------------------------------------------------


def test_facilitator_switches_holding_on_and_off_and_each_switch_is_audited(workshop, facilitator):
    services.workshop_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    workshop.refresh_from_db()
    assert workshop.hold_open_text
    services.workshop_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    services.workshop_set_hold_open_text(actor=facilitator, workshop=workshop, hold=False)
    workshop.refresh_from_db()
    assert not workshop.hold_open_text
    events = AuditEvent.objects.filter(workshop_id=workshop.pk, action="workshop.hold_open_text")
    assert [e.details["hold"] for e in events.order_by("pk")] == [True, False]


def test_only_the_facilitator_switches_holding(workshop, agent, other_org_participant):
    for actor in (agent, other_org_participant, None):
        with pytest.raises(PermissionDenied):
            services.workshop_set_hold_open_text(actor=actor, workshop=workshop, hold=True)
    workshop.refresh_from_db()
    assert not workshop.hold_open_text


# --- what is held -------------------------------------------------------------------------------


def test_a_comment_goes_straight_through_while_nothing_is_held(workshop, agent, proposal):
    assert _comment(agent, proposal).moderation == Moderation.SHOWN


def test_a_participants_comment_waits_while_open_text_is_held(holding, agent, proposal):
    assert _comment(agent, proposal).moderation == Moderation.HELD


def test_the_facilitators_own_comment_goes_through_while_held(holding, facilitator, proposal):
    assert _comment(facilitator, proposal).moderation == Moderation.SHOWN


def test_a_held_proposal_is_not_on_the_board_nor_in_a_new_round(
    holding, agent, facilitator, proposal
):
    held = kpi_services.proposal_create(actor=agent, workshop=holding, definition=dict(DEFINITION))
    assert held.moderation == Moderation.HELD
    board = kpi_selectors.proposals_for_board(workshop=holding, actor=facilitator)
    assert held.pk not in [p.pk for p in board]
    assert [p.pk for p in kpi_selectors.proposals_waiting_for(workshop=holding, actor=agent)] == [
        held.pk
    ]
    Workshop.objects.filter(pk=holding.pk).update(stage=Stage.VOTE)
    holding.refresh_from_db()
    ballot = voting_services.ballot_create(
        actor=facilitator, workshop=holding, title="Round", method="approval"
    )
    assert set(ballot.items.values_list("proposal_id", flat=True)) == {proposal.pk}


def test_a_held_comment_is_not_counted_on_the_board(holding, agent, facilitator, proposal):
    _comment(agent, proposal)
    (card,) = kpi_selectors.proposals_for_board(workshop=holding, actor=facilitator)
    assert card.comment_count == 0


# --- deciding -----------------------------------------------------------------------------------


def test_letting_a_comment_through_shows_it_to_the_room_and_is_audited(
    holding, facilitator, agent, proposal
):
    comment = _comment(agent, proposal)
    services.moderation_release(
        actor=facilitator, workshop=holding, kind="comment", item_id=comment.pk
    )
    comment.refresh_from_db()
    assert comment.moderation == Moderation.SHOWN
    assert comment.moderated_by == facilitator
    event = AuditEvent.objects.get(action="moderation.release")
    assert event.details == {"kind": "comment"}
    assert event.target_id == str(comment.pk)


def test_hiding_needs_a_reason_and_keeps_it_for_the_author(holding, facilitator, agent, proposal):
    comment = _comment(agent, proposal)
    with pytest.raises(ValidationError):
        services.moderation_hide(
            actor=facilitator, workshop=holding, kind="comment", item_id=comment.pk, reason="  "
        )
    comment.refresh_from_db()
    assert comment.moderation == Moderation.HELD
    services.moderation_hide(
        actor=facilitator,
        workshop=holding,
        kind="comment",
        item_id=comment.pk,
        reason="Names a colleague",
    )
    comment.refresh_from_db()
    assert comment.moderation == Moderation.HIDDEN
    assert comment.moderation_reason == "Names a colleague"
    assert AuditEvent.objects.get(action="moderation.hide").details["reason"] == "Names a colleague"


def test_a_reason_too_long_is_refused_and_changes_nothing(holding, facilitator, agent, proposal):
    comment = _comment(agent, proposal)
    with pytest.raises(ValidationError):
        services.moderation_hide(
            actor=facilitator,
            workshop=holding,
            kind="comment",
            item_id=comment.pk,
            reason="x" * 301,
        )
    comment.refresh_from_db()
    assert comment.moderation == Moderation.HELD


def test_a_text_is_decided_once(holding, facilitator, agent, proposal):
    comment = _comment(agent, proposal)
    services.moderation_release(
        actor=facilitator, workshop=holding, kind="comment", item_id=comment.pk
    )
    with pytest.raises(ValidationError) as exc:
        services.moderation_hide(
            actor=facilitator, workshop=holding, kind="comment", item_id=comment.pk, reason="No"
        )
    assert exc.value.code == "already_decided"
    comment.refresh_from_db()
    assert comment.moderation == Moderation.SHOWN


def test_only_the_facilitator_decides(holding, agent, approver, proposal):
    comment = _comment(agent, proposal)
    for actor in (agent, approver, None):
        with pytest.raises(PermissionDenied):
            services.moderation_release(
                actor=actor, workshop=holding, kind="comment", item_id=comment.pk
            )
    comment.refresh_from_db()
    assert comment.moderation == Moderation.HELD


def test_another_organisations_text_is_never_reached(holding, other_org_participant):
    other = other_org_participant.workshop
    services.workshop_set_hold_open_text(actor=other_org_participant, workshop=other, hold=True)
    other.refresh_from_db()
    author = ParticipantFactory(workshop=other, role=Role.AGENT)
    theirs = proposal_with_revision(other, other_org_participant, **DEFINITION)
    comment = _comment(author, theirs)
    assert comment.moderation == Moderation.HELD
    # Our facilitator, through our workshop, names their comment's id: not found.
    ours = Participant.objects.get(workshop=holding, role=Role.FACILITATOR)
    with pytest.raises(ValidationError) as exc:
        services.moderation_release(
            actor=ours, workshop=holding, kind="comment", item_id=comment.pk
        )
    assert exc.value.code == "not_found"
    # Their facilitator on our workshop: refused outright.
    with pytest.raises(PermissionDenied):
        services.moderation_release(
            actor=other_org_participant, workshop=holding, kind="comment", item_id=comment.pk
        )
    comment.refresh_from_db()
    assert comment.moderation == Moderation.HELD
    assert selectors.moderation_queue(workshop=holding) == []


def test_an_unknown_kind_is_refused(holding, facilitator):
    with pytest.raises(ValidationError):
        services.moderation_release(actor=facilitator, workshop=holding, kind="nope", item_id=1)


def test_the_queue_lists_comments_and_proposals_oldest_first(holding, facilitator, agent, proposal):
    first = _comment(agent, proposal, "First")
    held = kpi_services.proposal_create(actor=agent, workshop=holding, definition=dict(DEFINITION))
    queue = selectors.moderation_queue(workshop=holding)
    assert [(q.kind.key, q.item.pk) for q in queue] == [
        ("comment", first.pk),
        ("proposal", held.pk),
    ]
    assert queue[0].text == "First"
    assert queue[0].about == DEFINITION["name"]
    assert queue[0].author == agent.display_name


# --- the registry -------------------------------------------------------------------------------


def test_comments_and_proposals_are_registered_kinds():
    assert {k.key for k in moderated_kinds()} >= {"comment", "proposal"}
    assert moderated_kind("comment").model is Comment
    assert moderated_kind("proposal").model is Proposal


def test_a_kind_cannot_be_registered_twice_differently():
    from django.core.exceptions import ImproperlyConfigured

    kind = moderated_kind("comment")
    moderated_kind_register(kind)  # the same again: harmless (apps reloaded)
    other = ModeratedKind(**{**kind.__dict__, "model_label": "kpis.Proposal"})
    with pytest.raises(ImproperlyConfigured):
        moderated_kind_register(other)


# --- predicates, as a grid --------------------------------------------------------------------

STAGES = [s.value for s in Stage]
OTHER_ORG = "other organisation's participant"
ACTORS = [*Role.values, None, OTHER_ORG]


def _actor(actor, workshop):
    if actor is None:
        return None
    if actor == OTHER_ORG:
        return Participant(
            pk=999, workshop_id=workshop.pk + 1, role=Role.FACILITATOR, is_active=True
        )
    return Participant(pk=5, workshop_id=workshop.pk, role=actor, is_active=True)


@pytest.mark.parametrize("hold", [True, False])
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: "anonymous" if a is None else str(a))
def test_moderation_predicates_grid(actor, stage, hold):
    workshop = Workshop(pk=41, stage=stage, hold_open_text=hold)
    participant = _actor(actor, workshop)
    moderates = actor == Role.FACILITATOR and stage != Stage.ARCHIVED
    assert permissions.can_moderate_text(participant, workshop) is moderates
    # Held: while holding, everyone's text but the moderating facilitator's.
    assert permissions.text_is_held(participant, workshop) is (hold and not moderates)
    # A waiting text is seen by its author (pk 5) and the facilitator, nobody else.
    in_workshop = actor not in (None, OTHER_ORG)
    assert permissions.can_see_moderated(participant, workshop, author_id=5) is in_workshop
    assert permissions.can_see_moderated(participant, workshop, author_id=6) is moderates


# --- pages ----------------------------------------------------------------------------------------


def test_queue_page_for_the_facilitator_with_and_without_htmx(
    client, holding, facilitator, agent, proposal
):
    _comment(agent, proposal, "Please *explain*")
    login(client, facilitator)
    url = reverse("workshops:moderation", args=[holding.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Please *explain*" in page.content
    assert b'data-testid="hold-off"' in page.content
    fragment = client.get(url + "?fragment=queue", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b"Please *explain*" in fragment.content


def test_queue_page_is_refused_to_others(
    client, holding, agent, guest_customer, other_org_participant
):
    url = reverse("workshops:moderation", args=[holding.pk])
    login(client, agent)
    assert client.get(url).status_code == 403
    client.logout()
    as_guest(client, guest_customer)
    assert client.get(url).status_code == 403
    client.cookies.clear()
    assert client.get(url).status_code == 404  # anonymous: the workshop is not even named
    login(client, other_org_participant)
    assert client.get(url).status_code == 404


def test_deciding_from_the_queue_with_htmx_returns_the_queue(
    client, holding, facilitator, agent, proposal
):
    comment = _comment(agent, proposal)
    login(client, facilitator)
    url = reverse("workshops:moderation_decide", args=[holding.pk])
    response = client.post(
        url,
        {"kind": "comment", "item": comment.pk, "decision": "hide", "reason": "Off topic"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b'id="moderation-queue"' in response.content
    assert b'data-testid="queue-empty"' in response.content
    comment.refresh_from_db()
    assert comment.moderation == Moderation.HIDDEN


def test_deciding_without_htmx_redirects_to_the_queue(
    client, holding, facilitator, agent, proposal
):
    comment = _comment(agent, proposal)
    login(client, facilitator)
    url = reverse("workshops:moderation_decide", args=[holding.pk])
    response = client.post(url, {"kind": "comment", "item": comment.pk, "decision": "release"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workshops:moderation", args=[holding.pk])
    comment.refresh_from_db()
    assert comment.moderation == Moderation.SHOWN


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "comment", "item": "abc", "decision": "release"},
        {"kind": "comment", "item": "99999999999999999999", "decision": "release"},
        {"kind": "comment", "item": "-3", "decision": "release"},
        {"kind": "nope", "item": "1", "decision": "release"},
        {"kind": "comment", "item": "{pk}", "decision": "explode"},
        {"kind": "comment", "item": "{pk}", "decision": "hide", "reason": ""},
        {"kind": "comment", "item": "{pk}", "decision": "hide", "reason": "x" * 400},
        {"kind": "comment\x00", "item": "{pk}", "decision": "release"},
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_decisions_answer_a_message_and_change_nothing(
    client, holding, facilitator, agent, proposal, data, htmx
):
    comment = _comment(agent, proposal)
    login(client, facilitator)
    data = {k: v.replace("{pk}", str(comment.pk)) for k, v in data.items()}
    url = reverse("workshops:moderation_decide", args=[holding.pk])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(url, data, **headers)
    if htmx:
        assert response.status_code == 200
        assert b'data-testid="queue-error"' in response.content
    else:
        assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.moderation == Moderation.HELD


def test_setting_form_switches_holding(client, workshop, facilitator, agent):
    url = reverse("workshops:moderation_setting", args=[workshop.pk])
    login(client, agent)
    assert client.post(url, {"hold": "on"}).status_code == 403
    login(client, facilitator)
    assert client.post(url, {"hold": "on"}).status_code == 302
    workshop.refresh_from_db()
    assert workshop.hold_open_text
    client.post(url, {"hold": "off"})
    workshop.refresh_from_db()
    assert not workshop.hold_open_text


def test_the_room_sees_a_held_comment_only_once_let_through(
    client, holding, facilitator, agent, approver, proposal
):
    comment = _comment(agent, proposal, "A waiting remark")
    page = reverse("kpis:detail", args=[holding.pk, proposal.pk])
    fragment = page + "?fragment=comment-list"
    login(client, approver)
    assert b"A waiting remark" not in client.get(page).content
    assert b"A waiting remark" not in client.get(fragment, HTTP_HX_REQUEST="true").content
    login(client, facilitator)  # the facilitator's page may be the projector: not there either
    assert b"A waiting remark" not in client.get(page).content
    login(client, agent)
    mine = client.get(page).content
    assert b"A waiting remark" in mine
    assert b'data-testid="comment-waiting"' in mine
    services.moderation_release(
        actor=facilitator, workshop=holding, kind="comment", item_id=comment.pk
    )
    login(client, approver)
    shown = client.get(fragment, HTTP_HX_REQUEST="true")
    assert b"A waiting remark" in shown.content
    assert b"<html" not in shown.content


def test_the_author_sees_why_their_comment_was_hidden_and_nobody_else_sees_it(
    client, holding, facilitator, agent, approver, proposal
):
    comment = _comment(agent, proposal, "Bob is lazy")
    services.moderation_hide(
        actor=facilitator, workshop=holding, kind="comment", item_id=comment.pk, reason="Personal"
    )
    page = reverse("kpis:detail", args=[holding.pk, proposal.pk])
    login(client, agent)
    mine = client.get(page).content.decode()
    assert 'data-testid="comment-hidden-reason"' in mine
    assert "Personal" in mine
    login(client, approver)
    theirs = client.get(page).content.decode()
    assert "Bob is lazy" not in theirs
    assert "Personal" not in theirs


def test_a_held_proposal_page_is_its_authors_and_the_facilitators_only(
    client, holding, facilitator, agent, approver
):
    held = kpi_services.proposal_create(actor=agent, workshop=holding, definition=dict(DEFINITION))
    page = reverse("kpis:detail", args=[holding.pk, held.pk])
    login(client, approver)
    assert client.get(page).status_code == 404
    login(client, facilitator)
    assert client.get(page).status_code == 200
    login(client, agent)
    mine = client.get(page)
    assert b'data-testid="proposal-waiting"' in mine.content
    board = client.get(reverse("kpis:board", args=[holding.pk])).content
    assert b'data-testid="my-waiting"' in board


def test_posting_a_held_comment_without_htmx_says_it_waits(client, holding, agent, proposal):
    login(client, agent)
    url = reverse("kpis:comment", args=[holding.pk, proposal.pk])
    response = client.post(url, {"body": "Hello", "stance": ""}, follow=True)
    assert "waiting for the facilitator" in response.content.decode()


# --- query counts -------------------------------------------------------------------------------


def _count(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_and_comment_list_query_counts_do_not_grow_with_the_texts(
    client, holding, facilitator, proposal
):
    authors = [ParticipantFactory(workshop=holding, role=Role.AGENT) for _ in range(3)]
    queue_url = reverse("workshops:moderation", args=[holding.pk])
    list_url = reverse("kpis:detail", args=[holding.pk, proposal.pk]) + "?fragment=comment-list"
    login(client, facilitator)
    counts = []
    made = 0
    for size in (1, 10, 40):
        while made < size:
            author = authors[made % 3]
            _comment(author, proposal, f"Text {made}")
            held = kpi_services.proposal_create(
                actor=author, workshop=holding, definition=dict(DEFINITION, name=f"KPI {made}")
            )
            # A KPI tree link's why waits too (written directly: links need the Map stage).
            TreeLink.objects.create(
                workshop=holding,
                from_proposal=held,
                to_proposal=proposal,
                kind="drives",
                why=f"Why {made}",
                proposed_by=author,
                moderation=Moderation.HELD,
            )
            made += 1
        Comment.objects.filter(proposal=proposal, pk__lte=made // 2 + 1).update(
            moderation=Moderation.SHOWN
        )
        counts.append(
            (
                _count(client, queue_url),
                _count(client, queue_url + "?fragment=queue", HTTP_HX_REQUEST="true"),
                _count(client, list_url, HTTP_HX_REQUEST="true"),
            )
        )
    assert counts[0] == counts[1] == counts[2]
    queue_page, queue_fragment, comment_list = counts[0]
    assert queue_page <= 12
    assert queue_fragment <= 8
    assert comment_list <= 8


def test_queue_page_and_the_authors_badge_read_in_italian(
    client, holding, facilitator, agent, proposal
):
    _comment(agent, proposal)
    login(client, facilitator)
    queue = client.get(
        reverse("workshops:moderation", args=[holding.pk]), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    for text in ("Moderazione", "Lascia passare", "1 testo in attesa", "Smetti di trattenere"):
        assert text in queue
    login(client, agent)
    page = client.get(
        reverse("kpis:detail", args=[holding.pk, proposal.pk]), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "In attesa del facilitatore" in page
