"""The workshop journey in a real browser: a facilitator on the projector, a guest on a phone.

Every page a test visits also goes through ``check_axe``.
"""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.models import Invitation, Stage, new_guest_key
from tests.factories import (
    PASSWORD,
    InvitationFactory,
    MembershipFactory,
    ParticipantFactory,
    WorkshopFactory,
)

from .conftest import check_axe


@pytest.fixture
def fast_poll(settings):
    # The pages poll /w/<id>/status/ every KPIW_STATUS_POLL_SECONDS; 1 s keeps the test short.
    settings.KPIW_STATUS_POLL_SECONDS = 1


@pytest.fixture
def facilitator_member(organisation):
    """A user of the organisation with the facilitator role, not yet in any workshop."""
    return MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user


@pytest.fixture
def draft_workshop(organisation, facilitator_member):
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.DRAFT)
    ParticipantFactory(
        workshop=workshop, user=facilitator_member, role=Role.FACILITATOR, display_name="Fran"
    )
    return workshop


def sign_in(page, user) -> None:
    """Through the real login form, as a person would."""
    page.goto("/accounts/login/")
    check_axe(page, name="login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Workshops", exact=True)).to_be_visible()


def stage_heading(page):
    # The stepper lists every stage's name, so assert on the heading of the current one.
    return page.locator("#stage-heading")


def spaced_lower(code: str) -> str:
    """What people type from the screen: lowercase, with the space shown there."""
    return f"{code[:3]} {code[3:]}".lower()


