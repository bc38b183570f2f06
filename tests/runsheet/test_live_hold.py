"""Run-sheet live mode (issue 21, item 3): a sheet set to hold open text switches the
workshop's holding on when the session starts and off when it ends, if it turned it on."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.runsheet import services
from kpiworkshop.runsheet.models import RunSheet
from kpiworkshop.workshops import services as workshop_services
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _run_to_the_end(facilitator, workshop):
    while True:
        sheet = RunSheet.objects.get(workshop=workshop)
        if sheet.current_block_id is None:
            return sheet
        services.runsheet_next(
            actor=facilitator, workshop=workshop, expected_block_id=sheet.current_block_id
        )


def test_starting_a_live_sheet_holds_open_text_and_finishing_releases_the_hold(
    workshop, facilitator, three_blocks
):
    services.runsheet_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    services.runsheet_start(actor=facilitator, workshop=workshop)
    workshop.refresh_from_db()
    assert workshop.hold_open_text
    _run_to_the_end(facilitator, workshop)
    workshop.refresh_from_db()
    assert not workshop.hold_open_text
    switches = AuditEvent.objects.filter(workshop_id=workshop.pk, action="workshop.hold_open_text")
    assert [e.details["hold"] for e in switches.order_by("id")] == [True, False]
    assert AuditEvent.objects.filter(action="runsheet.hold_open_text").count() == 1


def test_a_sheet_without_live_mode_leaves_holding_alone(workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    workshop.refresh_from_db()
    assert not workshop.hold_open_text


def test_the_end_keeps_a_hold_the_facilitator_switched_on_by_hand(
    workshop, facilitator, three_blocks
):
    workshop_services.workshop_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    services.runsheet_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    services.runsheet_start(actor=facilitator, workshop=workshop)
    _run_to_the_end(facilitator, workshop)
    workshop.refresh_from_db()
    assert workshop.hold_open_text


def test_live_mode_is_set_by_the_facilitator_before_the_start_only(
    workshop, facilitator, agent, three_blocks
):
    with pytest.raises(PermissionDenied):
        services.runsheet_set_hold_open_text(actor=agent, workshop=workshop, hold=True)
    services.runsheet_start(actor=facilitator, workshop=workshop)
    with pytest.raises(ValidationError):
        services.runsheet_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    assert not RunSheet.objects.get(workshop=workshop).hold_open_text


def test_the_sheet_page_checkbox_sets_live_mode(client, workshop, facilitator, agent, three_blocks):
    url = reverse("runsheet:hold_open_text", args=[workshop.pk])
    login(client, agent)
    assert client.post(url, {"hold": "on"}).status_code in (403, 404)
    client.logout()
    login(client, facilitator)
    page = client.get(reverse("runsheet:sheet", args=[workshop.pk])).content.decode()
    assert 'data-testid="runsheet-hold-form"' in page
    response = client.post(url, {"hold": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("runsheet:sheet", args=[workshop.pk])
    assert RunSheet.objects.get(workshop=workshop).hold_open_text
    assert 'id="runsheet-hold" aria-describedby="runsheet-hold-help" checked' in (
        response.content.decode()
    )
    client.post(url, {})
    assert not RunSheet.objects.get(workshop=workshop).hold_open_text
