"""The history page speaks the reader's language: labels people see, not internal names, and
what the system wrote rendered from codes, not frozen in the language of whoever acted."""

from django.test import Client
from django.urls import reverse
from django.utils import translation

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import Stage
from tests.kpis.conftest import DEFINITION

EN = "en"
IT = "it-IT,it;q=0.9"


def _history(participant, workshop, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(participant.user)
    return client.get(reverse("workshops:history", args=[workshop.pk])).content.decode()


def test_history_shows_field_labels_of_an_accepted_suggestion(workshop, facilitator, agent):
    proposal = kpi_services.proposal_create(actor=agent, workshop=workshop, definition=DEFINITION)
    workshop.stage = Stage.REFINE
    workshop.save()
    suggestion = kpi_services.suggestion_create(
        actor=facilitator, proposal=proposal, changes={"measures": "Something else entirely."}
    )
    kpi_services.suggestion_accept(actor=agent, suggestion=suggestion)
    english = _history(facilitator, workshop, EN)
    assert "accepted a suggestion" in english
    assert "What it measures" in english
    assert ": measures" not in english
    italian = _history(facilitator, workshop, IT)
    assert "Cosa misura" in italian


def test_history_renders_invitations_and_comments_in_the_readers_language(
    workshop, facilitator, agent
):
    # The facilitator works in Italian; an English reader still reads English.
    with translation.override("it"):
        services.invitation_create(actor=facilitator, workshop=workshop, role="agent")
        proposal = kpi_services.proposal_create(
            actor=agent, workshop=workshop, definition=DEFINITION
        )
        kpi_services.comment_create(
            actor=agent, proposal=proposal, body="Good idea", stance="supports"
        )
    events = AuditEvent.objects.for_workshop(workshop.pk)
    assert events.filter(action="comment.create").exists()
    english = _history(facilitator, workshop, EN)
    assert "(Agent)" in english and "(Operatore)" not in english
    assert "(Supports)" in english
    italian = _history(facilitator, workshop, IT)
    assert "(Operatore)" in italian and "(A favore)" in italian


def test_history_falls_back_to_field_names_of_older_events(workshop, facilitator):
    # Events written before the fields were recorded kept them in their label.
    AuditEvent.objects.create(
        actor_name="Fran",
        action="suggestion.decline",
        organisation_id=workshop.organisation_id,
        workshop_id=workshop.pk,
        target_type="kpis.suggestion",
        target_id="1",
        target_label="measures, owner",
        details={"reason": "no"},
    )
    html = _history(facilitator, workshop, EN)
    assert "What it measures, Owner" in html
