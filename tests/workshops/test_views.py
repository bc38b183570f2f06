import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.workshops.models import Invitation, InvitationEmail, Participant, Stage, Workshop
from tests.conftest import as_guest, login
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    ParticipantFactory,
    UserFactory,
    WorkshopFactory,
)

HX = {"HTTP_HX_REQUEST": "true"}
BOTH = pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def hx(htmx: bool) -> dict:
    return HX if htmx else {}


def detail_url(workshop) -> str:
    return reverse("workshops:detail", args=[workshop.pk])


def page(response) -> str:
    return response.content.decode()


def assert_back_to_detail(response, workshop, htmx: bool) -> None:
    """The stage form's answer: a redirect to the workshop page, which htmx follows through
    its HX-Redirect header (status 200) and a plain form through a 302."""
    if htmx:
        assert response.status_code == 200
        assert response["HX-Redirect"] == detail_url(workshop)
    else:
        assert response.status_code == 302
        assert response["Location"] == detail_url(workshop)


# --- detail page ----------------------------------------------------------------------------


@BOTH
def test_facilitator_sees_stage_controls_and_invitations(client, workshop, facilitator, htmx):
    login(client, facilitator)
    response = client.get(detail_url(workshop), **hx(htmx))
    assert response.status_code == 200
    html = page(response)
    assert workshop.title in html
    assert 'data-testid="stage-controls"' in html
    assert 'id="invitations"' in html
    assert "Move to Refine" in html
    assert "Back to Draft" in html


@BOTH
def test_agent_sees_stage_and_own_actions_but_no_controls(client, workshop, agent, htmx):
    login(client, agent)
    response = client.get(detail_url(workshop), **hx(htmx))
    assert response.status_code == 200
    html = page(response)
    assert "Andrea" in html
    assert "Propose KPIs" in html
    assert 'data-testid="stage-controls"' not in html
    assert 'id="invitations"' not in html
    assert "Join this workshop" not in html


@BOTH
def test_guest_with_device_cookie_sees_workshop(client, workshop, guest_customer, htmx):
    as_guest(client, guest_customer)
    response = client.get(detail_url(workshop), **hx(htmx))
    assert response.status_code == 200
    html = page(response)
    assert "Chiara" in html
    assert "Customer" in html
    assert 'data-testid="stage-controls"' not in html


@BOTH
def test_member_not_yet_joined_sees_join_button(client, workshop, htmx):
    member = MembershipFactory(organisation=workshop.organisation, role=Role.MANAGER).user
    client.force_login(member)
    response = client.get(detail_url(workshop), **hx(htmx))
    assert response.status_code == 200
    html = page(response)
    assert "Join this workshop" in html
    assert reverse("workshops:join_member", args=[workshop.pk]) in html
    assert "Manager" in html


def test_member_joins_with_the_button(client, workshop):
    member = MembershipFactory(organisation=workshop.organisation, role=Role.MANAGER).user
    client.force_login(member)
    response = client.post(reverse("workshops:join_member", args=[workshop.pk]))
    assert response.status_code == 302
    assert response["Location"] == detail_url(workshop)
    assert Participant.objects.get(workshop=workshop, user=member).role == Role.MANAGER
    html = page(client.get(detail_url(workshop)))
    assert "Join this workshop" not in html
    assert "You have joined the workshop." in html


def test_member_of_archived_workshop_is_not_offered_to_join(client, organisation):
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.ARCHIVED)
    client.force_login(MembershipFactory(organisation=organisation).user)
    html = page(client.get(detail_url(workshop)))
    assert "Join this workshop" not in html


@BOTH
def test_other_organisation_user_gets_404(
    client, workshop, facilitator, other_org_participant, htmx
):
    login(client, other_org_participant)
    assert client.get(detail_url(workshop), **hx(htmx)).status_code == 404


@BOTH
def test_anonymous_gets_404(client, workshop, facilitator, htmx):
    assert client.get(detail_url(workshop), **hx(htmx)).status_code == 404


