"""The admin lets an operator look into a problem without editing what must not be edited."""

import pytest
from django.urls import reverse

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import Invitation, Participant


@pytest.fixture
def trail(workshop, facilitator, invitation):
    services.invitation_revoke(actor=facilitator, invitation=invitation)
    return AuditEvent.objects.get(action="invitation.revoke")


@pytest.mark.parametrize(
    "model",
    ["workshops_workshop", "workshops_participant", "workshops_invitation", "core_auditevent"],
)
def test_operator_can_list_and_search(operator, trail, model):
    url = reverse(f"admin:{model}_changelist")
    assert operator.get(url).status_code == 200
    assert operator.get(url, {"q": "Fran"}).status_code == 200


def test_audit_events_are_fully_read_only(operator, trail):
    change = reverse("admin:core_auditevent_change", args=[trail.pk])
    html = operator.get(change).content.decode()
    assert 'name="_save"' not in html
    assert operator.post(change, {"action": "edited", "actor_name": "x"}).status_code == 403
    delete = reverse("admin:core_auditevent_delete", args=[trail.pk])
    assert operator.post(delete, {"post": "yes"}).status_code == 403
    assert operator.get(reverse("admin:core_auditevent_add")).status_code == 403
    trail.refresh_from_db()
    assert trail.action == "invitation.revoke"


def test_invitations_are_read_only_and_participants_only_renamed_or_switched_off(
    operator, workshop, facilitator, agent, invitation
):
    change = reverse("admin:workshops_invitation_change", args=[invitation.pk])
    assert operator.get(change).status_code == 200
    assert operator.post(change, {"role": "facilitator"}).status_code == 403
    invitation.refresh_from_db()
    assert invitation.role == "agent"
    url = reverse("admin:workshops_participant_change", args=[agent.pk])
    response = operator.post(url, {"display_name": "Andrea R.", "role": "facilitator"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.display_name, agent.role, agent.is_active) == ("Andrea R.", "agent", False)
    delete = reverse("admin:workshops_participant_delete", args=[agent.pk])
    assert operator.post(delete, {"post": "yes"}).status_code == 403
    assert Participant.objects.filter(pk=agent.pk).exists()
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_workshop_stage_cannot_be_changed_in_the_admin(operator, workshop, facilitator):
    url = reverse("admin:workshops_workshop_change", args=[workshop.pk])
    html = operator.get(url).content.decode()
    assert 'name="stage"' not in html
    assert "Fran" in html  # its participants, inline
