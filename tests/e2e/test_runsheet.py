"""A session run from its run-sheet in real browsers, in English and in Italian: three phones
and the projector show the same countdown (within a second), moving on to a block opens its
voting round, a pause stops every screen, and the report shows planned and actual times.
The facilitator prepares and reorders blocks with the keyboard. Every page goes through axe."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Category
from kpiworkshop.runsheet import services
from kpiworkshop.runsheet.models import Block, RunSheet, SheetState
from kpiworkshop.voting import services as voting_services
from kpiworkshop.voting.models import BallotState, Method
from kpiworkshop.workshops.models import Stage
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    ParticipantFactory,
    WorkshopFactory,
    proposal_with_revision,
)

from .conftest import check_axe

LOCALES = {"en": "en-GB", "it": "it-IT"}
TEXTS = {
    "en": {"welcome": "Welcome and goals", "vote": "Dot vote", "paused": "Paused"},
    "it": {"welcome": "Benvenuto e obiettivi", "vote": "Voto a punti", "paused": "In pausa"},
}


@pytest.fixture
def fast_poll(settings):
    settings.KPIW_STATUS_POLL_SECONDS = 1


@pytest.fixture
def room(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.VOTE)
    facilitator = ParticipantFactory(workshop=workshop, user=user, role=Role.FACILITATOR)
    for name in ("First contact resolution", "Time to reach a human"):
        proposal_with_revision(
            workshop, facilitator, name=name, measures=f"What {name} measures",
            category=Category.CUSTOMER,
        )  # fmt: skip
    ballot = voting_services.ballot_create(
        actor=facilitator, workshop=workshop, title="Final dots", method=Method.DOTS
    )
    blocks = [
        services.block_add(
            actor=facilitator, workshop=workshop, title=title, planned_minutes=minutes,
            action=action, action_ballot_id=ballot.pk if action else None,
        )
        for title, minutes, action in (("welcome", 5, ""), ("vote", 3, "ballot_open"),
                                       ("wrap_up", 2, ""))
    ]  # fmt: skip
    # The template's texts by their codes: each screen shows them in its own language.
    for block, code in zip(blocks, ("welcome", "vote", "wrap_up"), strict=True):
        Block.objects.filter(pk=block.pk).update(title_code=code, instruction_code=code)
    return workshop, facilitator, ballot


def join(page, workshop, name: str) -> None:
    invitation = InvitationFactory(workshop=workshop, role=Role.AGENT)
    page.goto(f"/j/{invitation.code}/")
    page.locator("input[name=display_name]").fill(name)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/w/{workshop.pk}/$"))


def seconds_shown(page) -> int:
    text = page.get_by_test_id("runsheet-remaining").inner_text().strip()
    parts = [int(p) for p in text.split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)


def read_all(screens) -> list[int]:
    return [seconds_shown(page) for page in screens]


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_three_block_session_on_three_phones_and_the_projector(
    lang, room, _new_context, live_server, fast_poll
):
    workshop, facilitator, ballot = room
    texts = TEXTS[lang]
    phones = []
    for i in range(3):
        context = _new_context(
            f"phone-{lang}-{i}", viewport={"width": 360, "height": 740}, device_scale_factor=2,
            is_mobile=True, has_touch=True, locale=LOCALES[lang],
        )  # fmt: skip
        page = context.new_page()
        join(page, workshop, f"Phone {i}")
        phones.append(page)
    projector_context = _new_context(
        f"projector-{lang}", viewport={"width": 1920, "height": 1080}, locale=LOCALES[lang]
    )
    projector_context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": _session_of(facilitator.user),
                "url": live_server.url,
            }
        ]
    )
    projector = projector_context.new_page()
    projector.goto(f"/w/{workshop.pk}/runsheet/projector/")
    check_axe(projector, name=f"runsheet-projector-ready-{lang}")

    # The projector is driven by keys: N starts the session.
    projector.keyboard.press("n")
    expect(projector.get_by_test_id("runsheet-title")).to_have_text(texts["welcome"])
    for page in phones:
        expect(page.get_by_test_id("runsheet-title")).to_have_text(texts["welcome"], timeout=5000)
    check_axe(phones[0], name=f"runsheet-phone-{lang}")
    check_axe(projector, name=f"runsheet-projector-live-{lang}")

    screens = [*phones, projector]
    shown = read_all(screens)
    assert max(shown) - min(shown) <= 1, shown
    assert 4 * 60 < min(shown) <= 5 * 60

    # Moving on to the vote block opens its round, and every screen follows.
    projector.keyboard.press("n")
    expect(projector.get_by_test_id("runsheet-title")).to_have_text(texts["vote"])
    ballot.refresh_from_db()
    assert ballot.state == BallotState.OPEN
    for page in phones:
        expect(page.get_by_test_id("runsheet-title")).to_have_text(texts["vote"], timeout=5000)
    shown = read_all(screens)
    assert max(shown) - min(shown) <= 1, shown
    assert 2 * 60 < min(shown) <= 3 * 60
    # The block change was announced politely, once, in the page's live region.
    expect(phones[0].locator("#live-announcer")).to_contain_text(texts["vote"])

    # P pauses every screen; a phone that reloads (a late joiner) sees it paused too.
    projector.keyboard.press("p")
    # Every screen, the projector too: its own countdown may tick once more before the answer
    # to its key press arrives and shows the paused time.
    for page in screens:
        expect(page.get_by_test_id("runsheet-live")).to_contain_text(texts["paused"], timeout=5000)
    phones[2].reload()
    expect(phones[2].get_by_test_id("runsheet-live")).to_contain_text(texts["paused"])
    frozen = read_all(screens)
    phones[0].wait_for_timeout(1500)
    assert read_all(screens) == frozen
    assert max(frozen) - min(frozen) <= 1, frozen
    projector.keyboard.press("p")
    expect(projector.get_by_test_id("runsheet-live")).not_to_contain_text(texts["paused"])

    # N moves on to the last block, N again ends the session.
    projector.keyboard.press("n")
    expect(projector.get_by_test_id("runsheet-title")).not_to_have_text(texts["vote"])
    projector.keyboard.press("n")
    expect(projector.get_by_test_id("runsheet-report-link")).to_be_visible()
    sheet = RunSheet.objects.get(workshop=workshop)
    assert sheet.state == SheetState.FINISHED

    projector.get_by_test_id("runsheet-report-link").click()
    report = projector.get_by_test_id("runsheet-report")
    expect(report).to_be_visible()
    first_row = report.locator("tbody tr").first
    expect(first_row.get_by_test_id("planned")).to_have_text("5:00")
    expect(first_row.get_by_test_id("actual")).to_have_text(re.compile(r"^0:\d\d"))
    check_axe(projector, name=f"runsheet-report-{lang}")


def _session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_blocks_are_prepared_and_reordered_with_the_keyboard(room, projector_page, live_server):
    workshop, facilitator, _ballot = room
    page = projector_page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": _session_of(facilitator.user),
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"/w/{workshop.pk}/runsheet/")
    check_axe(page, name="runsheet-sheet")
    page.get_by_label("Title").fill("Energiser")
    page.get_by_label("Planned minutes").fill("4")
    page.get_by_role("button", name="Add the block").click()
    blocks = page.get_by_test_id("runsheet-blocks").locator("li")
    expect(blocks).to_have_count(4)
    expect(blocks.last).to_contain_text("Energiser")
    # Up with the keyboard: focus the button, Enter; htmx keeps the focus on it.
    up = page.get_by_role("button", name="Move Energiser up")
    up.focus()
    page.keyboard.press("Enter")
    expect(blocks.nth(2)).to_contain_text("Energiser")
    expect(page.get_by_role("button", name="Move Energiser up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(blocks.nth(1)).to_contain_text("Energiser")
    check_axe(page, name="runsheet-sheet-reordered")
    titles = list(
        Block.objects.filter(sheet__workshop=workshop)
        .order_by("position")
        .values_list("title", flat=True)
    )
    assert titles[1] == "Energiser"


def test_blocks_are_reordered_by_drag_and_drop(room, projector_page, live_server):
    workshop, facilitator, _ballot = room
    page = projector_page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": _session_of(facilitator.user),
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"/w/{workshop.pk}/runsheet/")
    # The drag handlers come with the deferred script: under load a drag before "load" is lost.
    page.wait_for_load_state("load")
    items = page.get_by_test_id("runsheet-blocks").locator("li")
    # The list moves under the pointer before the new order is sent: wait for the server's
    # answer before reloading, or the reload can overtake the POST.
    with page.expect_response(lambda r: r.url.endswith("/reorder/") and r.request.method == "POST"):
        items.nth(2).drag_to(items.nth(0), target_position={"x": 20, "y": 5})
    expect(items.first).to_contain_text("Next steps")
    page.reload()
    expect(page.get_by_test_id("runsheet-blocks").locator("li").first).to_contain_text("Next steps")


def test_the_facilitator_runs_the_session_from_a_phone(room, phone_page, live_server, fast_poll):
    workshop, facilitator, ballot = room
    page = phone_page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": _session_of(facilitator.user),
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"/w/{workshop.pk}/runsheet/")
    check_axe(page, name="runsheet-sheet-phone")
    page.get_by_role("button", name="Start the session").click()
    expect(page.get_by_test_id("runsheet-title")).to_have_text("Welcome and goals")
    check_axe(page, name="runsheet-sheet-live-phone")
    page.get_by_test_id("runsheet-next").click()
    expect(page.get_by_test_id("runsheet-title")).to_have_text("Dot vote", timeout=5000)
    expect(page.get_by_test_id("runsheet-board-link")).to_be_visible()
    ballot.refresh_from_db()
    assert ballot.state == BallotState.OPEN
    # The round's board (a projector page) shows the same countdown.
    page.get_by_test_id("runsheet-board-link").click()
    expect(page.get_by_test_id("runsheet-title")).to_have_text("Dot vote")
    check_axe(page, name="runsheet-board-phone")


def test_the_run_sheets_hold_option_keeps_a_comment_off_the_projector_until_let_through(
    workshop, _new_context, phone_page, live_server
):
    """The facilitator ticks "hold open text" on the run-sheet page and starts the session: a
    participant's comment then waits on their phone, the projector does not show it, and it
    appears there once let through from the moderation queue."""
    user = MembershipFactory(organisation=workshop.organisation, role=Role.FACILITATOR).user
    facilitator = ParticipantFactory(
        workshop=workshop, user=user, role=Role.FACILITATOR, display_name="Fran"
    )
    services.block_add(
        actor=facilitator, workshop=workshop, title="Refine the definitions", planned_minutes=20
    )
    proposal = kpi_services.proposal_create(
        actor=facilitator,
        workshop=workshop,
        definition={"name": "First contact resolution", "measures": "Solved at once.",
                    "category": Category.CUSTOMER},
    )  # fmt: skip
    detail = f"/w/{workshop.pk}/proposals/{proposal.pk}/"
    comment = "Transfers should not count as resolved."

    laptop = _new_context("laptop", viewport={"width": 1920, "height": 1080})
    laptop.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": _session_of(user),
                "url": live_server.url,
            }
        ]
    )
    sheet = laptop.new_page()
    sheet.goto(f"/w/{workshop.pk}/runsheet/")
    hold = sheet.get_by_label("Hold open text for the projector while live")
    expect(hold).not_to_be_checked()
    hold.check()
    sheet.get_by_test_id("runsheet-hold-form").get_by_role("button", name="Save").click()
    saved = "Open text will wait for you while the session is live."
    expect(sheet.get_by_text(saved)).to_be_visible()
    expect(sheet.get_by_label("Hold open text for the projector while live")).to_be_checked()
    check_axe(sheet, name="runsheet-sheet-hold")
    # The option holds nothing until the session starts.
    workshop.refresh_from_db()
    assert not workshop.hold_open_text
    sheet.get_by_role("button", name="Start the session").click()
    expect(sheet.get_by_test_id("runsheet-title")).to_have_text("Refine the definitions")
    workshop.refresh_from_db()
    assert workshop.hold_open_text
    check_axe(sheet, name="runsheet-sheet-hold-live")

    projector = laptop.new_page()
    projector.goto(detail)
    expect(projector.get_by_test_id("comment-list")).to_be_visible()

    # A participant's phone comments: it waits, and says so; the projector does not show it.
    phone = phone_page
    join(phone, workshop, "Gina")
    phone.goto(detail)
    phone.locator("#id_body").fill(comment)
    phone.locator("#comments form.card button[type=submit]").click()
    expect(phone.get_by_test_id("comment-waiting")).to_be_visible()
    expect(phone.locator("#comments")).to_contain_text(comment)
    check_axe(phone, name="runsheet-hold-comment-waiting-phone")
    projector.reload()
    expect(projector.get_by_test_id("comment-list")).to_be_visible()
    expect(projector.get_by_test_id("comment-list")).not_to_contain_text("Transfers")
    check_axe(projector, name="runsheet-hold-projector-before")

    # Let through from the queue: the projector shows it by itself, the phone's note goes.
    queue = laptop.new_page()
    queue.goto(f"/w/{workshop.pk}/moderation/")
    held = queue.get_by_test_id("held-item")
    expect(held).to_contain_text(comment)
    check_axe(queue, name="runsheet-hold-queue")
    held.get_by_test_id("release").click()
    expect(queue.get_by_test_id("queue-empty")).to_be_visible()
    expect(projector.get_by_test_id("comment-list")).to_contain_text(comment)
    check_axe(projector, name="runsheet-hold-projector-after")
    expect(phone.get_by_test_id("comment-waiting")).to_have_count(0)