def test_guest_of_another_workshop_gets_404(client, workshop):
    elsewhere = ParticipantFactory(guest=True)
    as_guest(client, elsewhere)
    assert client.get(detail_url(workshop)).status_code == 404
    assert client.get(detail_url(elsewhere.workshop)).status_code == 200


def test_tampered_guest_cookie_gets_404(client, workshop, guest_customer):
    client.cookies[settings.KPIW_GUEST_COOKIE] = guest_customer.guest_key  # unsigned
    assert client.get(detail_url(workshop)).status_code == 404


@pytest.mark.parametrize("path", ["/w/999999/", "/w/abc/", "/w/-1/", "/w/99999999999999999999999/"])
def test_missing_or_garbage_workshop_ids_are_404(client, facilitator, path):
    login(client, facilitator)
    assert client.get(path).status_code == 404


# --- status poll ----------------------------------------------------------------------------


def status_url(workshop, v=None) -> str:
    url = reverse("workshops:status", args=[workshop.pk])
    return url if v is None else f"{url}?v={v}"


def test_status_poll_unchanged_is_204(client, workshop, agent):
    login(client, agent)
    response = client.get(status_url(workshop, workshop.state_version), **HX)
    assert response.status_code == 204
    assert response.content == b""
    assert "HX-Trigger" not in response


@pytest.mark.parametrize("v", ["0", "", "garbage", None, "99999999999999999999"])
def test_status_poll_stale_returns_stage_panel_and_event(client, workshop, agent, v):
    login(client, agent)
    response = client.get(status_url(workshop, v), **HX)
    assert response.status_code == 200
    html = page(response)
    assert html.lstrip().startswith('<section id="stage-panel"')
    assert "<html" not in html
    assert json.loads(response["HX-Trigger"]) == {"stageChanged": {"stage": "propose"}}


def test_status_poll_follows_a_stage_move(client, workshop, facilitator, agent):
    old = workshop.state_version
    login(client, facilitator)
    client.post(
        reverse("workshops:stage", args=[workshop.pk]),
        {"stage": "refine", "expected_stage": "propose"},
    )
    login(client, agent)
    response = client.get(status_url(workshop, old), **HX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"stageChanged": {"stage": "refine"}}
    html = page(response)
    assert "Suggest edits" in html
    assert f"?v={old + 1}" in html
    assert client.get(status_url(workshop, old + 1), **HX).status_code == 204


def test_status_without_htmx_redirects_to_the_page(client, workshop, agent):
    login(client, agent)
    response = client.get(status_url(workshop, workshop.state_version))
    assert response.status_code == 302
    assert response["Location"] == detail_url(workshop)


@BOTH
def test_status_poll_anonymous_is_404(client, workshop, htmx):
    assert client.get(status_url(workshop, 1), **hx(htmx)).status_code == 404


# --- stage moves ----------------------------------------------------------------------------


def stage_url(workshop) -> str:
    return reverse("workshops:stage", args=[workshop.pk])


