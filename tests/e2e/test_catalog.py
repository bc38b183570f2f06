"""Approval and the catalogue in a real browser: leadership decides on a tablet, the
facilitator writes training notes and publishes, an agent on a 360 px phone opens the
catalogue filtered to agents, reads a KPI's training notes and downloads the PDF pack. Every
page visited goes through ``check_axe``."""

import re

import pytest
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.catalog.models import CatalogRelease
from kpiworkshop.kpis.models import Category, Proposal, ProposalState, Revision
from kpiworkshop.mapping.models import AudienceLink
from kpiworkshop.workshops.models import Stage
from tests.factories import AudienceFactory, MembershipFactory, ParticipantFactory, WorkshopFactory

from .conftest import check_axe
from .test_workshop_journey import sign_in


@pytest.fixture
def tablet_page(_new_context):
    context = _new_context("tablet", viewport={"width": 820, "height": 1180}, has_touch=True)
    return context.new_page()


@pytest.fixture
def desk_page(_new_context):
    return _new_context("desk", viewport={"width": 1280, "height": 900}).new_page()


def _kpi(workshop, author, name):
    p = Proposal.objects.create(workshop=workshop, author=author, state=ProposalState.SHORTLISTED)
    rev = Revision.objects.create(
        proposal=p, number=1, author=author, name=name, measures=f"What {name} measures",
        category=Category.CUSTOMER, numerator="Solved", denominator="All", unit="%",
    )  # fmt: skip
    Proposal.objects.filter(pk=p.pk).update(current_revision=rev)
    p.refresh_from_db()
    return p


def test_approve_on_a_tablet_publish_and_read_on_a_phone(
    organisation, tablet_page, desk_page, phone_page
):
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    lead = MembershipFactory(organisation=organisation, role=Role.LEADERSHIP).user
    fac = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    agent = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    ParticipantFactory(workshop=workshop, user=lead, role=Role.LEADERSHIP)
    facilitator = ParticipantFactory(workshop=workshop, user=fac, role=Role.FACILITATOR)
    author = ParticipantFactory(workshop=workshop, role=Role.MANAGER)
    fcr = _kpi(workshop, author, "First contact resolution")
    _kpi(workshop, author, "Time to reach a human")
    agents = AudienceFactory(organisation=organisation, name="Agents", key="agents")
    AudienceLink.objects.create(
        proposal=fcr, audience=agents, relation="sees", created_by=facilitator
    )

    # Leadership decides on a tablet, with reasons.
    page = tablet_page
    sign_in(page, lead)
    page.goto(f"/w/{workshop.pk}/approve/")
    check_axe(page, name="approval board (tablet)")
    for name, reason in (
        ("First contact resolution", "Customers want one contact."),
        ("Time to reach a human", "Nobody should be trapped in the bot."),
    ):
        card = page.locator("li.card", has=page.get_by_role("heading", name=name))
        card.get_by_label("Approve", exact=True).check()
        card.get_by_label("Reason").fill(reason)
        card.get_by_role("button", name="Record decision").click()
        expect(card.get_by_test_id("state")).to_have_text("Approved")
    check_axe(page, name="approval board after deciding")

    # The facilitator writes the training notes and publishes.
    page = desk_page
    sign_in(page, fac)
    page.goto(f"/w/{workshop.pk}/approve/")
    expect(page.get_by_test_id("lacking-notes")).to_contain_text("2 approved KPIs")
    for name in ("First contact resolution", "Time to reach a human"):
        page.get_by_role("link", name=f"Training notes — {name}").click()
        check_axe(page, name="training notes form")
        page.get_by_label("How to read it").fill(f"How to read {name}: the share solved.")
        page.get_by_label("What to do when it moves").fill("Look at the reasons first.")
        page.get_by_label("Pitfalls and gaming").fill("Closing tickets early inflates it.")
        page.get_by_label("Worked example").fill("80 of 100: 80%.")
        page.get_by_role("button", name="Save training notes").click()
        expect(page.get_by_text("Training notes saved.")).to_be_visible()
    page.get_by_label("Release notes").fill("Our first agreed catalogue.")
    page.get_by_role("button", name="Publish", exact=True).click()
    progress = page.get_by_test_id("publish-progress")
    expect(progress).to_contain_text("Release 1.0 is published.", timeout=60_000)
    check_axe(page, name="published")
    assert CatalogRelease.objects.count() == 1

    # An agent on a phone: the catalogue filtered to agents, a KPI's training notes, the PDF.
    page = phone_page
    sign_in(page, agent)
    page.goto(f"/o/{organisation.slug}/catalogue/")
    check_axe(page, name="catalogue (phone)")
    page.get_by_label("Audience").select_option(label="Agents")
    results = page.locator("#catalogue-results")
    expect(results).to_contain_text("1 KPI of 2")
    expect(results).not_to_contain_text("Time to reach a human")
    results.get_by_role("link", name="First contact resolution").click()
    expect(page.get_by_test_id("note-how_to_read")).to_contain_text(
        "How to read First contact resolution"
    )
    check_axe(page, name="catalogue entry (phone)")
    page.go_back()
    page.get_by_text("Download").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Training pack (PDF)").click()
    download = info.value
    assert download.suggested_filename == "kpi-catalogue-1.0.pdf"
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_publishing_shows_a_progress_bar_in_the_default_set_up(
    organisation, desk_page, monkeypatch, settings
):
    """Issue 17, item 2: with no broker (tasks eager, the `make run` default) the Publish click
    returns at once and the page shows a polling progress bar until the release is out."""
    import time

    from kpiworkshop.approval.models import Decision
    from kpiworkshop.catalog.exports import tabular as exports

    assert settings.CELERY_TASK_ALWAYS_EAGER and settings.KPIW_OUTBOX_THREADS
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    fac = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    facilitator = ParticipantFactory(workshop=workshop, user=fac, role=Role.FACILITATOR)
    leader = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    author = ParticipantFactory(workshop=workshop, role=Role.MANAGER)
    kpi = _kpi(workshop, author, "First contact resolution")
    approval_services.approval_decide(
        actor=leader, proposal=kpi, decision=Decision.APPROVE, reason="ok"
    )
    approval_services.training_notes_save(
        actor=facilitator, proposal=kpi, language="en", how_to_read="Weekly.",
        when_it_moves="Look at the reasons.", pitfalls="Gaming.", worked_example="8 of 10.",
    )  # fmt: skip
    real = exports._pdf_packs

    def slow_pdf(*args, **kwargs):  # a bigger release: the PDF takes a few seconds
        time.sleep(3)
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "_pdf_packs", slow_pdf)
    page = desk_page
    sign_in(page, fac)
    page.goto(f"/w/{workshop.pk}/approve/")
    started = time.monotonic()
    page.get_by_role("button", name="Publish", exact=True).click()
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible(timeout=2_500)
    assert time.monotonic() - started < 3  # back before the build is done
    check_axe(page, name="publishing in progress")
    progress = page.get_by_test_id("publish-progress")
    expect(progress).to_contain_text("Release 1.0 is published.", timeout=60_000)
    expect(bar).to_have_count(0)


