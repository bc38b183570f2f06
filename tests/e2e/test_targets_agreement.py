"""Issue 20, items 4 and 5, in a real browser, in English and Italian, on a phone (360 × 740)
and on the projector (1920 × 1080):

- a facilitator proposes dated targets on a KPI through the form (one line per period, in the
  reader's notation), then opens a published KPI whose values are banded against its targets:
  the targets table, each value's band in words, the chart's legend for the target steps and
  bands; nothing wider than the phone; axe finds nothing serious;
- the room's agreement view: the KPIs ranked by agreement across groups, "the room agrees on"
  and "the room is split on", reordered by division through htmx, legible on the projector.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.models import CatalogEntry
from kpiworkshop.kpis.models import Category, ProposalState
from kpiworkshop.kpis.targets import targets_validate
from kpiworkshop.reviews.models import Measurement
from kpiworkshop.voting import services as voting
from kpiworkshop.voting.models import Method, Visibility
from kpiworkshop.workshops.models import Stage
from tests.catalog.review_helpers import make_release
from tests.factories import ParticipantFactory, proposal_with_revision

from .conftest import check_axe
from .test_workshop_journey import PASSWORD

LANGUAGES = [("en-GB", "en-gb"), ("it-IT", "it")]


def _tr(text: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _phone(_new_context, locale):
    return _new_context(
        f"phone-{locale}",
        locale=locale,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()


def _projector(_new_context, locale):
    return _new_context(
        f"projector-{locale}",
        locale=locale,
        viewport={"width": 1920, "height": 1080},
        device_scale_factor=1,
    ).new_page()


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_dated_targets_proposed_on_a_phone_and_read_in_the_catalogue(
    _new_context, workshop, facilitator, organisation, locale, language
):
    proposal = proposal_with_revision(
        workshop, facilitator, name="FCR", measures="Solved first time", category=Category.CUSTOMER
    )
    page = _phone(_new_context, locale)
    _sign_in(page, facilitator.user)
    page.goto(f"/w/{workshop.pk}/proposals/{proposal.pk}/edit/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("summary", has_text=_tr("Direction, baseline and targets", language)).click()
    page.locator("select[name=direction]").select_option("higher")
    decimal = "," if language == "it" else "."
    targets = page.locator("textarea[name=targets]")
    targets.fill(f"2027; 85{decimal}5; 90; 95")  # amber below red: refused
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#id_targets")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#fs-targets .invalid-feedback").first).to_contain_text("≤")
    assert proposal.revisions.count() == 1
    _fits(page, 360)
    check_axe(page, name=f"targets-form-error-{language}")
    page.locator("textarea[name=targets]").fill(f"2027; 85{decimal}5; 95; 90\n2028-Q1; 88")
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(rf"/proposals/{proposal.pk}/$"))
    proposal.refresh_from_db()
    assert proposal.current_revision.targets[0]["value"] == "85.5"
    expect(page.locator("main")).to_contain_text(f"85{decimal}5")

    # The published KPI: its targets, and each value's band named in words.
    release = make_release(organisation, names=("First contact resolution",))
    plan = targets_validate(
        [
            {"period_kind": "quarter", "period_start": "2026-01-01", "value": "80",
             "amber_pct": "95", "red_pct": "90"},
        ],
        direction="higher",
    )  # fmt: skip
    CatalogEntry.objects.filter(release=release).update(
        definition=release.entries.get().definition | {"targets": plan, "frequency": "monthly"}
    )
    entry = release.entries.get()
    Measurement.objects.bulk_create(
        Measurement(
            organisation=organisation,
            kpi_uid=entry.kpi_uid,
            entry=entry,
            period=datetime.date(2026, m, 1),
            value=Decimal(v),
        )
        for m, v in ((1, "81"), (2, "75"), (3, "70"))
    )
    page.goto(f"/o/{organisation.slug}/catalogue/1.0/kpi/{entry.kpi_uid}/")
    expect(page.get_by_test_id("targets-table")).to_contain_text(_tr("Amber below", language))
    expect(page.locator('[data-legend="target-step"]')).to_be_visible()
    expect(page.get_by_test_id("chart-summary")).to_contain_text(_tr("red", language))
    page.locator("summary", has_text=_tr("Values as a table", language)).click()
    table = page.get_by_test_id("values-table")
    expect(table.locator(".band-green")).to_have_text(_tr("green", language))
    expect(table.locator(".band-amber")).to_have_text(_tr("amber", language))
    expect(table.locator(".band-red")).to_have_text(_tr("red", language))
    _fits(page, 360)
    check_axe(page, name=f"targets-entry-{language}")


def _room(workshop, facilitator):
    """An approval round shown to everyone: three agents and three customers agree on FCR,
    split on NPS."""
    fcr, nps, aht = (
        proposal_with_revision(
            workshop, facilitator, state=ProposalState.OPEN, name=n, measures=n,
            category=Category.CUSTOMER,
        )
        for n in ("First contact resolution", "Net Promoter Score", "Average handling time")
    )  # fmt: skip
    workshop.stage = Stage.VOTE
    workshop.save(update_fields=["stage"])
    ballot = voting.ballot_create(
        actor=facilitator, workshop=workshop, title="Round one", method=Method.APPROVAL,
        visibility=Visibility.ALWAYS,
    )  # fmt: skip
    ballot = voting.ballot_open(actor=facilitator, ballot=ballot)
    for role, yes in ((Role.AGENT, {fcr.pk, nps.pk}), (Role.CUSTOMER, {fcr.pk})):
        for i in range(3):
            voter = ParticipantFactory(workshop=workshop, role=role, guest=True)
            for p in (fcr, nps, aht):
                chosen = p.pk in yes or (p.pk == aht.pk and i == 0)
                voting.vote_cast(actor=voter, ballot=ballot, proposal_id=p.pk, value=int(chosen))
    return fcr, nps


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_where_the_room_agrees_and_splits_on_a_phone_and_the_projector(
    _new_context, workshop, facilitator, locale, language
):
    _room(workshop, facilitator)
    url = f"/w/{workshop.pk}/agreement/"
    phone = _phone(_new_context, locale)
    _sign_in(phone, facilitator.user)
    phone.goto(f"/w/{workshop.pk}/ballots/")
    phone.get_by_role("link", name=_tr("Where the room agrees and splits", language)).click()
    expect(phone).to_have_url(re.compile(rf"{url}$"))
    expect(phone.get_by_test_id("agrees")).to_contain_text("First contact resolution")
    expect(phone.get_by_test_id("splits")).to_contain_text("Net Promoter Score")
    rows = phone.get_by_test_id("agreement-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("First contact resolution")
    expect(rows.first.locator("svg.agreement-strip")).to_be_visible()
    _fits(phone, 360)
    check_axe(phone, name=f"agreement-phone-{language}")
    # Most divided first, through htmx (the address bar follows).
    phone.locator("select[name=sort]").select_option("division")
    phone.locator("#agreement-list button[type=submit]").click()
    expect(rows.first).to_contain_text("Net Promoter Score")
    expect(phone).to_have_url(re.compile(r"sort=division"))
    phone.locator("summary", has_text=_tr("The same as a table", language)).click()
    expect(phone.get_by_test_id("agreement-table")).to_be_visible()
    _fits(phone, 360)
    check_axe(phone, name=f"agreement-phone-table-{language}")

    screen = _projector(_new_context, locale)
    _sign_in(screen, facilitator.user)
    screen.goto(url + "?projector=1")
    expect(screen.locator("body")).to_have_class(re.compile("projector"))
    expect(screen.get_by_test_id("agreement-row")).to_have_count(3)
    # Legible across a room: the body text is larger than a laptop page's.
    size = screen.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.agreement-page')).fontSize)"
    )
    assert size >= 20, size
    _fits(screen, 1920)
    check_axe(screen, name=f"agreement-projector-{language}")
