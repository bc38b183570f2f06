"""Issue 21 in a browser: moderation of open text, and changes that reach the other screens by
themselves (the live signal, core/live.py + static/js/live.js).

The widgets' own fallback polls are set to a minute here, so a page that updates within the
test's few seconds was told by the live signal, not by its slow poll. Timing itself is measured
by ``benchmarks/push.py``, not asserted here."""

import re

import pytest
from django.core import signing
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.workshops import services
from kpiworkshop.workshops.access import GUEST_SALT
from kpiworkshop.workshops.models import Stage
from tests.factories import PASSWORD, MembershipFactory, ParticipantFactory

from .conftest import check_axe

DEFINITION = {
    "name": "First contact resolution",
    "measures": "Solved at once.",
    "category": "customer",
}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1}


@pytest.fixture
def slow_fallback(settings):
    settings.KPIW_STATUS_POLL_SECONDS = 60


def _guest_context(new_context, name, participant, live_server, **options):
    from django.conf import settings

    context = new_context(name, **options)
    signer = signing.get_cookie_signer(salt=settings.KPIW_GUEST_COOKIE + GUEST_SALT)
    context.add_cookies(
        [
            {
                "name": settings.KPIW_GUEST_COOKIE,
                "value": signer.sign(participant.guest_key),
                "url": live_server.url,
            }
        ]
    )
    return context


def _sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"{page.url} scrolls sideways ({width} px)"


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_held_comment_reaches_the_projector_only_when_let_through(
    _new_context, live_server, workshop, slow_fallback, language
):
    locale = {"en": "en-GB", "it": "it-IT"}[language]
    user = MembershipFactory(organisation=workshop.organisation, role=Role.FACILITATOR).user
    facilitator = ParticipantFactory(
        workshop=workshop, user=user, role=Role.FACILITATOR, display_name="Fran"
    )
    agent = ParticipantFactory(workshop=workshop, role=Role.AGENT, guest=True, display_name="Gina")
    proposal = kpi_services.proposal_create(
        actor=facilitator, workshop=workshop, definition=dict(DEFINITION)
    )
    detail = f"/w/{workshop.pk}/proposals/{proposal.pk}/"

    # The facilitator's laptop: the proposal on the projector, the queue in another tab.
    laptop = _new_context(f"laptop-{language}", locale=locale, **PROJECTOR)
    projector = laptop.new_page()
    _sign_in(projector, user)
    queue = laptop.new_page()
    queue.goto(f"/w/{workshop.pk}/moderation/")
    expect(queue.locator("html")).to_have_attribute("lang", re.compile(rf"^{language}"))
    queue.get_by_test_id("hold-on").click()
    expect(queue.get_by_test_id("hold-off")).to_be_visible()
    expect(queue.get_by_test_id("queue-empty")).to_be_visible()
    check_axe(queue, name=f"moderation-queue-empty-{language}")
    projector.goto(detail)
    expect(projector.get_by_test_id("comment-list")).to_be_visible()

    # A participant's phone posts a comment: it waits, and says so.
    phone = _guest_context(
        _new_context,
        f"phone-{language}",
        agent,
        live_server,
        locale=locale,
        has_touch=True,
        **PHONE,
    ).new_page()
    phone.goto(detail)
    phone.locator("#id_body").fill("Transfers should not count as resolved.")
    phone.locator("#comments form.card button[type=submit]").click()
    expect(phone.get_by_test_id("comment-waiting")).to_be_visible()
    check_axe(phone, name=f"comment-waiting-phone-{language}")
    _no_sideways_scroll(phone)

    # The queue shows it by itself; the projector does not.
    held = queue.get_by_test_id("held-item")
    expect(held).to_contain_text("Transfers should not count as resolved.")
    check_axe(queue, name=f"moderation-queue-{language}")
    expect(projector.get_by_test_id("comment-list")).not_to_contain_text("Transfers")

    # Let through: the projector shows it without a reload; the phone's badge goes.
    held.get_by_test_id("release").click()
    expect(queue.get_by_test_id("queue-empty")).to_be_visible()
    expect(projector.get_by_test_id("comment-list")).to_contain_text("Transfers should not count")
    check_axe(projector, name=f"proposal-projector-{language}")
    expect(phone.get_by_test_id("comment-waiting")).to_have_count(0)

    # A second comment is hidden with a reason: the author sees why, the projector nothing.
    phone.locator("#id_body").fill("Bob never answers his phone.")
    phone.locator("#comments form.card button[type=submit]").click()
    expect(phone.get_by_test_id("comment-waiting")).to_be_visible()
    # The facilitator decides from a phone this time, by keyboard.
    queue.set_viewport_size({"width": 360, "height": 740})
    reason = queue.get_by_test_id("hide-reason")
    expect(reason).to_be_visible()
    _no_sideways_scroll(queue)
    check_axe(queue, name=f"moderation-queue-phone-{language}")
    reason.fill("Personal remark about a colleague")
    reason.press("Enter")
    expect(queue.get_by_test_id("queue-empty")).to_be_visible()
    expect(phone.get_by_test_id("comment-hidden-reason")).to_contain_text(
        "Personal remark about a colleague"
    )
    check_axe(phone, name=f"comment-hidden-phone-{language}")
    expect(projector.get_by_test_id("comment-list")).not_to_contain_text("Bob never")


def test_a_stage_move_reaches_a_phone_by_itself(
    _new_context, live_server, workshop, facilitator, slow_fallback
):
    agent = ParticipantFactory(workshop=workshop, role=Role.AGENT, guest=True, display_name="Gina")
    phone = _guest_context(_new_context, "phone", agent, live_server, has_touch=True, **PHONE)
    page = phone.new_page()
    page.goto(f"/w/{workshop.pk}/")
    heading = page.locator("#stage-heading")
    expect(heading).to_contain_text("Propose")
    services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=Stage.REFINE, expected_stage=Stage.PROPOSE
    )
    expect(heading).to_contain_text("Refine")
    expect(page.locator("#live-announcer")).to_contain_text("Refine")


def test_without_the_live_signal_the_page_falls_back_to_its_own_poll(
    _new_context, live_server, workshop, facilitator, settings
):
    settings.KPIW_STATUS_POLL_SECONDS = 1
    agent = ParticipantFactory(workshop=workshop, role=Role.AGENT, guest=True, display_name="Gina")
    phone = _guest_context(_new_context, "phone", agent, live_server, has_touch=True, **PHONE)
    page = phone.new_page()
    # The live signal is unreachable (a proxy in the way, the server restarting).
    page.route("**/live/**", lambda route: route.abort())
    page.goto(f"/w/{workshop.pk}/")
    heading = page.locator("#stage-heading")
    expect(heading).to_contain_text("Propose")
    services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=Stage.REFINE, expected_stage=Stage.PROPOSE
    )
    expect(heading).to_contain_text("Refine")
    check_axe(page, name="workshop-without-live-signal")