def _in_language(page, language: str) -> None:
    """Switch the interface language the way a person does on a phone: the menu, then IT."""
    if language == "en":
        return
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#nav-main")).to_have_class(re.compile(r"\bshow\b"))
    page.locator(f"button[name=language][value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"


@pytest.mark.parametrize("language", ["en", "it"])
def test_quorum_back_to_one_approves_the_waiting_kpi_on_a_phone(
    organisation, _new_context, language
):
    """Issue 17, item 1: the facilitator sets "Approvals needed" to 2, the leader approves
    ("Waiting for the other approvers"), the facilitator sets it back to 1: the KPI is
    approved at once, and the leader is no longer left waiting."""
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    lead = MembershipFactory(organisation=organisation, role=Role.LEADERSHIP).user
    fac = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    ParticipantFactory(workshop=workshop, user=lead, role=Role.LEADERSHIP)
    ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)  # a second approver, undecided
    ParticipantFactory(workshop=workshop, user=fac, role=Role.FACILITATOR)
    author = ParticipantFactory(workshop=workshop, role=Role.MANAGER)
    kpi = _kpi(workshop, author, "First contact resolution")
    with translation.override(language):
        t = {
            "needed": gettext("Approvals needed"),
            "save": gettext("Save quorum"),
            "approve": pgettext("decision", "Approve"),
            "reason": gettext("Reason"),
            "record": gettext("Record decision"),
            "waiting": gettext("You have decided. Waiting for the other approvers."),
            "shortlisted": str(ProposalState.SHORTLISTED.label),
            "approved": str(ProposalState.APPROVED.label),
            "settled": ngettext(
                "Quorum saved. %(n)d KPI has a new state under it.",
                "Quorum saved. %(n)d KPIs have a new state under it.",
                1,
            )
            % {"n": 1},
        }
    phone = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
    facilitator = _new_context("facilitator-phone", **phone).new_page()
    leader = _new_context("leader-phone", **phone).new_page()
    url = f"/w/{workshop.pk}/approve/"

    def quorum(n: int) -> None:
        facilitator.goto(url)
        facilitator.get_by_label(t["needed"]).fill(str(n))
        facilitator.get_by_role("button", name=t["save"]).click()

    sign_in(facilitator, fac)
    _in_language(facilitator, language)
    quorum(2)
    check_axe(facilitator, name=f"approval quorum 2 ({language}, phone)")
    _fits(facilitator)

    sign_in(leader, lead)
    _in_language(leader, language)
    leader.goto(url)
    card = leader.locator(f"#kpi-{kpi.pk}")
    card.get_by_label(t["approve"], exact=True).check()
    card.get_by_label(t["reason"]).fill("One contact is what customers want.")
    card.get_by_role("button", name=t["record"]).click()
    expect(card.get_by_role("status")).to_have_text(t["waiting"])
    expect(card.get_by_test_id("state")).to_have_text(t["shortlisted"])
    check_axe(leader, name=f"approval waiting ({language}, phone)")
    _fits(leader)

    quorum(1)
    expect(facilitator.get_by_text(t["settled"])).to_be_visible()
    expect(facilitator.locator(f"#kpi-{kpi.pk}").get_by_test_id("state")).to_have_text(
        t["approved"]
    )
    check_axe(facilitator, name=f"approval quorum back to 1 ({language}, phone)")
    _fits(facilitator)

    leader.reload()
    card = leader.locator(f"#kpi-{kpi.pk}")
    expect(card.get_by_test_id("state")).to_have_text(t["approved"])
    expect(card).not_to_contain_text(t["waiting"])
    check_axe(leader, name=f"approval approved ({language}, phone)")
    _fits(leader)
    kpi.refresh_from_db()
    assert kpi.state == ProposalState.APPROVED