def test_stage_move_with_htmx_redirects_the_client(client, workshop, facilitator):
    login(client, facilitator)
    response = client.post(
        stage_url(workshop), {"stage": "refine", "expected_stage": "propose"}, **HX
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == detail_url(workshop)
    workshop.refresh_from_db()
    assert workshop.stage == Stage.REFINE


def test_stage_move_without_htmx_redirects(client, workshop, facilitator):
    login(client, facilitator)
    response = client.post(stage_url(workshop), {"stage": "draft", "expected_stage": "propose"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(workshop)
    workshop.refresh_from_db()
    assert workshop.stage == Stage.DRAFT


@BOTH
def test_stale_stage_move_shows_message_and_changes_nothing(client, workshop, facilitator, htmx):
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REFINE, state_version=2)
    login(client, facilitator)
    response = client.post(
        stage_url(workshop), {"stage": "refine", "expected_stage": "propose"}, **hx(htmx)
    )
    assert_back_to_detail(response, workshop, htmx)
    html = page(client.get(detail_url(workshop)))
    assert "in the meantime" in html
    workshop.refresh_from_db()
    assert (workshop.stage, workshop.state_version) == (Stage.REFINE, 2)


@BOTH
@pytest.mark.parametrize("who", ["agent", "approver"])
def test_stage_move_by_non_facilitator_is_403(request, client, workshop, who, htmx):
    login(client, request.getfixturevalue(who))
    response = client.post(
        stage_url(workshop), {"stage": "refine", "expected_stage": "propose"}, **hx(htmx)
    )
    assert response.status_code == 403
    workshop.refresh_from_db()
    assert workshop.stage == Stage.PROPOSE


def test_stage_move_by_guest_is_403(client, workshop, guest_customer):
    as_guest(client, guest_customer)
    response = client.post(stage_url(workshop), {"stage": "refine", "expected_stage": "propose"})
    assert response.status_code == 403


def test_stage_move_by_anonymous_is_404(client, workshop):
    response = client.post(stage_url(workshop), {"stage": "refine", "expected_stage": "propose"})
    assert response.status_code == 404
    workshop.refresh_from_db()
    assert workshop.stage == Stage.PROPOSE


@BOTH
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"stage": "refine"},
        {"expected_stage": "propose"},
        {"stage": "banana", "expected_stage": "propose"},
        {"stage": "x" * 5000, "expected_stage": "propose"},
        {"stage": "refine", "expected_stage": "<script>"},
        {"stage": "", "expected_stage": ""},
    ],
)
def test_garbage_stage_posts_change_nothing_and_never_500(
    client, workshop, facilitator, data, htmx
):
    login(client, facilitator)
    response = client.post(stage_url(workshop), data, **hx(htmx))
    assert_back_to_detail(response, workshop, htmx)
    workshop.refresh_from_db()
    assert (workshop.stage, workshop.state_version) == (Stage.PROPOSE, 1)


def test_stage_get_is_not_allowed(client, workshop, facilitator):
    login(client, facilitator)
    assert client.get(stage_url(workshop)).status_code == 405


# --- invitations ----------------------------------------------------------------------------


def inv_url(workshop) -> str:
    return reverse("workshops:invitation_create", args=[workshop.pk])


def test_invitation_create_with_htmx_returns_the_invitations_fragment(
    client, workshop, facilitator
):
    login(client, facilitator)
    response = client.post(
        inv_url(workshop),
        {"inv-role": "customer", "inv-label": "Room A", "inv-expires_in_hours": "8"},
        **HX,
    )
    assert response.status_code == 200
    html = page(response)
    assert html.lstrip().startswith('<section id="invitations"')
    assert "<html" not in html
    invitation = Invitation.objects.get(workshop=workshop)
    assert invitation.role == Role.CUSTOMER
    assert f'data-code="{invitation.code}"' in html
    assert "Room A" in html


def test_invitations_table_shows_how_many_joined_and_status(client, workshop, facilitator):
    full = InvitationFactory(workshop=workshop, max_uses=5)
    for _ in range(3):
        ParticipantFactory(workshop=workshop, guest=True, invitation=full)
    InvitationFactory(workshop=workshop, revoked_at=timezone.now())
    InvitationFactory(workshop=workshop, expires_at=timezone.now() - timedelta(hours=1))
    login(client, facilitator)
    html = page(client.get(detail_url(workshop)))
    row = html.split(f'data-code="{full.code}"')[1].split("</tr>")[0]
    assert "3 / 5" in row
    assert "Active" in row
    assert "Revoked" in html
    assert "Expired" in html
    assert html.count("Join screen<") == 1  # only the usable code offers it


