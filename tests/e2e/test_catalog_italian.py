"""Issue 17 item 4 in a browser: an Italian release, whose KPIs were carried over from an
English one, read on a 360 px phone in Italian. The audience and goal filters, the download
links and the cards name the organisation's audiences and goals in Italian."""

import re

from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.mapping.services import defaults_ensure
from tests.catalog.test_release_names import publish_review_in
from tests.factories import PASSWORD, MembershipFactory

from .conftest import check_axe


def test_italian_release_shows_italian_names_on_a_phone(
    organisation, _new_context, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The releases are built here, in the test's thread, not in the embedded background thread.
    settings.KPIW_OUTBOX_THREADS = False
    defaults_ensure(organisation=organisation)
    publish_review_in(organisation, "it")
    agent = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    page = _new_context(
        "phone-it",
        locale="it-IT",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    page.locator("#id_username").fill(agent.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    page.goto(f"/o/{organisation.slug}/catalogue/")
    check_axe(page, name="Italian release (phone)")
    audience = page.get_by_label("Destinatari", exact=True)
    expect(audience.locator("option")).to_have_text(["Tutti", "Operatori", "Team leader"])
    goal = page.get_by_label("Obiettivo", exact=True)
    expect(goal.locator("option")).to_have_text(["Tutti", "Aumentare la fedeltà"])
    results = page.locator("#catalogue-results")
    expect(results).to_contain_text("Operatori, Team leader")
    expect(results).not_to_contain_text("Agents")
    page.get_by_text("Scarica", exact=True).click()
    exports = page.get_by_test_id("exports")
    expect(exports.get_by_role("link", name="Kit formativo per Operatori (PDF)")).to_be_visible()
    expect(exports.get_by_role("link", name="Kit formativo per Team leader (PDF)")).to_be_visible()
    expect(exports).not_to_contain_text("Agents")
    check_axe(page, name="Italian release, downloads open (phone)")
    audience.select_option(label="Operatori")
    expect(results).to_contain_text("2 KPI su 2")
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
