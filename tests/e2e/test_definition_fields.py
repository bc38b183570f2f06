"""Issue 20, item 3, in a real browser on a 360 px phone, in English and in Italian: a manager
proposes a KPI; the proposal form stays short (the new fields wait folded in "More about this
KPI"); they open the group and say what the KPI is for and not for, and whether it leads or
lags; the proposal page shows both in its callout; once the KPI is approved and published,
the catalogue entry shows them too. axe finds nothing serious on any page."""

import re

import pytest
from django.db import transaction
from django.utils import translation
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.catalog import services as catalog_services
from kpiworkshop.catalog.models import CatalogRelease
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Stage, Workshop
from tests.factories import MembershipFactory, ParticipantFactory, WorkshopFactory

from .conftest import check_axe
from .test_catalog_entry import _sign_in

NOTES = {
    "how_to_read": "Share of requests solved the first time.",
    "when_it_moves": "Look at the repeat contacts by reason.",
    "pitfalls": "Closing tickets early inflates it.",
    "worked_example": "80 of 100: 80%.",
}
TEXTS = {
    "en": {
        "name": "First contact resolution",
        "measures": "Share of requests solved in the first contact.",
        "use": "Team reviews and process fixes.",
        "not": "Not for individual bonuses.",
    },
    "it": {
        "name": "Risoluzione al primo contatto",
        "measures": "Quota di richieste risolte al primo contatto.",
        "use": "Revisioni di team e correzioni dei processi.",
        "not": "Non per premi individuali.",
    },
}


def _tr(text: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize(("locale", "language"), [("en-GB", "en"), ("it-IT", "it")])
def test_a_kpi_proposed_on_a_phone_shows_its_use_and_non_use_up_to_the_catalogue(
    _new_context, organisation, settings, locale, language
):
    # Publishing runs in this thread (not the outbox's background thread), so the release is
    # there when the phone opens it.
    settings.KPIW_OUTBOX_THREADS = False
    texts = TEXTS[language]
    workshop = WorkshopFactory(organisation=organisation, stage=Stage.PROPOSE)
    user = MembershipFactory(organisation=organisation, role=Role.MANAGER).user
    ParticipantFactory(workshop=workshop, user=user, role=Role.MANAGER, display_name="Marta")
    page = _new_context(
        f"phone-{locale}",
        locale=locale,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()
    _sign_in(page, user)

    page.goto(f"/w/{workshop.pk}/proposals/new/")
    more = page.locator("#fs-more")
    expect(more.locator("summary")).to_have_text(_tr("More about this KPI", language))
    # Short on a phone: the new fields are folded away until asked for.
    expect(more).not_to_have_attribute("open", re.compile(".*"))
    intended = page.get_by_label(_tr("intended use", language).capitalize(), exact=True)
    expect(intended).to_be_hidden()
    page.locator("#id_name").fill(texts["name"])
    page.locator("#id_measures").fill(texts["measures"])
    page.locator("#id_category").select_option("customer")
    more.locator("summary").click()
    expect(intended).to_be_visible()
    intended.fill(texts["use"])
    page.get_by_label(_tr("not to be used for", language).capitalize(), exact=True).fill(
        texts["not"]
    )
    page.get_by_label(_tr("Leading or lagging", language), exact=True).select_option("leading")
    _fits(page)
    check_axe(page, name=f"propose-more-about-{language}")
    page.get_by_role("button", name=_tr("Submit proposal", language)).click()

    callout = page.get_by_test_id("use-callout")
    expect(callout).to_contain_text(_tr("What this KPI is for, and not for", language))
    expect(callout.get_by_test_id("intended-use")).to_have_text(texts["use"])
    expect(callout.get_by_test_id("not-used-for")).to_have_text(texts["not"])
    _fits(page)
    check_axe(page, name=f"proposal-use-callout-{language}")

    # Leadership approves it and the facilitator publishes (their own journeys are tested in
    # test_catalog.py): what was proposed on the phone reaches the catalogue.
    proposal = Proposal.objects.get()
    assert proposal.current_revision.lead_lag == "leading"
    Proposal.objects.filter(pk=proposal.pk).update(state=ProposalState.SHORTLISTED)
    Workshop.objects.filter(pk=workshop.pk).update(stage=Stage.APPROVE)
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    leader = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    proposal.refresh_from_db()
    with transaction.atomic():
        approval_services.approval_decide(
            actor=leader, proposal=proposal, decision=Decision.APPROVE, reason="Clear."
        )
        approval_services.training_notes_save(
            actor=facilitator, proposal=proposal, language=language, **NOTES
        )
        catalog_services.release_publish(
            actor=facilitator, workshop=Workshop.objects.get(pk=workshop.pk), language=language
        )
    release = CatalogRelease.objects.get()
    entry = release.entries.get()

    page.goto(f"/o/{organisation.slug}/catalogue/{release.version}/kpi/{entry.kpi_uid}/")
    callout = page.get_by_test_id("use-callout")
    expect(callout).to_contain_text(_tr("What this KPI is for, and not for", language))
    expect(callout.get_by_test_id("intended-use")).to_have_text(texts["use"])
    expect(callout.get_by_test_id("not-used-for")).to_have_text(texts["not"])
    expect(page.locator("main")).to_contain_text(_tr("Leading", language))
    _fits(page)
    check_axe(page, name=f"catalogue-entry-use-callout-{language}")