def test_invitation_create_without_htmx_redirects_to_the_section(client, workshop, facilitator):
    login(client, facilitator)
    response = client.post(inv_url(workshop), {"inv-role": "agent"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(workshop) + "#invitations"
    assert Invitation.objects.filter(workshop=workshop).count() == 1


@BOTH
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"inv-role": "overlord"},
        {"inv-role": "agent", "inv-max_uses": "0"},
        {"inv-role": "agent", "inv-max_uses": "lots"},
        {"inv-role": "agent", "inv-max_uses": "99999999999999999999999"},
        {"inv-role": "agent", "inv-expires_in_hours": "-3"},
        {"inv-role": "agent", "inv-expires_in_hours": "abc"},
        {"inv-role": "agent", "inv-label": "x" * 5000},
    ],
)
def test_bad_invitation_input_creates_nothing(client, workshop, facilitator, data, htmx):
    login(client, facilitator)
    response = client.post(inv_url(workshop), data, **hx(htmx))
    if htmx:
        assert response.status_code == 200
        assert 'id="invitations"' in page(response)
    else:
        assert response.status_code == 302
        assert "not created" in page(client.get(detail_url(workshop)))
    assert not Invitation.objects.exists()


@BOTH
def test_invitation_create_by_agent_is_403(client, workshop, agent, htmx):
    login(client, agent)
    assert (
        client.post(inv_url(workshop), {"inv-role": "facilitator"}, **hx(htmx)).status_code == 403
    )
    assert not Invitation.objects.exists()


def revoke_url(invitation) -> str:
    return reverse("workshops:invitation_revoke", args=[invitation.workshop_id, invitation.pk])


def test_invitation_revoke_with_htmx_returns_the_fragment(
    client, workshop, facilitator, invitation
):
    login(client, facilitator)
    response = client.post(revoke_url(invitation), **HX)
    assert response.status_code == 200
    html = page(response)
    assert html.lstrip().startswith('<section id="invitations"')
    assert "Revoked" in html
    invitation.refresh_from_db()
    assert invitation.is_revoked


