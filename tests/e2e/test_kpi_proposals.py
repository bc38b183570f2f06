"""Proposing and refining KPIs in a real browser, on a phone: a guest agent proposes from the
library, a supervisor comments and suggests an edit, the author accepts it, the diff shows it,
and the facilitator merges a duplicate. Every page visited goes through ``check_axe``."""

import re

import pytest
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Stage, Workshop
from tests.factories import InvitationFactory, MembershipFactory, ParticipantFactory

from .conftest import check_axe
from .test_workshop_journey import sign_in


@pytest.fixture
def library(db):
    services.library_load()


def join(page, invitation, name: str) -> None:
    page.goto(f"/j/{invitation.code}/")
    page.get_by_label("Your name, as others will see it").fill(name)
    page.get_by_role("button", name="Join the workshop").click()
    expect(page).to_have_url(re.compile(rf"/w/{invitation.workshop_id}/$"))


def test_guest_proposes_from_library_and_suggestion_is_accepted(
    phone_page, _new_context, workshop, library
):
    phone = phone_page
    join(phone, InvitationFactory(workshop=workshop, role=Role.AGENT), "Gina")
    phone.get_by_role("link", name="KPI proposals").click()
    expect(phone.get_by_role("heading", name="KPI proposals")).to_be_visible()
    check_axe(phone, name="kpi-board-empty")
    phone.get_by_role("link", name="Start from the library").click()
    check_axe(phone, name="kpi-library")
    phone.get_by_label("Search").fill("first contact resolution")
    cards = phone.get_by_test_id("library-card")
    expect(cards.first).to_contain_text("First contact resolution")
    cards.first.get_by_role("link", name=re.compile("Propose this")).click()
    expect(phone.get_by_label("Name")).to_have_value(re.compile("First contact resolution"))
    check_axe(phone, name="kpi-propose-form")
    phone.get_by_role("button", name="Submit proposal").click()
    expect(phone.get_by_test_id("proposal-name")).to_contain_text("First contact resolution")
    check_axe(phone, name="kpi-proposal")
    proposal = Proposal.objects.get()
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REFINE)

    other = _new_context(
        "supervisor-phone", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    ).new_page()
    join(other, InvitationFactory(workshop=workshop, role=Role.SUPERVISOR), "Sara")
    other.goto(f"/w/{workshop.pk}/proposals/{proposal.pk}/")
    other.get_by_label("Your comment").fill("Transfers should not count as resolved.")
    other.get_by_label("Stance", exact=True).select_option("concern")
    other.get_by_role("button", name="Post comment").click()
    expect(other.get_by_test_id("comment")).to_contain_text("Transfers should not count")
    check_axe(other, name="kpi-proposal-commented")
    other.get_by_test_id("suggest").click()
    check_axe(other, name="kpi-suggest-form")
    other.locator("#fs-why summary").click()
    other.get_by_label("Unit").fill("percent of resolved requests")
    other.get_by_label("Why this change").fill("Say what the share is of.")
    other.get_by_role("button", name="Send suggestion").click()
    expect(other.get_by_test_id("suggestion")).to_contain_text("percent of resolved requests")

    phone.reload()
    phone.get_by_test_id("accept").click()
    expect(phone.get_by_test_id("revisions")).to_contain_text("suggested by Sara")
    phone.get_by_role("link", name="What changed in r2").click()
    expect(phone.get_by_test_id("diff").locator("ins")).to_contain_text("percent")
    check_axe(phone, name="kpi-diff")


def test_facilitator_merges_a_duplicate(phone_page, workshop, agent):
    user = MembershipFactory(organisation=workshop.organisation, role=Role.FACILITATOR).user
    ParticipantFactory(workshop=workshop, user=user, role=Role.FACILITATOR, display_name="Fran")
    base = {"measures": "Requests back within 7 days", "category": "customer"}
    first = services.proposal_create(
        actor=agent, workshop=workshop, definition=base | {"name": "Repeat contact rate"}
    )
    second = services.proposal_create(
        actor=agent, workshop=workshop, definition=base | {"name": "Repeat contacts rate"}
    )
    services.comment_create(actor=agent, proposal=second, body="Keep the 7 days", stance="supports")
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.REFINE)

    page = phone_page
    sign_in(page, user)
    page.goto(f"/w/{workshop.pk}/proposals/")
    page.get_by_role("link", name="Duplicates and merges").click()
    expect(page.get_by_test_id("duplicate-pair")).to_have_count(1)
    check_axe(page, name="kpi-merge")
    page.get_by_test_id("duplicate-pair").get_by_role("button", name=re.compile("Merge")).click()
    expect(page.get_by_test_id("merged")).to_contain_text("Repeat contacts rate")
    second.refresh_from_db()
    assert second.state == ProposalState.MERGED and second.merged_into == first
    page.goto(f"/w/{workshop.pk}/proposals/{first.pk}/")
    expect(page.get_by_test_id("comment")).to_contain_text("Keep the 7 days")
    check_axe(page, name="kpi-proposal-merged")
