"""Standards in a real browser: the API reference, dates in the reader's locale, the join focus.

Every context here (as everywhere in tests/e2e) runs under the enforced Content-Security-Policy
and fails on any violation; every page it loads goes through the HTML validity check.
"""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory, ParticipantFactory, WorkshopFactory

from .conftest import check_axe


@pytest.fixture
def member_workshop(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    workshop = WorkshopFactory(organisation=organisation, title="Churn review")
    participant = ParticipantFactory(
        workshop=workshop, user=user, role=Role.FACILITATOR, display_name="Fran"
    )
    participant.created_at = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    participant.save(update_fields=["created_at"])
    return user, workshop


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_api_reference_is_accessible_and_tries_a_call(phone_page, member_workshop):
    user, workshop = member_workshop
    page = phone_page
    sign_in(page, user)
    page.get_by_role("contentinfo").get_by_role("link", name="API").click()
    expect(page).to_have_url(re.compile(r"/api/v1/docs$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("API reference")
    assert page.evaluate("document.documentElement.lang") == "en"
    check_axe(page, name="api-docs")

    section = page.locator(
        "section.card",
        has=page.get_by_role("heading", name="GET /api/v1/workshops", exact=True),
    )
    section.get_by_role("button", name="Send GET /api/v1/workshops", exact=True).click()
    answer = section.locator(".api-answer")
    expect(answer).to_contain_text("200")
    expect(answer).to_contain_text("Churn review")

    ballots = page.locator(
        "section.card",
        has=page.get_by_role(
            "heading", name="GET /api/v1/workshops/{workshop_id}/ballots", exact=True
        ),
    )
    ballots.get_by_label(re.compile("workshop_id")).fill(str(workshop.pk))
    ballots.get_by_role("button", name=re.compile("Send")).click()
    expect(ballots.locator(".api-answer")).to_contain_text(f"GET /api/v1/workshops/{workshop.pk}/")
    check_axe(page, name="api-docs-answered")


@pytest.mark.parametrize(
    ("locale", "shown", "not_shown"),
    [
        ("en-GB", "30/11/2026", "11/30/2026"),
        ("en-US", "11/30/2026", "30/11/2026"),
        ("it-IT", "30/11/2026", "11/30/2026"),
    ],
)
def test_dates_in_the_browsers_locale(_new_context, member_workshop, locale, shown, not_shown):
    user, workshop = member_workshop
    page = _new_context(locale, locale=locale, viewport={"width": 360, "height": 740}).new_page()
    sign_in(page, user)
    page.goto(f"/w/{workshop.pk}/participants/")
    table = page.get_by_role("table")
    expect(table).to_contain_text(shown)
    expect(table).not_to_contain_text(not_shown)
    check_axe(page, name=f"participants-{locale}")


def test_join_page_has_the_code_field_focused(phone_page):
    phone_page.goto("/join/")
    expect(phone_page.get_by_label("Join code")).to_be_focused()
    check_axe(phone_page, name="join")


def test_polls_pause_while_the_tab_is_hidden(phone_page, member_workshop, settings):
    """The stage panel polls every few seconds, but not from a phone in someone's pocket."""
    settings.KPIW_STATUS_POLL_SECONDS = 1
    user, workshop = member_workshop
    page = phone_page
    sign_in(page, user)
    page.goto(f"/w/{workshop.pk}/")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/status/" in r.url else None)
    page.wait_for_timeout(2500)
    assert polls, "the stage panel does not poll while visible"
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})"
    )
    page.wait_for_timeout(300)  # a request already under way may still finish
    polls.clear()
    page.wait_for_timeout(2500)
    assert polls == []