def test_facilitator_creates_workshop_and_shows_join_screen(
    projector_page, facilitator_member, fast_poll
):
    page = projector_page
    sign_in(page, facilitator_member)
    check_axe(page, name="home")

    page.get_by_role("link", name="New workshop").click()
    expect(page).to_have_url(re.compile(r"/w/new/$"))
    check_axe(page)
    page.get_by_label("Title").fill("Room A: new scorecard")
    page.get_by_label("Purpose").fill("Agree the indicators for **chat** and voice.")
    page.get_by_role("button", name="Create workshop").click()

    expect(page).to_have_url(re.compile(r"/w/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Room A: new scorecard")
    expect(stage_heading(page)).to_contain_text("Draft")
    expect(page.get_by_role("status").filter(has_text="Workshop created")).to_be_visible()
    check_axe(page, name="workshop-new")
    detail_url = page.url

    invitations = page.locator("#invitations")
    invitations.get_by_label("Role of the people joining").select_option(label="Agent")
    invitations.get_by_label("Label (optional)").fill("Room A")
    page.evaluate("window.__kpiwNoReload = true")
    invitations.get_by_role("button", name="Create join code").click()
    row = page.locator("#invitations tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Agent")
    expect(row).to_contain_text("Active")
    # Swapped in by htmx: same document, same address.
    assert page.evaluate("window.__kpiwNoReload") is True
    assert page.url == detail_url
    code = row.get_attribute("data-code")
    assert Invitation.objects.get(code=code).role == Role.AGENT
    expect(row.locator(".code-chip")).to_have_text(f"{code[:3]} {code[3:]}")
    check_axe(page, name="workshop-invited")

    # The row arrived by htmx: its "Copy link" button must work without a reload.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = row.locator("button[data-copy]")  # by its name it would vanish while "Copied"
    expect(copy).to_have_accessible_name(f"Copy link {code}")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"/j/{code}/")
    # Afterwards it reads as before, its hidden part (the code) still hidden.
    expect(copy).to_have_accessible_name(f"Copy link {code}", timeout=4000)
    expect(copy.locator(".visually-hidden")).to_have_text(f" {code}")

    row.get_by_role("link", name=re.compile("Join screen")).click()
    expect(page).to_have_url(re.compile(r"/invitations/\d+/screen/$"))
    big = page.locator(".display-code > [aria-hidden=true]")
    expect(big).to_have_text(f"{code[:3]} {code[3:]}")
    font_px = float(big.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert font_px >= 96, f"the join code is only {font_px}px high on a projector"
    qr = page.locator("figure.qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 300, f"the QR code is only {box['width']}px wide on a projector"
    expect(page.get_by_text("You join as: Agent")).to_be_visible()
    check_axe(page, name="join-screen")

    # The count on the screen follows the room as people join (the live signal: joining moves
    # it, core/live.py; its own poll is the fallback).
    joined = page.locator("#joined-count")
    before = int(re.search(r"\d+", joined.inner_text()).group())
    workshop_services.participant_join_guest(
        invitation=Invitation.objects.get(code=code), guest_key=new_guest_key(), display_name="Pat"
    )
    after = before + 1
    wording = "person has joined" if after == 1 else "people have joined"
    expect(joined).to_contain_text(f"{after} {wording}", timeout=8000)


def test_guest_joins_on_phone_and_follows_stage_without_reload(
    phone_page, projector_page, draft_workshop, facilitator_member, fast_poll
):
    invitation = InvitationFactory(workshop=draft_workshop, role=Role.AGENT)
    phone = phone_page

    phone.goto("/join/")
    check_axe(phone, name="join")
    phone.get_by_label("Join code").fill(spaced_lower(invitation.code))
    phone.get_by_role("button", name="Continue").click()

    expect(phone).to_have_url(re.compile(rf"/j/{invitation.code}/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(draft_workshop.title)
    expect(phone.locator("main")).to_contain_text("You are invited as Agent.")
    check_axe(phone, name="join-code")
    phone.get_by_label("Your name, as others will see it").fill("Gina")
    phone.get_by_role("button", name="Join the workshop").click()

    expect(phone).to_have_url(re.compile(rf"/w/{draft_workshop.pk}/$"))
    expect(stage_heading(phone)).to_contain_text("Draft")
    expect(phone.locator("#stage-panel")).to_contain_text("You are taking part as Gina (Agent).")
    assert not _overflows_horizontally(phone)
    check_axe(phone, name="workshop-guest-draft")
    phone.evaluate("window.__kpiwNoReload = true")

    facilitator = projector_page
    sign_in(facilitator, facilitator_member)
    facilitator.goto(f"/w/{draft_workshop.pk}/")
    check_axe(facilitator, name="workshop-facilitator-draft")
    facilitator.get_by_role("button", name="Move to Propose").click()
    expect(stage_heading(facilitator)).to_contain_text("Propose")
    check_axe(facilitator, name="workshop-facilitator-propose")

    # The phone learns of the move by polling, without anyone touching it.
    expect(stage_heading(phone)).to_contain_text("Propose", timeout=8000)
    expect(phone.get_by_test_id("my-actions")).to_contain_text("Propose KPIs")
    # ... and a screen reader is told, through a live region that was not swapped out.
    expect(phone.locator("#live-announcer")).to_have_text("Current stage: Propose")
    assert phone.evaluate("window.__kpiwNoReload") is True, "the guest's page was reloaded"
    assert not _overflows_horizontally(phone)
    check_axe(phone, name="workshop-guest-propose")


def test_wrong_code_is_explained_and_italian_is_offered(phone_page, draft_workshop):
    InvitationFactory(workshop=draft_workshop, role=Role.CUSTOMER)
    phone = phone_page
    unknown = "ACDEFG"
    assert not Invitation.objects.filter(code=unknown).exists()

    phone.goto("/join/")
    phone.get_by_label("Join code").fill(spaced_lower(unknown))
    phone.get_by_role("button", name="Continue").click()

    expect(phone).to_have_url(re.compile(r"/join/$"))
    code_box = phone.get_by_label("Join code")
    expect(code_box).to_have_value(spaced_lower(unknown))
    expect(code_box).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("main")).to_contain_text(
        "No workshop has this code. Check it on the screen and try again."
    )
    check_axe(phone, name="join-wrong-code")

    # On a phone the language buttons live in the collapsed menu.
    menu = phone.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    menu.click()
    # Bootstrap's collapse animates; "show" is set once the menu is fully open.
    expect(phone.locator("#nav-main")).to_have_class(re.compile(r"\bshow\b"))
    check_axe(phone, name="join-menu-open")
    phone.locator("button[name=language][value=it]").click()
    expect(phone.locator("html")).to_have_attribute("lang", "it")
    expect(phone).to_have_url(re.compile(r"/join/$"))
    with translation.override("it"):
        italian = translation.gettext("Join a workshop")
    if italian != "Join a workshop":  # the Italian catalogue is compiled
        expect(phone.get_by_role("heading", level=1)).to_have_text(italian)
    check_axe(phone, name="join-it")


def test_join_form_works_with_keyboard_only(projector_page, draft_workshop):
    invitation = InvitationFactory(workshop=draft_workshop, role=Role.SUPERVISOR)
    page = projector_page
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()

    # On /join/ the code box has the focus already: type, Enter (issue 7 item 15).
    page.goto("/join/")
    expect(page.locator("#id_code")).to_be_focused()
    page.keyboard.type(spaced_lower(invitation.code))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/j/{invitation.code}/$"))
    check_axe(page, name="join-code-keyboard")
    name_box = page.get_by_label("Your name, as others will see it")
    if not page.evaluate("document.activeElement.id === 'id_display_name'"):
        _tab_until(page, "#id_display_name")
    expect(name_box).to_be_focused()
    page.keyboard.type("Sam")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/w/{draft_workshop.pk}/$"))
    expect(page.locator("#stage-panel")).to_contain_text("You are taking part as Sam (Supervisor).")
    check_axe(page, name="workshop-keyboard")


def test_facilitator_pages_fit_a_phone(phone_page, draft_workshop, facilitator_member):
    """Facilitators check codes from their phone too: nothing may need a sideways scroll."""
    InvitationFactory(workshop=draft_workshop, role=Role.CUSTOMER, label="Room A, morning")
    invitation = InvitationFactory(workshop=draft_workshop, role=Role.STAKEHOLDER, max_uses=20)
    phone = phone_page
    sign_in(phone, facilitator_member)

    phone.goto(f"/w/{draft_workshop.pk}/")
    rows = phone.locator("#invitations tbody tr")
    expect(rows).to_have_count(2)
    for button in ("Join screen", "E-mail", "Copy link", "Revoke"):
        target = rows.first.locator("a, button").filter(has_text=button)
        target.scroll_into_view_if_needed()
        expect(target).to_be_in_viewport(ratio=1)
        box = target.bounding_box()
        assert box["x"] + box["width"] <= 360, f"{button} is off the right edge"
        assert box["height"] >= 24, f"{button} is a {box['height']}px target"
    expect(rows.filter(has_text=invitation.display_code)).to_contain_text("0 / 20")
    assert not _overflows_horizontally(phone)
    check_axe(phone, name="workshop-facilitator-phone")

    phone.goto(f"/w/{draft_workshop.pk}/participants/")
    expect(phone.get_by_role("table")).to_contain_text("Fran")
    assert not _overflows_horizontally(phone)
    check_axe(phone, name="participants-phone")

    phone.goto(f"/w/{draft_workshop.pk}/invitations/{invitation.pk}/screen/")
    expect(phone.locator(".display-code")).to_be_in_viewport(ratio=1)
    assert not _overflows_horizontally(phone)
    check_axe(phone, name="join-screen-phone")


# --- helpers --------------------------------------------------------------------------------


def _tab_until(page, selector: str, limit: int = 30) -> None:
    """Press Tab until the element is focused; every stop on the way must be visible."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        expect(focused).to_be_visible()
    pytest.fail(f"{selector} was not reached with {limit} presses of Tab")


def _overflows_horizontally(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
    )
