"""The workshop page's shared fragments (the head count for everyone, the facilitator's
"Invite people" panel) follow every change they show at once, are shown only to whom may see
them, never cross organisations, and never carry anyone's CSRF token."""

import datetime
import re
from unittest import mock

from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.workshops import fragments, selectors, services
from kpiworkshop.workshops.models import Invitation, Participant, new_guest_key
from kpiworkshop.workshops.throttle import JoinClient
from tests.conftest import as_guest, login
from tests.factories import InvitationFactory, ParticipantFactory, WorkshopFactory


def page(client, workshop) -> str:
    response = client.get(reverse("workshops:detail", args=[workshop.pk]))
    assert response.status_code == 200
    return response.content.decode()


def joined_cell(html: str, code: str) -> str:
    row = html[html.index(f'data-code="{code}"') :]
    row = row[: row.index("</tr>")]
    return re.search(r'data-label="Joined">([^<]*)<', row).group(1).strip()


def join_as_guest(invitation: Invitation, name: str) -> Participant:
    return services.participant_join_guest(
        invitation=invitation, guest_key=new_guest_key(), display_name=name
    )


def test_the_head_count_follows_joins_for_every_viewer(
    client, workshop, facilitator, guest_customer, invitation
):
    login(client, facilitator)
    guest = as_guest(Client(), guest_customer)
    assert "2 participants" in page(client, workshop)
    assert "2 participants" in page(guest, workshop)
    join_as_guest(invitation, "Ada")
    assert "3 participants" in page(client, workshop)
    assert "3 participants" in page(guest, workshop)
    assert "Agent: 1" in page(guest, workshop)


def test_the_head_count_follows_a_participant_leaving(client, workshop, facilitator, agent):
    login(client, facilitator)
    assert "2 participants" in page(client, workshop)
    with transaction.atomic():  # a write outside the services bumps its scope itself
        agent.is_active = False
        agent.save()
        versions.version_bump(versions.ROSTER, workshop.pk)
    assert "1 participant<" in page(client, workshop)


def test_the_join_code_table_follows_create_revoke_and_joins(client, workshop, facilitator):
    login(client, facilitator)
    assert "data-code=" not in page(client, workshop)
    invitation = services.invitation_create(actor=facilitator, workshop=workshop, role="agent")
    html = page(client, workshop)
    assert f'data-code="{invitation.code}"' in html
    assert joined_cell(html, invitation.code) == "0"
    join_as_guest(invitation, "Ada")
    assert joined_cell(page(client, workshop), invitation.code) == "1"
    services.invitation_revoke(actor=facilitator, invitation=invitation)
    html = page(client, workshop)
    assert "Revoked" in html and "Join screen" not in html