@pytest.mark.parametrize("language", ["en", "it"])
def test_stale_training_notes_are_flagged_before_publishing_on_a_phone(
    organisation, phone_page, language
):
    """Issue 17, item 26: the target moves from 75 % to 80 % after the notes were written;
    the approval page and its publish section name the KPI and the old figure, the notes page
    shows it against the new target, and the facilitator's confirmation clears the flag."""
    from kpiworkshop.approval.models import Decision
    from kpiworkshop.kpis import services as kpi_services

    workshop = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    fac = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    facilitator = ParticipantFactory(workshop=workshop, user=fac, role=Role.FACILITATOR)
    lead = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    author = ParticipantFactory(workshop=workshop, role=Role.MANAGER)
    kpi = _kpi(workshop, author, "First contact resolution")
    Revision.objects.filter(pk=kpi.current_revision_id).update(target="75 %")
    kpi.refresh_from_db()
    approval_services.approval_decide(
        actor=lead, proposal=kpi, decision=Decision.APPROVE, reason="Yes."
    )
    example = {"en": "78 % is above the 75 % target.", "it": "78,5 % supera il target del 75 %."}
    approval_services.training_notes_save(
        actor=facilitator,
        proposal=kpi,
        language=language,
        how_to_read="The share solved at the first touch.",
        when_it_moves="Look at the repeat contacts.",
        pitfalls="Closing tickets early inflates it.",
        worked_example=example[language],
    )
    kpi.refresh_from_db()
    # A revision after approval (as a review or a late fix makes): the write the services make,
    # inside their transaction (it locks the workshop on PostgreSQL).
    with transaction.atomic():
        kpi_services._revision_new(
            proposal=kpi,
            author=facilitator,
            definition=kpi.current_revision.definition() | {"target": "80 %"},
            change_note="A higher target.",
        )
    # The new revision voids the approval (issue 20): approved again, on the new target.
    kpi.refresh_from_db()
    approval_services.approval_decide(
        actor=lead, proposal=kpi, decision=Decision.APPROVE, reason="Still clear."
    )
    with translation.override(language):
        t = {
            "heading": gettext("Training notes that quote an earlier definition"),
            "warning": gettext("These notes may be out of date"),
            "confirm": gettext("Confirm that the notes still hold"),
            "confirmed": gettext("Training notes confirmed against the current definition."),
        }
    page = phone_page
    sign_in(page, fac)
    _in_language(page, language)
    page.goto(f"/w/{workshop.pk}/approve/")
    expect(page.get_by_test_id("stale-notes-count")).to_be_visible()
    listed = page.get_by_test_id("stale-notes-publish")
    expect(listed).to_contain_text(t["heading"])
    expect(listed).to_contain_text(f"First contact resolution ({language.upper()})")
    expect(listed).to_contain_text("75 %")
    check_axe(page, name=f"approval with stale notes ({language}, phone)")
    _fits(page)

    listed.get_by_role("link", name=f"First contact resolution ({language.upper()})").click()
    warning = page.get_by_test_id("stale-warning")
    expect(warning).to_contain_text(t["warning"])
    expect(warning).to_contain_text("75 %")
    expect(warning).to_contain_text("80 %")
    check_axe(page, name=f"stale training notes ({language}, phone)")
    _fits(page)
    warning.get_by_role("button", name=t["confirm"]).click()
    expect(page.get_by_text(t["confirmed"])).to_be_visible()
    expect(page.get_by_test_id("stale-notes-publish")).to_have_count(0)
    expect(page.get_by_test_id("stale-notes-count")).to_have_count(0)
    check_axe(page, name=f"approval after confirming notes ({language}, phone)")