def test_invitation_revoke_without_htmx_redirects_with_message(
    client, workshop, facilitator, invitation
):
    login(client, facilitator)
    response = client.post(revoke_url(invitation), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(workshop) + "#invitations"
    assert f"Code {invitation.display_code} revoked." in page(response)


@BOTH
def test_invitation_revoke_by_agent_is_403(client, workshop, agent, invitation, htmx):
    login(client, agent)
    assert client.post(revoke_url(invitation), **hx(htmx)).status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_invitation_of_another_workshop_is_404(client, workshop, facilitator):
    foreign = InvitationFactory()
    login(client, facilitator)
    url = reverse("workshops:invitation_revoke", args=[workshop.pk, foreign.pk])
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_usable


@pytest.mark.parametrize("tail", ["abc/revoke/", "1.5/revoke/", "99999999999999999999999/revoke/"])
def test_garbage_invitation_ids_are_404(client, workshop, facilitator, tail):
    login(client, facilitator)
    assert client.post(f"/w/{workshop.pk}/invitations/{tail}").status_code == 404


# --- join screen (projector) ----------------------------------------------------------------


def screen_url(invitation) -> str:
    return reverse("workshops:join_screen", args=[invitation.workshop_id, invitation.pk])


def test_join_screen_shows_code_link_and_inline_qr(client, workshop, facilitator, invitation):
    login(client, facilitator)
    response = client.get(screen_url(invitation))
    assert response.status_code == 200
    html = page(response)
    assert invitation.display_code in html
    assert f"http://testserver/j/{invitation.code}/" in html
    assert "<svg" in html
    assert "<img" not in html.split('class="qr')[1].split("</figure>")[0]


def test_join_screen_uses_the_public_site_url(client, settings, workshop, facilitator, invitation):
    settings.SITE_URL = "https://kpi.example.com/"
    login(client, facilitator)
    html = page(client.get(screen_url(invitation)))
    assert f"https://kpi.example.com/j/{invitation.code}/" in html


def test_join_screen_count_fragment_with_htmx(client, workshop, facilitator, agent, invitation):
    login(client, facilitator)
    response = client.get(screen_url(invitation) + "?fragment=count", **HX)
    html = page(response)
    assert html.lstrip().startswith('<p id="joined-count"')
    assert "1 person has joined" in html  # the agent; the facilitator running it is not counted
    full = page(client.get(screen_url(invitation) + "?fragment=count"))
    assert "<html" in full


def test_join_screen_is_for_facilitators(client, workshop, agent, invitation):
    login(client, agent)
    assert client.get(screen_url(invitation)).status_code == 403


# --- invitation e-mail page -----------------------------------------------------------------


def email_url(invitation) -> str:
    return reverse("workshops:invitation_email", args=[invitation.workshop_id, invitation.pk])


def test_invitation_email_page_sends_after_commit(
    client, workshop, facilitator, invitation, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, facilitator)
    assert client.get(email_url(invitation)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(email_url(invitation), {"emails": "ada@example.com"})
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    assert f"http://testserver/j/{invitation.code}/" in mailoutbox[0].body


def test_invitation_email_bad_address_shows_error(
    client, workshop, facilitator, invitation, mailoutbox
):
    login(client, facilitator)
    response = client.post(email_url(invitation), {"emails": "ada@example.com, nope"})
    assert response.status_code == 200
    assert "These are not e-mail addresses: nope" in page(response)
    assert not InvitationEmail.objects.exists()
    assert mailoutbox == []


def test_invitation_email_page_is_for_facilitators(client, workshop, agent, invitation):
    login(client, agent)
    assert client.get(email_url(invitation)).status_code == 403
    assert client.post(email_url(invitation), {"emails": "a@example.com"}).status_code == 403


# --- joining --------------------------------------------------------------------------------

JOIN = "/join/"


@BOTH
def test_join_page_shows_the_code_form(client, db, htmx):
    response = client.get(JOIN, **hx(htmx))
    assert response.status_code == 200
    assert 'name="code"' in page(response)


def test_join_with_good_code_goes_to_its_page(client, invitation):
    typed = invitation.display_code.lower()
    response = client.post(JOIN, {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/j/{invitation.code}/"


def test_join_with_code_in_query_string(client, invitation):
    response = client.get(JOIN, {"code": invitation.code})
    assert response.status_code == 302


@pytest.mark.parametrize("typed", ["ZZZZZZ", "<b>K7P</b>", "1234", "'; DROP TABLE--"])
def test_join_with_bad_code_shows_message_and_creates_nothing(client, invitation, typed):
    response = client.post(JOIN, {"code": typed})
    assert response.status_code == 200
    html = page(response)
    assert "No workshop has this code" in html
    assert "<b>K7P" not in html
    assert not Participant.objects.exists()


@pytest.mark.parametrize("data", [{"code": ""}, {"code": SCRIPT * 100}, {"other": "1"}])
def test_join_with_garbage_is_a_form_error_not_a_500(client, db, data):
    response = client.post(JOIN, data)
    assert response.status_code == 200
    assert "invalid-feedback" in page(response)
    assert SCRIPT not in page(response)


def test_empty_join_post_shows_the_form_again(client, db):
    response = client.post(JOIN, {})
    assert response.status_code == 200
    assert 'name="code"' in page(response)


def test_join_page_says_429_when_throttled(client, settings, invitation):
    settings.KPIW_JOIN_MAX_FAILURES_PER_DEVICE = 3
    for code in ["QQQQQA", "QQQQQC", "QQQQQD"]:
        assert client.post(JOIN, {"code": code}).status_code == 200
    response = client.post(JOIN, {"code": invitation.code})
    assert response.status_code == 429
    assert "Too many wrong codes" in page(response)


def join_code_url(invitation_or_code) -> str:
    code = getattr(invitation_or_code, "code", invitation_or_code)
    return reverse("workshops:join_code", args=[code])


def test_join_link_shows_workshop_role_and_name_box(client, workshop, invitation):
    response = client.get(join_code_url(invitation))
    assert response.status_code == 200
    html = page(response)
    assert workshop.title in html
    assert "You are invited as <strong>Agent</strong>" in html
    assert 'name="display_name"' in html


def test_join_link_accepts_lowercase_code(client, invitation):
    assert client.get(join_code_url(invitation.code.lower())).status_code == 200


def test_guest_joins_and_gets_a_signed_cookie(client, workshop, invitation):
    response = client.post(join_code_url(invitation), {"display_name": "  Gianni  "})
    assert response.status_code == 302
    assert response["Location"] == detail_url(workshop)
    guest = Participant.objects.get(workshop=workshop)
    assert (guest.display_name, guest.role, guest.user) == ("Gianni", Role.AGENT, None)
    cookie = response.cookies[settings.KPIW_GUEST_COOKIE]
    assert cookie["httponly"]
    assert cookie.value != guest.guest_key  # signed, not the bare key
    assert guest.guest_key in cookie.value
    html = page(client.get(detail_url(workshop)))
    assert "Gianni" in html
    # Opening the link again on the same device goes straight to the workshop.
    again = client.get(join_code_url(invitation))
    assert again.status_code == 302
    assert again["Location"] == detail_url(workshop)


def test_guest_posting_again_keeps_one_participant(client, workshop, invitation):
    client.post(join_code_url(invitation), {"display_name": "Gianni"})
    client.post(join_code_url(invitation), {"display_name": "Gianni R."})
    assert list(Participant.objects.values_list("display_name", flat=True)) == ["Gianni R."]


def test_signed_in_member_joins_with_account(client, workshop, invitation):
    user = UserFactory()
    client.force_login(user)
    html = page(client.get(join_code_url(invitation)))
    assert 'name="display_name"' not in html
    response = client.post(join_code_url(invitation))
    assert response.status_code == 302
    assert Participant.objects.get(workshop=workshop).user == user


def test_guest_refused_on_facilitator_code_with_message(client, workshop):
    invitation = InvitationFactory(workshop=workshop, role=Role.FACILITATOR)
    response = client.post(join_code_url(invitation), {"display_name": "Mallory"})
    assert response.status_code == 200
    assert "sign in with your account first" in page(response)
    assert not Participant.objects.exists()
    assert settings.KPIW_GUEST_COOKIE not in response.cookies


def test_full_invitation_refuses_new_guest_with_message(client, workshop):
    invitation = InvitationFactory(workshop=workshop, max_uses=1)
    ParticipantFactory(workshop=workshop, guest=True, invitation=invitation)
    response = client.post(join_code_url(invitation), {"display_name": "Late"})
    assert response.status_code == 200
    assert "as many people as the facilitator allowed" in page(response)
    assert Participant.objects.count() == 1


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (lambda w: "ZZZZZZ", 404, "No workshop has this code"),
        (lambda w: InvitationFactory(workshop=w, revoked_at=timezone.now()), 410, "withdrawn"),
        (
            lambda w: InvitationFactory(workshop=w, expires_at=timezone.now() - timedelta(hours=1)),
            410,
            "expired",
        ),
        (
            lambda w: InvitationFactory(workshop=WorkshopFactory(stage=Stage.ARCHIVED)),
            410,
            "archived",
        ),
    ],
    ids=["unknown", "revoked", "expired", "archived"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unusable_join_links_show_the_reason(client, workshop, make, status, message, method):
    target = make(workshop)
    response = getattr(client, method)(join_code_url(target), {"display_name": "Someone"})
    assert response.status_code == status
    assert message in page(response)
    assert not Participant.objects.exists()


def test_join_link_throttled_is_429(client, settings, invitation):
    settings.KPIW_JOIN_MAX_FAILURES_PER_DEVICE = 2
    client.get(join_code_url("QQQQQA"))
    client.get(join_code_url("QQQQQC"))
    response = client.get(join_code_url(invitation))
    assert response.status_code == 429
    assert "Too many wrong codes" in page(response)


def test_a_room_of_phones_joining_from_one_address_is_never_throttled(client, settings, invitation):
    settings.KPIW_JOIN_MAX_FAILURES_PER_DEVICE = 2
    settings.KPIW_JOIN_MAX_FAILURES_PER_ADDRESS = 5
    for i in range(40):
        client.cookies.clear()
        assert client.post(JOIN, {"code": invitation.code}).status_code == 302
        response = client.post(join_code_url(invitation), {"display_name": f"Phone {i}"})
        assert response.status_code == 302
    assert Participant.objects.count() == 40


# --- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x" * 10_000, "", "   ", "a\x00b"])
def test_unacceptable_guest_names_show_an_error_and_create_nothing(client, invitation, name):
    response = client.post(join_code_url(invitation), {"display_name": name})
    assert response.status_code == 200
    assert "invalid-feedback" in page(response)
    assert not Participant.objects.exists()


def test_guest_name_with_html_is_escaped_everywhere(client, workshop, facilitator, invitation):
    client.post(join_code_url(invitation), {"display_name": SCRIPT})
    html = page(client.get(detail_url(workshop)))
    assert SCRIPT not in html
    assert ESCAPED in html
    client.cookies.clear()
    login(client, facilitator)
    html = page(client.get(reverse("workshops:participants", args=[workshop.pk])))
    assert SCRIPT not in html
    assert ESCAPED in html


def test_workshop_title_and_purpose_with_html_are_escaped(client, organisation):
    workshop = WorkshopFactory(
        organisation=organisation,
        title=f"KPIs {SCRIPT}",
        purpose=f'Hello {SCRIPT} <img src=x onerror="alert(2)"> [x](javascript:alert(3))',
    )
    fac = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    invitation = InvitationFactory(workshop=workshop, label=SCRIPT)
    login(client, fac)
    for url in [
        detail_url(workshop),
        screen_url(invitation),
        reverse("home"),
        reverse("workshops:history", args=[workshop.pk]),
    ]:
        html = page(client.get(url))
        assert SCRIPT not in html, url
        assert ESCAPED in html, url
    html = page(client.get(detail_url(workshop)))
    assert "onerror" not in html
    assert "javascript:" not in html
    client.logout()
    html = page(client.get(join_code_url(invitation)))
    assert SCRIPT not in html
    assert ESCAPED in html


@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        # The edit form comes back with its errors; joining again changes nothing.
        ("edit", {"title": "", "purpose": "x"}, 200),
        ("edit", {"title": "x" * 1000}, 200),
        ("edit", {}, 200),
        ("join_member", {"foo": "bar"}, 302),
    ],
)
def test_garbage_posts_to_workshop_pages_never_500(
    client, workshop, facilitator, url, data, status
):
    login(client, facilitator)
    title = workshop.title
    response = client.post(reverse(f"workshops:{url}", args=[workshop.pk]), data)
    assert response.status_code == status
    if status == 200:
        assert "is-invalid" in page(response)
    else:
        assert response["Location"] == detail_url(workshop)
    workshop.refresh_from_db()
    assert workshop.title == title
    assert workshop.title != ""


def test_workshop_edit_saves_and_is_for_facilitators(client, workshop, facilitator, agent):
    login(client, agent)
    assert client.get(reverse("workshops:edit", args=[workshop.pk])).status_code == 403
    login(client, facilitator)
    response = client.post(
        reverse("workshops:edit", args=[workshop.pk]), {"title": "Better", "purpose": ""}
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.title == "Better"


def test_history_and_participants_pages_are_for_facilitators(client, workshop, facilitator, agent):
    login(client, agent)
    for name in ["history", "participants"]:
        assert client.get(reverse(f"workshops:{name}", args=[workshop.pk])).status_code == 403
    login(client, facilitator)
    client.post(stage_url(workshop), {"stage": "refine", "expected_stage": "propose"})
    html = page(client.get(reverse("workshops:history", args=[workshop.pk])))
    assert "moved the stage" in html
    html = page(client.get(reverse("workshops:participants", args=[workshop.pk])))
    assert "Andrea" in html


# --- creating a workshop --------------------------------------------------------------------


def test_facilitator_creates_workshop_through_the_form(client, organisation):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    client.force_login(user)
    assert client.get(reverse("workshops:create")).status_code == 200
    response = client.post(
        reverse("workshops:create"),
        {"organisation": organisation.pk, "title": "Q3 review", "purpose": ""},
    )
    workshop = Workshop.objects.get(title="Q3 review")
    assert response["Location"] == detail_url(workshop)


@pytest.mark.parametrize(
    "data",
    [{}, {"organisation": "abc", "title": "x"}, {"organisation": "999999", "title": "x"}],
)
def test_workshop_create_garbage_is_a_form_error(client, organisation, data):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    client.force_login(user)
    assert client.post(reverse("workshops:create"), data).status_code == 200
    assert not Workshop.objects.exists()


def test_workshop_create_page_is_for_facilitators(client, organisation):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.AGENT).user)
    assert client.get(reverse("workshops:create")).status_code == 403
    client.logout()
    assert client.get(reverse("workshops:create")).status_code == 302


def test_agent_member_with_a_facilitator_code_is_told_and_joins_as_nothing(client, workshop):
    agent = MembershipFactory(organisation=workshop.organisation, role=Role.AGENT).user
    code = InvitationFactory(workshop=workshop, role=Role.FACILITATOR)
    client.force_login(agent)
    response = client.post(reverse("workshops:join_code", args=[code.code]))
    assert response.status_code == 200
    assert "does not let you in" in page(response)
    assert not Participant.objects.filter(workshop=workshop, user=agent).exists()
    # The page it lands on next offers no facilitator controls either.
    assert 'data-testid="stage-controls"' not in page(client.get(detail_url(workshop)))


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/w/1/", "/accounts/tokens/", "/w/999999/"],
)
def test_member_join_returns_only_to_a_page_of_the_same_workshop(client, workshop, next_url):
    member = MembershipFactory(organisation=workshop.organisation, role=Role.AGENT).user
    client.force_login(member)
    response = client.post(reverse("workshops:join_member", args=[workshop.pk]), {"next": next_url})
    assert response["Location"] == detail_url(workshop)
    assert Participant.objects.filter(workshop=workshop, user=member).exists()


