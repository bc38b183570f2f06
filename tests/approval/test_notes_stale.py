"""Training notes that quote a figure the KPI's definition no longer states are flagged for the
facilitator before publishing, until they are edited or confirmed (issue 17, item 26)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import permissions as approval_permissions
from kpiworkshop.approval import selectors as approval_selectors
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis.models import ProposalState
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory

from .conftest import make_proposal

NOTES = {
    "how_to_read": "The share of contacts solved at the first touch.",
    "when_it_moves": "Look at the repeat contacts by reason.",
    "pitfalls": "Closing tickets early inflates it.",
    "worked_example": "78 % is above the 75 % target: keep going.",
}
NOTE_IT = NOTES | {"worked_example": "Con il 78,5 % siamo sopra l'obiettivo del 75 %."}


@pytest.fixture
def fcr(approve_workshop, agent):
    return make_proposal(approve_workshop, agent, "FCR", target="75 %", thresholds="red < 60 %")


def _approve_with_notes(proposal, approver, facilitator):
    approval_services.approval_decide(
        actor=approver, proposal=proposal, decision=Decision.APPROVE, reason="Clear."
    )
    approval_services.training_notes_save(
        actor=facilitator, proposal=proposal, language="en", **NOTES
    )
    approval_services.training_notes_save(
        actor=facilitator, proposal=proposal, language="it", **NOTE_IT
    )


def _revise(proposal, actor, **definition):
    """A new revision of the KPI (as a request for changes and a resubmission make one)."""
    from kpiworkshop.kpis import services as kpi_services

    proposal.refresh_from_db()
    current = proposal.current_revision
    revision = kpi_services._revision_new(
        proposal=proposal,
        author=actor,
        definition=current.definition() | definition,
        change_note="New figures.",
        counter_metric_proposal=None,
    )
    proposal.refresh_from_db()
    return revision


def _stale(workshop):
    return {
        (s.name, s.language): s.quoted
        for row in approval_selectors.approval_rows(workshop=workshop)
        for s in row.stale_notes
    }


def test_notes_remember_the_revision_they_were_written_against(fcr, approvers, facilitator):
    _approve_with_notes(fcr, approvers[0], facilitator)
    assert {n.revision_id for n in fcr.notes.all()} == {fcr.current_revision_id}


def test_a_new_target_flags_the_notes_that_quote_the_old_one(
    approve_workshop, fcr, approvers, facilitator
):
    _approve_with_notes(fcr, approvers[0], facilitator)
    assert _stale(approve_workshop) == {}
    _revise(fcr, facilitator, target="80 %")
    assert _stale(approve_workshop) == {("FCR", "en"): ["75 %"], ("FCR", "it"): ["75 %"]}


def test_a_change_the_notes_do_not_quote_flags_nothing(
    approve_workshop, fcr, approvers, facilitator
):
    _approve_with_notes(fcr, approvers[0], facilitator)
    _revise(fcr, facilitator, thresholds="red < 65 %", measures="Solved at first touch.")
    assert _stale(approve_workshop) == {}


def test_editing_the_notes_clears_the_flag(approve_workshop, fcr, approvers, facilitator):
    _approve_with_notes(fcr, approvers[0], facilitator)
    _revise(fcr, facilitator, target="80 %")
    approval_services.training_notes_save(
        actor=facilitator,
        proposal=fcr,
        language="en",
        **NOTES | {"worked_example": "78 % is below the 80 % target."},
    )
    assert _stale(approve_workshop) == {("FCR", "it"): ["75 %"]}


def test_the_facilitator_confirms_notes_that_still_hold(
    approve_workshop, fcr, approvers, facilitator
):
    _approve_with_notes(fcr, approvers[0], facilitator)
    revision = _revise(fcr, facilitator, target="80 %")
    approval_services.training_notes_confirm(actor=facilitator, proposal=fcr, language="it")
    assert _stale(approve_workshop) == {("FCR", "en"): ["75 %"]}
    event = AuditEvent.objects.get(action="catalog.notes_confirm")
    assert event.target_id == str(fcr.pk)
    assert event.details == {"language": "it", "revision": revision.number, "quoted": ["75 %"]}
    assert fcr.notes.get(language="it").worked_example == NOTE_IT["worked_example"]


def test_only_the_facilitator_confirms(approve_workshop, fcr, approvers, facilitator, agent):
    _approve_with_notes(fcr, approvers[0], facilitator)
    _revise(fcr, facilitator, target="80 %")
    for actor in (agent, approvers[0], None):  # the author, an approver, anonymous
        with pytest.raises(PermissionDenied):
            approval_services.training_notes_confirm(actor=actor, proposal=fcr, language="en")
    assert not AuditEvent.objects.filter(action="catalog.notes_confirm").exists()


def test_confirming_notes_that_do_not_exist_is_refused(fcr, facilitator):
    with pytest.raises(ValidationError):
        approval_services.training_notes_confirm(actor=facilitator, proposal=fcr, language="en")


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize(
    "role", [Role.FACILITATOR, Role.LEADERSHIP, Role.MANAGER, Role.AGENT, Role.CUSTOMER]
)
def test_can_confirm_notes_grid(organisation, stage, role):
    """The facilitator, in the approve stage, on a KPI whose notes can be written; nobody
    else, and no facilitator of another workshop."""
    workshop = WorkshopFactory(organisation=organisation, stage=stage)
    other = WorkshopFactory(organisation=organisation, stage=stage)
    author = ParticipantFactory(workshop=workshop, role=Role.AGENT)
    actor = ParticipantFactory(workshop=workshop, role=role)
    outsider = ParticipantFactory(workshop=other, role=Role.FACILITATOR)
    for state in (
        ProposalState.SHORTLISTED,
        ProposalState.APPROVED,
        ProposalState.REJECTED,
        ProposalState.CHANGES_REQUESTED,
    ):
        proposal = make_proposal(workshop, author, f"FCR {state}", state=state)
        expected = (
            role == Role.FACILITATOR
            and stage == Stage.APPROVE
            and state in (ProposalState.SHORTLISTED, ProposalState.APPROVED)
        )
        assert approval_permissions.can_confirm_notes(actor, proposal) is expected, state
        assert approval_permissions.can_confirm_notes(outsider, proposal) is False
        assert approval_permissions.can_confirm_notes(None, proposal) is False


def test_board_and_publish_section_list_the_stale_notes(
    client, approve_workshop, fcr, approvers, facilitator
):
    _approve_with_notes(fcr, approvers[0], facilitator)
    _revise(fcr, facilitator, target="80 %")
    # The new revision voids the approval (issue 20): approved again, on the new target.
    approval_services.approval_decide(
        actor=approvers[0], proposal=fcr, decision=Decision.APPROVE, reason="Still clear."
    )
    client.force_login(facilitator.user)
    page = client.get(reverse("approval:board", args=[approve_workshop.pk])).content.decode()
    assert 'data-testid="stale-notes-count"' in page
    publish = page[page.index('id="publish"') :]
    assert "Training notes that quote an earlier definition" in publish
    assert "FCR" in publish and "75 %" in publish


def test_notes_page_warns_and_confirm_clears_it(
    client, approve_workshop, fcr, approvers, facilitator
):
    _approve_with_notes(fcr, approvers[0], facilitator)
    _revise(fcr, facilitator, target="80 %")
    client.force_login(facilitator.user)
    url = reverse("approval:notes", args=[approve_workshop.pk, fcr.pk]) + "?language=it"
    page = client.get(url).content.decode()
    assert 'data-testid="stale-warning"' in page and "75 %" in page and "80 %" in page
    confirm = reverse("approval:notes_confirm", args=[approve_workshop.pk, fcr.pk])
    response = client.post(confirm, {"language": "it"})
    assert response.status_code == 302
    assert 'data-testid="stale-warning"' not in client.get(url).content.decode()
    board = client.get(reverse("approval:board", args=[approve_workshop.pk])).content.decode()
    assert "(IT)" not in board[board.index('id="publish"') :]


def test_confirm_by_an_agent_is_refused_without_500(
    client, approve_workshop, fcr, approvers, facilitator, agent
):
    _approve_with_notes(fcr, approvers[0], facilitator)
    _revise(fcr, facilitator, target="80 %")
    client.force_login(agent.user)
    confirm = reverse("approval:notes_confirm", args=[approve_workshop.pk, fcr.pk])
    assert client.post(confirm, {"language": "it"}).status_code == 403
    assert not AuditEvent.objects.filter(action="catalog.notes_confirm").exists()


def test_backfill_takes_notes_as_checked_against_the_revision_they_were_saved_under(
    fcr, approvers, facilitator
):
    """Notes written before the field existed: the revision current when they were saved."""
    import datetime
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from kpiworkshop.approval.models import TrainingNotes
    from kpiworkshop.kpis.models import Revision

    backfill = importlib.import_module(
        "kpiworkshop.catalog.migrations.0004_training_notes_revision_backfill"
    ).backfill
    _approve_with_notes(fcr, approvers[0], facilitator)
    first = fcr.current_revision
    later = _revise(fcr, facilitator, target="80 %")
    minutes = lambda n: first.created_at + datetime.timedelta(minutes=n)  # noqa: E731
    Revision.objects.filter(pk=later.pk).update(created_at=minutes(5))
    TrainingNotes.objects.filter(language="en").update(revision=None, updated_at=minutes(1))
    TrainingNotes.objects.filter(language="it").update(revision=None, updated_at=minutes(6))
    # The models as that migration saw them (TrainingNotes was still catalog's; same table).
    loader = MigrationLoader(connection)
    backfill(loader.project_state(("catalog", "0004_training_notes_revision_backfill")).apps, None)
    assert {n.language: n.revision_id for n in TrainingNotes.objects.all()} == {
        "en": first.pk,
        "it": later.pk,
    }
