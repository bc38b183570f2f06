"""The KPI tree in a browser (issue 20, item 1), in English and Italian: the room builds a
three-level tree in the Map stage (an agent proposes on a 360 px phone, the facilitator accepts
on the projector), sees it drawn at 1920×1080 and walks it with the keyboard, and reads it as a
collapsible list on the phone. Every page goes through ``check_axe`` at the size it is used."""

import datetime
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Category, Proposal, ProposalState, Revision
from kpiworkshop.mapping.models import BusinessGoal, GoalLink, LinkState, TreeLink
from kpiworkshop.mapping.services import defaults_ensure
from kpiworkshop.workshops.models import Stage
from tests.factories import PASSWORD, MembershipFactory, ParticipantFactory, WorkshopFactory

from .conftest import check_axe

KPIS = ["Cost per contact", "Repeat contacts", "First contact resolution", "Handling time"]


@pytest.fixture
def room(organisation):
    defaults_ensure(organisation=organisation)
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.MAP)
    people = {}
    for role in (Role.FACILITATOR, Role.AGENT):
        user = MembershipFactory(organisation=organisation, role=role).user
        people[role] = ParticipantFactory(workshop=workshop, user=user, role=role)
    kpis = {}
    for name in KPIS:
        proposal = Proposal.objects.create(
            workshop=workshop, author=people[Role.AGENT], state=ProposalState.SHORTLISTED
        )
        proposal.current_revision = Revision.objects.create(
            proposal=proposal, number=1, author=people[Role.AGENT], name=name,
            measures=f"What {name} measures", category=Category.ECONOMIC, purposes=["steer"],
        )  # fmt: skip
        proposal.save(update_fields=["current_revision"])
        kpis[name] = proposal
    goal = BusinessGoal.objects.get(organisation=organisation, key="cost")
    GoalLink.objects.create(
        proposal=kpis["Cost per contact"], goal=goal, strength="primary",
        created_by=people[Role.FACILITATOR],
    )  # fmt: skip
    return workshop, people, kpis


