"""Issue 17 (items 3, 23, 24, 25) in a real browser: a facilitator opens a monthly KPI of the
catalogue on a phone (360 × 740), in English and in Italian, opens "Answers per audience" and
"Values as a table": the page does not get wider than the screen, the period input is a month
picker, the chart is drawn with the legend of what it draws, the feedback answers are proper
touch targets, and axe finds nothing serious."""

import datetime
import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.reviews.models import Feedback, Measurement
from tests.catalog.review_helpers import make_release
from tests.factories import MembershipFactory

from .conftest import check_axe
from .test_workshop_journey import PASSWORD


def _sign_in(page, user) -> None:
    """The login form by its field names: its labels are in the browser's language."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _tr(text: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.parametrize(("locale", "language"), [("en-GB", "en-gb"), ("it-IT", "it")])
def test_monthly_kpi_page_fits_a_phone(_new_context, organisation, locale, language):
    release = make_release(organisation, names=("First contact resolution",))
    entry = release.entries.get()
    entry.definition = entry.definition | {"frequency": "monthly"}
    entry.save(update_fields=["definition"])
    Measurement.objects.bulk_create(
        [
            Measurement(
                organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
                period=datetime.date(2026, m, 1), value=v, breakdown=b,
            )
            for m, v, b in ((6, 68, ""), (7, 70, ""), (8, 75, ""), (9, 79.5, ""),
                            (9, 81, "chat with a person"), (10, 70, ""), (11, 80.25, ""))
        ]
    )  # fmt: skip
    for i, (role, answer) in enumerate(
        [("agent", "helps"), ("agent", "wrong"), ("supervisor", "unclear")] * 2
    ):
        Feedback.objects.create(entry=entry, person=f"u:x{i}", role=role, answer=answer)
    facilitator = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    page = _new_context(
        f"phone-{locale}",
        locale=locale,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()
    _sign_in(page, facilitator)
    page.goto(f"/o/{organisation.slug}/catalogue/1.0/kpi/{entry.kpi_uid}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("summary", has_text=_tr("Answers per audience", language)).click()
    page.locator("summary", has_text=_tr("Values as a table", language)).click()
    expect(page.get_by_test_id("values-table")).to_be_visible()
    expect(page.get_by_test_id("feedback-table-region")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The tables scroll inside their own region, which a keyboard can reach.
    for region in ("values-table-region", "feedback-table-region"):
        box = page.get_by_test_id(region)
        expect(box).to_have_attribute("tabindex", "0")
        expect(box).to_have_attribute("role", "region")
    table = page.get_by_test_id("values-table")
    month = _tr("November", language)
    expect(table).to_contain_text(f"{month} 2026")
    expect(table).not_to_contain_text("11/01/2026")
    expect(table).not_to_contain_text("01/11/2026")
    # The period input fits the monthly KPI.
    period = page.locator("input[name=period]")
    expect(period).to_have_attribute("type", "month")
    period.fill("2026-12")
    assert period.input_value() == "2026-12"
    # The chart: drawn, with its dashed baseline and shaded band, labels inside the drawing.
    chart = page.locator("svg.kpi-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("line.chart-baseline")).to_have_attribute("stroke-dasharray", "4 3")
    expect(chart.locator("rect.chart-band")).to_have_count(1)
    legend = page.get_by_test_id("chart-legend")
    expect(legend.locator("li[data-legend=baseline]")).to_be_visible()
    expect(legend.locator("li[data-legend=band]")).to_be_visible()
    svg_box = chart.bounding_box()
    for label in chart.locator("text.chart-axis").all():
        box = label.bounding_box()
        assert svg_box["x"] - 0.5 <= box["x"] and box["x"] + box["width"] <= (
            svg_box["x"] + svg_box["width"] + 0.5
        )
    # The feedback answers: whole rows at least 44 px high, the label a tap target.
    choices = page.get_by_test_id("feedback-choices").locator(".choice")
    expect(choices).to_have_count(3)
    for i in range(3):
        box = choices.nth(i).locator("label").bounding_box()
        assert box["height"] >= 44 - 0.5 or choices.nth(i).bounding_box()["height"] >= 44
        assert box["width"] >= 200
    choices.nth(2).locator("label").tap()
    expect(choices.nth(2).locator("input")).to_be_checked()
    check_axe(page, name=f"catalogue-entry-phone-{locale}")