def test_the_htmx_answers_to_create_and_revoke_show_the_new_state(client, workshop, facilitator):
    login(client, facilitator)
    page(client, workshop)  # the panel is cached
    response = client.post(
        reverse("workshops:invitation_create", args=[workshop.pk]),
        {"inv-role": "customer"},
        HTTP_HX_REQUEST="true",
    )
    invitation = Invitation.objects.get(workshop=workshop)
    html = response.content.decode()
    assert f'data-code="{invitation.code}"' in html and "\x00" not in html  # no slot left unfilled
    response = client.post(
        reverse("workshops:invitation_revoke", args=[workshop.pk, invitation.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert "Revoked" in response.content.decode()


def test_a_code_expires_on_the_page_without_any_write(client, workshop, facilitator):
    login(client, facilitator)
    invitation = InvitationFactory(
        workshop=workshop, role=Role.AGENT, expires_at=timezone.now() + datetime.timedelta(hours=2)
    )
    html = page(client, workshop)
    assert "expires in 1\xa0hour, 59\xa0minutes" in html and "Join screen" in html
    spy = mock.patch.object(
        selectors, "invitations_for_workshop", wraps=selectors.invitations_for_workshop
    )
    now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=now):
        page(client, workshop)
    with spy as rendered:
        with mock.patch("django.utils.timezone.now", return_value=now):
            page(client, workshop)
        assert rendered.call_count == 0  # the same minute: shared
        # A minute on, "expires in …" is rendered again (the clock is part of the key).
        later = now + datetime.timedelta(minutes=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            page(client, workshop)
        assert rendered.call_count == 1
    much_later = timezone.now() + datetime.timedelta(hours=3)
    with mock.patch("django.utils.timezone.now", return_value=much_later):
        html = page(client, workshop)
    assert "Expired" in html and "Join screen" not in html
    assert f'data-code="{invitation.code}"' in html


def test_a_code_without_expiry_keeps_the_panel_shared_over_time(client, workshop, facilitator):
    login(client, facilitator)
    InvitationFactory(workshop=workshop, role=Role.AGENT)
    page(client, workshop)
    spy = mock.patch.object(
        selectors, "invitations_for_workshop", wraps=selectors.invitations_for_workshop
    )
    later = timezone.now() + datetime.timedelta(minutes=5)
    with spy as rendered, mock.patch("django.utils.timezone.now", return_value=later):
        page(client, workshop)
    assert rendered.call_count == 0


def test_the_panel_is_never_shown_to_participants_or_guests(
    client, workshop, facilitator, agent, guest_customer, invitation
):
    login(client, facilitator)
    assert invitation.code in page(client, workshop)  # now cached
    for viewer in (login(Client(), agent), as_guest(Client(), guest_customer)):
        html = page(viewer, workshop)
        assert "Invite people" not in html
        assert invitation.code not in html
        assert "data-code=" not in html


def test_a_member_who_has_not_joined_sees_no_panel(client, workshop, facilitator, invitation):
    login(client, facilitator)
    page(client, workshop)
    member = ParticipantFactory(
        role=Role.AGENT, workshop=WorkshopFactory(organisation=workshop.organisation)
    )
    html = page(login(Client(), member), workshop)
    assert "Join this workshop" in html and invitation.code not in html


def test_fragments_never_cross_organisations_even_with_equal_versions(
    client, workshop, facilitator, invitation
):
    other_workshop = WorkshopFactory()
    other_facilitator = ParticipantFactory(workshop=other_workshop, role=Role.FACILITATOR)
    other_invitation = InvitationFactory(workshop=other_workshop, role=Role.CUSTOMER)
    login(client, facilitator)
    other = login(Client(), other_facilitator)
    # Even if both rosters had the same version, the scope (organisation, workshop) keeps
    # their fragments apart.
    with mock.patch.object(fragments, "roster_version", return_value="same"):
        mine = page(client, workshop)
        theirs = page(other, other_workshop)
        mine_again = page(client, workshop)
    assert invitation.code in mine and other_invitation.code not in mine
    assert other_invitation.code in theirs and invitation.code not in theirs
    assert invitation.code in mine_again and other_invitation.code not in mine_again


def test_each_response_carries_its_own_working_csrf_token(workshop, facilitator, invitation):
    second = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    clients = [
        login(Client(enforce_csrf_checks=True), facilitator),
        login(Client(enforce_csrf_checks=True), second),
    ]
    htmls = [page(c, workshop) for c in clients]  # the second is served from the cache
    for html in htmls:
        assert "\x00" not in html  # no slot left unfilled
    # Without JavaScript: the second facilitator revokes with the token of their own page.
    revoke = reverse("workshops:invitation_revoke", args=[workshop.pk, invitation.pk])
    form = htmls[1][htmls[1].index(f'action="{revoke}"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = clients[1].post(revoke, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_copied_links_follow_the_site_address(client, workshop, facilitator, invitation):
    login(client, facilitator)
    assert f"http://testserver/j/{invitation.code}/" in page(client, workshop)
    with override_settings(SITE_URL="https://kpi.example.com"):
        html = page(client, workshop)
    assert f"https://kpi.example.com/j/{invitation.code}/" in html
    assert "http://testserver/j/" not in html


def test_the_panel_is_shared_per_language(client, workshop, facilitator, invitation):
    login(client, facilitator)
    assert "Invite people" in page(client, workshop)
    italian = client.get(
        reverse("workshops:detail", args=[workshop.pk]), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "Invite people" not in italian and invitation.code in italian


def test_a_join_through_the_code_page_updates_the_table(client, workshop, facilitator, invitation):
    login(client, facilitator)
    assert joined_cell(page(client, workshop), invitation.code) == "0"
    resolved = services.invitation_resolve(
        code=invitation.code, client=JoinClient(device="d", address="127.0.0.1")
    )
    join_as_guest(resolved, "Bea")
    assert joined_cell(page(client, workshop), invitation.code) == "1"


# --- query counts: a cached page costs the same at any size -------------------------------


def test_the_facilitators_page_queries_are_pinned(
    client, workshop, facilitator, invitation, django_assert_num_queries
):
    login(client, facilitator)
    page(client, workshop)
    for i in range(30):
        Participant.objects.create(
            workshop=workshop, guest_key=new_guest_key(), display_name=f"G{i}", role="agent"
        )
    page(client, workshop)  # a new roster: rendered once
    # Session with its user (one statement), participant with workshop and its roster version
    # (one statement), the run-sheet's countdown (one indexed lookup: runsheet's template tag).
    with django_assert_num_queries(3):
        page(client, workshop)


def test_the_guests_page_queries_are_pinned(
    client, workshop, guest_customer, django_assert_num_queries
):
    as_guest(client, guest_customer)
    page(client, workshop)
    # Participant with workshop and roster version, the run-sheet's countdown.
    with django_assert_num_queries(2):
        page(client, workshop)


# --- the stage panel: shared per stage, role and language; name and token per response ------


def stage_panel(html: str) -> str:
    start = html.index('id="stage-panel"')
    return html[start : html.index("</section>", start)]


def move(facilitator, workshop, stage):
    workshop.refresh_from_db()
    return services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=stage, expected_stage=workshop.stage
    )


def test_a_stage_move_shows_at_once_to_every_role(client, workshop, facilitator, guest_customer):
    login(client, facilitator)
    guest = as_guest(Client(), guest_customer)
    assert "Move to Refine" in page(client, workshop)  # the factory's workshop is proposing
    assert 'aria-current="step">Propose' in stage_panel(page(guest, workshop))
    move(facilitator, workshop, "refine")
    html = page(client, workshop)
    assert "Move to Vote" in html and "Move to Refine" not in html
    guest_panel = stage_panel(page(guest, workshop))
    assert 'aria-current="step">Refine' in guest_panel


def test_the_stage_poll_answers_with_the_new_panel(client, workshop, facilitator, agent):
    login(client, agent)
    page(client, workshop)
    workshop.refresh_from_db()
    version = workshop.state_version
    url = reverse("workshops:status", args=[workshop.pk])
    assert client.get(f"{url}?v={version}", HTTP_HX_REQUEST="true").status_code == 204
    move(facilitator, workshop, "refine")
    response = client.get(f"{url}?v={version}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'aria-current="step">Refine' in html and "Andrea" in html
    assert "Move to" not in html


def test_each_viewer_sees_their_own_name_escaped(client, workshop, facilitator):
    first = ParticipantFactory(workshop=workshop, role=Role.AGENT, display_name="Bruno")
    second = ParticipantFactory(workshop=workshop, role=Role.AGENT, display_name="<b>Eve</b>")
    first_html = stage_panel(page(login(client, first), workshop))
    second_html = stage_panel(page(login(Client(), second), workshop))  # the shared panel
    assert "<strong>Bruno</strong>" in first_html and "Eve" not in first_html
    assert "<strong>&lt;b&gt;Eve&lt;/b&gt;</strong>" in second_html
    assert "Bruno" not in second_html and "<b>Eve" not in second_html


def test_stage_buttons_are_never_shown_to_other_roles(
    client, workshop, facilitator, agent, guest_customer
):
    login(client, facilitator)
    assert 'data-testid="stage-controls"' in page(client, workshop)
    for viewer in (login(Client(), agent), as_guest(Client(), guest_customer)):
        html = page(viewer, workshop)
        assert 'data-testid="stage-controls"' not in html
        assert "csrfmiddlewaretoken" not in stage_panel(html)
    member = ParticipantFactory(
        role=Role.FACILITATOR, workshop=WorkshopFactory(organisation=workshop.organisation)
    )
    html = page(login(Client(), member), workshop)  # a facilitator who has not joined
    assert 'data-testid="stage-controls"' not in html and "You are taking part" not in html


def test_stage_panels_never_cross_workshops_or_organisations(client, workshop, facilitator):
    other = WorkshopFactory()  # same stage, same state version, another organisation
    other_facilitator = ParticipantFactory(workshop=other, role=Role.FACILITATOR)
    mine = stage_panel(page(login(client, facilitator), workshop))
    theirs = stage_panel(page(login(Client(), other_facilitator), other))
    assert f"/w/{workshop.pk}/status/" in mine and f"/w/{other.pk}/" not in mine
    assert f"/w/{other.pk}/status/" in theirs and f"/w/{workshop.pk}/" not in theirs


def test_a_second_facilitator_moves_the_stage_with_their_own_token(workshop, facilitator):
    second = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    page(login(Client(enforce_csrf_checks=True), facilitator), workshop)
    client = login(Client(enforce_csrf_checks=True), second)
    html = page(client, workshop)  # the shared panel
    assert "\x00" not in html  # no slot left unfilled
    panel = stage_panel(html)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', panel).group(1)
    response = client.post(
        reverse("workshops:stage", args=[workshop.pk]),
        {"csrfmiddlewaretoken": token, "stage": "refine", "expected_stage": "propose"},
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.stage == "refine"
