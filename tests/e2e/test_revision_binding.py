"""Issue 20 in a browser, in English and Italian, on a 360 px phone: a vote made before an edit
shows as on an earlier version and is kept in one tap (reached with the keyboard), with what
changed in a disclosure; an approval given before an edit is void, and the approver reads the
changes and decides again. Every page goes through ``check_axe``."""

import re

import pytest
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Category, ProposalState
from kpiworkshop.mapping import services as mapping_services
from kpiworkshop.voting import services as voting_services
from kpiworkshop.voting.models import Method, Vote
from kpiworkshop.workshops.models import Stage
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    ParticipantFactory,
    WorkshopFactory,
    proposal_with_revision,
)

from .conftest import check_axe

WORDS = {
    "en": {"kept": "Your vote is kept for the current version.", "approved": "Approved"},
    "it": {"kept": "Il tuo voto è confermato per la versione attuale.", "approved": "Approvata"},
}


def _phone(_new_context, language):
    return _new_context(
        f"phone-{language}",
        locale="it-IT" if language == "it" else "en-US",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()


def _sign_in(page, user, language):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(f"^{language}"))
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def _stage(workshop, stage):
    workshop.stage = stage
    workshop.save(update_fields=["stage"])


def _person(organisation, workshop, role, name):
    user = MembershipFactory(organisation=organisation, role=role).user
    return ParticipantFactory(workshop=workshop, user=user, role=role, display_name=name)


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_vote_made_before_an_edit_is_kept_in_one_tap(organisation, _new_context, language):
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.VOTE)
    facilitator = _person(organisation, workshop, Role.FACILITATOR, "Fran")
    voter = _person(organisation, workshop, Role.AGENT, "Gina")
    fcr = proposal_with_revision(
        workshop,
        facilitator,
        name="First contact resolution",
        measures="Contacts solved at the first touch",
        category=Category.CUSTOMER,
        target="75 %",
    )
    ballot = voting_services.ballot_create(
        actor=facilitator, workshop=workshop, title="Yes or no", method=Method.APPROVAL
    )
    ballot = voting_services.ballot_open(actor=facilitator, ballot=ballot)
    voting_services.vote_cast(actor=voter, ballot=ballot, proposal_id=fcr.pk, value=1)
    # The facilitator goes back to refine, raises the target, and reopens the vote stage.
    _stage(workshop, Stage.REFINE)
    fcr.refresh_from_db()
    kpi_services.proposal_revise(
        actor=facilitator, proposal=fcr, definition={"target": "80 %"}, change_note="Higher."
    )
    _stage(workshop, Stage.VOTE)

    page = _phone(_new_context, language)
    _sign_in(page, voter.user, language)
    page.goto(f"/w/{workshop.pk}/ballots/{ballot.pk}/")
    changed = page.get_by_test_id("changed-since-vote")
    expect(changed).to_be_visible()
    expect(changed).to_contain_text("First contact resolution")
    changed.locator("summary").click()
    expect(changed.locator("ins")).to_contain_text("80")
    check_axe(page, name=f"ballot-changed-since-vote-{language}")

    keep = page.get_by_test_id("keep-vote")
    for _ in range(60):
        page.keyboard.press("Tab")
        if keep.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("could not reach the keep button with Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("vote-kept")).to_have_text(WORDS[language]["kept"])
    expect(page.get_by_test_id("changed-since-vote")).to_have_count(0)
    check_axe(page, name=f"ballot-vote-kept-{language}")
    fcr.refresh_from_db()
    vote = Vote.objects.get(ballot=ballot, participant=voter)
    assert (vote.value, vote.revision_id) == (1, fcr.current_revision_id)


@pytest.mark.parametrize("language", ["en", "it"])
def test_an_approval_given_before_an_edit_is_void_and_decided_again(
    organisation, _new_context, language
):
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    facilitator = _person(organisation, workshop, Role.FACILITATOR, "Fran")
    approver = _person(organisation, workshop, Role.LEADERSHIP, "Lia")
    fcr = proposal_with_revision(
        workshop,
        facilitator,
        state=ProposalState.SHORTLISTED,
        name="First contact resolution",
        measures="Contacts solved at the first touch",
        category=Category.CUSTOMER,
    )
    approval_services.approval_decide(
        actor=approver, proposal=fcr, decision=Decision.APPROVE, reason="Clear."
    )
    # Back to Map: the KPI gets its counter-metric (a new revision); then Approve again.
    _stage(workshop, Stage.MAP)
    fcr.refresh_from_db()
    mapping_services.counter_metric_set(actor=facilitator, proposal=fcr, text="Repeat contacts")
    _stage(workshop, Stage.APPROVE)

    page = _phone(_new_context, language)
    _sign_in(page, approver.user, language)
    page.goto(f"/w/{workshop.pk}/approve/")
    row = page.locator(f"#kpi-{fcr.pk}")
    expect(row.get_by_test_id("decision-void")).to_be_visible()
    changes = row.get_by_test_id("changes-since")
    expect(changes.locator("ins")).to_contain_text("Repeat contacts")
    check_axe(page, name=f"approval-void-{language}")

    row.locator(f"#d-{fcr.pk}-approve").check()
    row.locator(f"#r-{fcr.pk}").fill("Still clear, with its counter-metric.")
    row.locator("form button[type=submit]").click()
    expect(page.locator(f"#kpi-{fcr.pk}").get_by_test_id("state")).to_have_text(
        WORDS[language]["approved"]
    )
    expect(page.locator(f"#kpi-{fcr.pk}").get_by_test_id("changes-since")).to_have_count(0)
    check_axe(page, name=f"approval-decided-again-{language}")
    fcr.refresh_from_db()
    assert fcr.state == ProposalState.APPROVED
    assert fcr.approvals.get(superseded_at__isnull=True).revision_id == fcr.current_revision_id