def test_member_who_has_not_joined_is_offered_to_join_from_the_proposals(client, workshop):
    member = MembershipFactory(organisation=workshop.organisation, role=Role.AGENT).user
    client.force_login(member)
    url = reverse("kpis:board", args=[workshop.pk])
    html = page(client.get(url))
    assert f'action="{reverse("workshops:join_member", args=[workshop.pk])}"' in html
    assert f'name="next" value="{url}"' in html
    # Someone who joined is not asked again.
    client.post(reverse("workshops:join_member", args=[workshop.pk]))
    assert reverse("workshops:join_member", args=[workshop.pk]) not in page(client.get(url))


def test_join_link_page_name_box_is_rendered_once_per_language(client, invitation):
    """The empty name box a QR code opens is the same for every phone: rendered once per
    language and process, in the reader's language; a posted form with an error is its own."""
    from kpiworkshop.workshops import views

    views._empty_guest_form.cache_clear()
    url = f"/j/{invitation.code}/"
    for _ in range(3):
        html = page(client.get(url))
        assert "Your name, as others will see it" in html
        assert 'name="display_name"' in html and "autofocus" in html
    assert views._empty_guest_form.cache_info().misses == 1
    html = page(client.get(url, HTTP_ACCEPT_LANGUAGE="it"))
    assert "Il tuo nome, come lo vedranno gli altri" in html
    assert views._empty_guest_form.cache_info().misses == 2
    response = client.post(url, {"display_name": ""})
    html = page(response)
    assert "invalid-feedback" in html and not Participant.objects.exists()
    assert views._empty_guest_form.cache_info().misses == 2
