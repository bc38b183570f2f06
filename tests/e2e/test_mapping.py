"""Mapping in a real browser: a manager on a laptop and a supervisor on a 360 px phone map KPIs
to goals and audiences, while the facilitator's coverage view on a projector follows within a
poll. Every page visited goes through ``check_axe`` at the size it is used."""

import re

import pytest
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Category, Proposal, ProposalState, Revision
from kpiworkshop.mapping.models import AudienceLink, GoalLink
from kpiworkshop.mapping.services import defaults_ensure
from kpiworkshop.workshops.models import Stage
from tests.factories import MembershipFactory, ParticipantFactory, WorkshopFactory

from .conftest import check_axe
from .test_workshop_journey import sign_in

KPIS = [
    ("First contact resolution", Category.CUSTOMER),
    ("Time to reach a human", Category.CUSTOMER),
    ("Average handling time", Category.TECHNICAL),
]


@pytest.fixture
def room(organisation):
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.MAP)
    people = {}
    for role in (Role.FACILITATOR, Role.MANAGER, Role.SUPERVISOR):
        user = MembershipFactory(organisation=organisation, role=role).user
        people[role] = ParticipantFactory(workshop=workshop, user=user, role=role)
    for name, category in KPIS:
        proposal = Proposal.objects.create(
            workshop=workshop, author=people[Role.MANAGER], state=ProposalState.SHORTLISTED
        )
        proposal.current_revision = Revision.objects.create(
            proposal=proposal, number=1, author=people[Role.MANAGER], name=name,
            measures=f"What {name} measures", category=category, purposes=["steer"],
        )  # fmt: skip
        proposal.save(update_fields=["current_revision"])
    defaults_ensure(organisation=organisation)
    return workshop, people


def open_editor(page, kpi_name: str):
    card = page.locator("article", has=page.get_by_role("heading", name=kpi_name))
    card.get_by_role("link", name=re.compile("Map this KPI")).click()
    editor = page.get_by_test_id("kpi-editor")
    expect(editor).to_be_visible()
    return editor