def _sign_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def _phone(_new_context, name, locale):
    return _new_context(
        name,
        locale=locale,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()


#: language -> (labels and texts the pages show in it)
WORDS = {
    "en": {
        "locale": "en-GB",
        "this": "This KPI",
        "how": "How",
        "that": "That KPI",
        "why": "Why, in one line",
        "propose": "Propose the link",
        "drives": "drives",
        "guards": "guards against",
        "proposed": "Link proposed.",
        "accept": "Accept",
        "goal": "Reduce repeat contacts and cost to serve",
        "tree": "KPI tree",
    },
    "it": {
        "locale": "it-IT",
        "this": "Questo KPI",
        "how": "Come",
        "that": "Quel KPI",
        "why": "Perché, in una riga",
        "propose": "Proponi il collegamento",
        "drives": "guida",
        "guards": "fa da contrappeso a",
        "proposed": "Collegamento proposto.",
        "accept": "Accetta",
        "goal": "Ridurre i ricontatti e il costo del servizio",
        "tree": "Albero dei KPI",
    },
}


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_room_builds_a_three_level_tree_and_sees_it_on_projector_and_phone(
    room, _new_context, language, settings, tmp_path
):
    workshop, people, kpis = room
    w = WORDS[language]
    tree_url = f"/w/{workshop.pk}/map/tree/"

    # An agent on a phone proposes three links, one per level.
    phone = _phone(_new_context, f"phone-{language}", w["locale"])
    _sign_in(phone, people[Role.AGENT].user)
    phone.goto(tree_url)
    check_axe(phone, name=f"tree-phone-empty-{language}")
    for n, (source, kind, target) in enumerate(
        (
            ("Repeat contacts", "drives", "Cost per contact"),
            ("First contact resolution", "drives", "Repeat contacts"),
            ("Handling time", "guards", "First contact resolution"),
        ),
        start=1,
    ):
        phone.get_by_label(w["this"], exact=False).select_option(label=source)
        phone.get_by_label(w["how"], exact=False).select_option(label=w[kind])
        phone.get_by_label(w["that"], exact=False).select_option(label=target)
        phone.get_by_label(w["why"], exact=False).fill(f"{source} moves {target}")
        phone.get_by_role("button", name=w["propose"]).click()
        expect(phone.get_by_test_id("tree-link")).to_have_count(n)
        expect(phone.get_by_text(w["proposed"])).to_be_visible()
    # A bad one: a KPI linked to itself is refused with a message, nothing stored.
    phone.get_by_label(w["this"], exact=False).select_option(label="Handling time")
    phone.get_by_label(w["that"], exact=False).select_option(label="Handling time")
    phone.get_by_label(w["why"], exact=False).fill("x")
    phone.get_by_role("button", name=w["propose"]).click()
    expect(phone.locator("#tree-to_proposal_error")).to_be_visible()
    assert TreeLink.objects.filter(workshop=workshop).count() == 3

    # The facilitator accepts them on the projector.
    projector = _new_context(
        f"projector-{language}",
        locale=w["locale"],
        viewport={"width": 1920, "height": 1080},
        device_scale_factor=1,
    ).new_page()
    _sign_in(projector, people[Role.FACILITATOR].user)
    projector.goto(tree_url)
    expect(projector.locator("svg.kpi-tree .edge.proposed")).to_have_count(3)
    for left in (2, 1, 0):
        projector.locator('button[value="accept"]').first.click()
        expect(projector.locator('button[value="accept"]')).to_have_count(left)
    expect(projector.locator('button[value="accept"]')).to_have_count(0)
    assert TreeLink.objects.filter(workshop=workshop, state=LinkState.ACCEPTED).count() == 3
    projector.goto(tree_url)
    svg = projector.locator("svg.kpi-tree")
    expect(svg).to_be_visible()
    expect(svg.locator(".edge.proposed")).to_have_count(0)
    expect(svg.locator(".edge")).to_have_count(4)  # goal → cost → repeat → FCR → guard
    # Legible: the drawing is not scaled down on the projector.
    box = svg.bounding_box()
    assert box["width"] <= 1920 and box["width"] >= 4 * 380
    check_axe(projector, name=f"tree-projector-{language}")
    # Keyboard: the goal's node, then → to its first child, → again, ← back.
    goal = svg.locator(".tree-node.t-goal").first
    goal.focus()
    projector.keyboard.press("ArrowRight")
    focused = projector.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Cost per contact")
    projector.keyboard.press("ArrowRight")
    focused = projector.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Repeat contacts")
    projector.keyboard.press("ArrowLeft")
    focused = projector.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Cost per contact")

    # The phone shows the same tree as a list that opens and closes.
    phone.goto(tree_url)
    tree_list = phone.get_by_test_id("tree-list")
    expect(tree_list).to_be_visible()
    expect(phone.get_by_test_id("tree-svg")).to_be_hidden()
    expect(tree_list).to_contain_text(w["goal"])
    for name in KPIS:
        expect(tree_list).to_contain_text(name)
    summary = tree_list.locator("summary").filter(has_text="Repeat contacts").first
    summary.click()  # closes it: First contact resolution is hidden
    expect(tree_list.get_by_text("First contact resolution", exact=True)).to_be_hidden()
    summary.press("Enter")  # and the keyboard opens it again
    expect(tree_list.get_by_text("First contact resolution", exact=True)).to_be_visible()
    check_axe(phone, name=f"tree-phone-{language}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # Approved and published (in the test's thread), the tree is in the catalogue.
    _publish(workshop, people, kpis, language, settings, tmp_path)
    slug = workshop.organisation.slug
    phone.goto(f"/o/{slug}/catalogue/")
    phone.get_by_test_id("tree-link-catalogue").click()
    tree_list = phone.get_by_test_id("tree-list")
    expect(tree_list).to_contain_text(w["goal"])
    for name in KPIS:
        expect(tree_list).to_contain_text(name)
    expect(phone.get_by_test_id("release-tree-links")).to_contain_text(w["guards"])
    check_axe(phone, name=f"catalogue-tree-phone-{language}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    projector.goto(phone.url)
    svg = projector.locator("svg.kpi-tree")
    expect(svg.locator(".edge")).to_have_count(4)
    expect(svg.locator(".edge.proposed")).to_have_count(0)
    check_axe(projector, name=f"catalogue-tree-projector-{language}")
    # And its PDF pack has a page with the tree.
    projector.goto(f"/o/{slug}/catalogue/")
    exports = projector.locator('[data-testid="exports"] a[href*="/exports/"]')
    href = exports.filter(has_text="(PDF)").first.get_attribute("href")
    response = projector.request.get(href)
    assert response.ok
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages]
    tree_page = next(t for t in texts if w["tree"] in t and w["guards"] in t)
    assert "Handling time" in tree_page and "First contact resolution" in tree_page


def _publish(workshop, people, kpis, language, settings, tmp_path):
    from kpiworkshop.catalog import services as catalog_services
    from kpiworkshop.catalog.models import PublishState
    from tests.approval.conftest import approve_all

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.KPIW_OUTBOX_THREADS = False
    workshop.stage = Stage.APPROVE
    workshop.save(update_fields=["stage"])
    approver = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    approve_all(list(kpis.values()), approver, people[Role.FACILITATOR], language=language)
    job = catalog_services.release_publish(
        actor=people[Role.FACILITATOR],
        workshop=workshop,
        language=language,
        effective_date=datetime.date(2026, 1, 1),
    )
    job.refresh_from_db()
    assert job.state == PublishState.DONE, job.error