def test_manager_and_supervisor_map_while_the_coverage_view_follows(
    room, _new_context, phone_page, projector_page
):
    workshop, people = room

    # The facilitator projects the coverage view.
    projector = projector_page
    sign_in(projector, people[Role.FACILITATOR].user)
    projector.goto(f"/w/{workshop.pk}/map/coverage/")
    score = projector.get_by_test_id("coverage-score")
    expect(score).to_have_text(re.compile(r"\d+ of 17 checks pass"))
    goal_check = projector.locator('[data-check="kpi_goal"]')
    expect(goal_check).to_have_attribute("data-ok", "0")
    expect(goal_check).to_contain_text("3 KPIs serve no goal.")
    check_axe(projector, name="coverage-projector")

    # A manager on a laptop maps First contact resolution.
    laptop = _new_context("laptop", viewport={"width": 1366, "height": 768}).new_page()
    sign_in(laptop, people[Role.MANAGER].user)
    laptop.goto(f"/w/{workshop.pk}/")
    laptop.get_by_test_id("mapping-link").click()
    expect(laptop.get_by_role("heading", name="Map the KPIs")).to_be_visible()
    check_axe(laptop, name="map-laptop")
    editor = open_editor(laptop, "First contact resolution")
    editor.get_by_label(re.compile(r"^Goal")).select_option(
        label="Reduce repeat contacts and cost to serve"
    )
    editor.get_by_label("Primary or secondary").select_option("primary")
    editor.get_by_label("Why, in one line").fill("Solved once is not called again")
    editor.get_by_role("button", name="Save goal link").click()
    editor = laptop.get_by_test_id("kpi-editor")
    expect(editor.get_by_test_id("editor-status")).to_have_text("Saved.")
    expect(editor.get_by_test_id("goal-links")).to_contain_text("Solved once is not called again")
    # A second primary is refused with a clear message, nothing changes.
    editor.get_by_label(re.compile(r"^Goal")).select_option(label="Increase loyalty")
    editor.get_by_label("Primary or secondary").select_option("primary")
    editor.get_by_role("button", name="Save goal link").click()
    expect(laptop.get_by_test_id("kpi-editor")).to_contain_text("already has a primary goal")
    editor = laptop.get_by_test_id("kpi-editor")
    editor.get_by_label("Primary or secondary").select_option("secondary")
    editor.get_by_role("button", name="Save goal link").click()
    expect(laptop.get_by_test_id("kpi-editor").get_by_test_id("editor-status")).to_have_text(
        "Saved."
    )
    # The map's Audiences list, before: nobody sees anything yet.
    side = laptop.locator("#map-audiences")
    expect(side).to_contain_text("Team leaders — sees 0, acts on 0, accountable for 0")
    for n, (audience, relation, cadence) in enumerate(
        (
            ("Agents", "Sees", "Daily"),
            ("Team leaders", "Acts on", "Weekly"),
            ("Team leaders", "Sees", "Daily"),
            ("Contact-centre managers", "Accountable", "Monthly"),
        ),
        start=1,
    ):
        editor = laptop.get_by_test_id("kpi-editor")
        editor.get_by_label(re.compile(r"^Audience")).select_option(label=audience)
        editor.get_by_label("They…").select_option(label=relation)
        editor.get_by_label("How often").select_option(label=cadence)
        editor.get_by_role("button", name="Save audience link").click()
        links = laptop.get_by_test_id("kpi-editor").get_by_test_id("audience-links")
        expect(links.locator(":scope > li")).to_have_count(n)
        expect(links).to_contain_text(audience)
    check_axe(laptop, name="map-editor-laptop")
    # Mapped in place: the Audiences list followed without a reload (it heard mapChanged).
    expect(side).to_contain_text("Team leaders — sees 1, acts on 1, accountable for 0")
    expect(side).to_contain_text("Contact-centre managers — sees 1, acts on 0, accountable for 1")
    laptop.get_by_role("link", name="Done: First contact resolution", exact=True).click()
    card = laptop.get_by_test_id("kpi-card").first
    expect(card).to_contain_text("Contact-centre managers")
    # Team leaders act on it and see it: named once, by the stronger relation.
    expect(card.get_by_test_id("audience-links").get_by_text("Team leaders")).to_have_count(1)
    expect(card.get_by_test_id("audience-links")).to_contain_text("Acts on")
    # The button's name has no space before its colon (a screen reader reads it).
    expect(
        card.get_by_role("link", name="Map this KPI: First contact resolution", exact=True)
    ).to_be_visible()
    assert GoalLink.objects.filter(proposal__workshop=workshop).count() == 2
    assert AudienceLink.objects.filter(proposal__workshop=workshop).count() == 4

    # The projector follows without a reload: one KPI fewer without a goal.
    expect(goal_check).to_contain_text("2 KPIs serve no goal.", timeout=15_000)
    matrix = projector.locator(".coverage-matrix")
    expect(matrix.get_by_role("row", name=re.compile("Reduce repeat contacts"))).to_contain_text(
        "primary"
    )

    # A supervisor on a phone maps Time to reach a human, finishing with the keyboard.
    phone = phone_page
    sign_in(phone, people[Role.SUPERVISOR].user)
    phone.goto(f"/w/{workshop.pk}/map/")
    check_axe(phone, name="map-phone")
    editor = open_editor(phone, "Time to reach a human")
    editor.get_by_label(re.compile(r"^Goal")).select_option(label="Increase loyalty")
    editor.get_by_label("Primary or secondary").select_option("primary")
    why = editor.get_by_label("Why, in one line")
    why.fill("Customers stay when a person is easy to reach")
    why.press("Enter")
    expect(phone.get_by_test_id("kpi-editor").get_by_test_id("editor-status")).to_have_text(
        "Saved."
    )
    editor = phone.get_by_test_id("kpi-editor")
    editor.get_by_label(re.compile(r"^Audience")).select_option(label="Team leaders")
    editor.get_by_label("They…").select_option(label="Acts on")
    editor.get_by_role("button", name="Save audience link").click()
    expect(phone.get_by_test_id("kpi-editor").get_by_test_id("audience-links")).to_contain_text(
        "Team leaders"
    )
    check_axe(phone, name="map-editor-phone")
    # No sideways scroll on a 360 px phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    phone.goto(f"/w/{workshop.pk}/map/coverage/")
    expect(phone.get_by_test_id("coverage-score")).to_be_visible()
    expect(phone.locator(".coverage-list")).to_contain_text("Time to reach a human")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    check_axe(phone, name="coverage-phone")

    expect(goal_check).to_contain_text("1 KPI serves no goal.", timeout=15_000)
    team_leaders = projector.locator('[data-check="acts"]')
    expect(team_leaders).to_contain_text("1 KPI nobody acts on.")

    # The audience page answers the seed's question in one screen.
    projector.get_by_role("link", name="Audiences", exact=True).click()
    projector.get_by_role("link", name="Team leaders").click()
    expect(projector.get_by_test_id("audience-question")).to_contain_text("Team leaders")
    expect(projector.get_by_role("heading", name="Acts on 2 KPIs")).to_be_visible()
    check_axe(projector, name="audience-projector")
    phone.goto(projector.url)
    expect(phone.get_by_role("heading", name="Acts on 2 KPIs")).to_be_visible()
    check_axe(phone, name="audience-phone")


def test_agent_comments_on_a_link_by_keyboard(room, phone_page):
    workshop, people = room
    from kpiworkshop.mapping import services
    from kpiworkshop.mapping.models import Audience

    proposal = Proposal.objects.filter(workshop=workshop).order_by("id").first()
    audience = Audience.objects.get(organisation=workshop.organisation, key="team_leaders")
    services.audience_link_set(
        actor=people[Role.MANAGER], proposal=proposal, audience_id=audience.pk, relation="acts"
    )
    agent_user = MembershipFactory(organisation=workshop.organisation, role=Role.AGENT).user
    ParticipantFactory(workshop=workshop, user=agent_user, role=Role.AGENT)
    phone = phone_page
    sign_in(phone, agent_user)
    phone.goto(f"/w/{workshop.pk}/map/")
    card = phone.locator("article", has=phone.get_by_role("heading", name=KPIS[0][0]))
    card.get_by_role("link", name=re.compile("Comment")).click()
    editor = phone.get_by_test_id("kpi-editor")
    expect(editor.get_by_test_id("goal-form")).to_have_count(0)
    box = editor.get_by_label("Comment on this link")
    box.fill("This is not something we can act on")
    box.press("Enter")
    expect(phone.get_by_test_id("kpi-editor")).to_contain_text(
        "This is not something we can act on"
    )
    check_axe(phone, name="map-comment-phone")
