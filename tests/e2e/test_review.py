"""The catalogue in use (issue 10) in a real browser: an agent on a phone answers the feedback
question on a KPI; the facilitator sees the review due on the home page, starts a review
workshop from the catalogue and sees the KPIs with their feedback. Every page through axe."""

import datetime

from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.reviews.models import EntryReview, Feedback, Measurement
from tests.catalog.review_helpers import make_release
from tests.factories import MembershipFactory

from .conftest import check_axe
from .test_workshop_journey import sign_in


def test_agent_answers_feedback_on_a_phone(organisation, phone_page):
    release = make_release(organisation, names=("First contact resolution",))
    entry = release.entries.get()
    Measurement.objects.bulk_create(
        [
            Measurement(
                organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
                period=datetime.date(2026, m, 1), value=v,
            )
            for m, v in ((1, 68), (2, 72), (3, 75))
        ]
    )  # fmt: skip
    agent = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    page = phone_page
    sign_in(page, agent)
    page.goto(f"/o/{organisation.slug}/catalogue/1.0/kpi/{entry.kpi_uid}/")
    expect(page.get_by_role("heading", name="Progress from the baseline")).to_be_visible()
    expect(page.locator("svg.kpi-chart")).to_be_visible()
    check_axe(page, name="catalogue-entry-feedback")
    page.get_by_label("It pushes the wrong behaviour").check()
    page.get_by_label("Comment (optional)").fill("We rush customers <b>off</b> the phone.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_test_id("feedback-mine")).to_contain_text("It pushes the wrong behaviour")
    expect(page.get_by_test_id("feedback-counts")).to_contain_text("1 answer")
    # Changing the answer keeps one.
    page.get_by_label("It helps").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_test_id("feedback-mine")).to_contain_text("It helps")
    check_axe(page, name="catalogue-entry-feedback-answered")
    assert Feedback.objects.get(entry=entry).answer == "helps"


def test_facilitator_starts_a_review_workshop_and_sees_feedback(organisation, projector_page):
    release = make_release(organisation, names=("First contact resolution", "Chatbot escalation"))
    entry = release.entries.get(name="Chatbot escalation")
    EntryReview.objects.create(
        entry=entry, next_review=datetime.date.today() + datetime.timedelta(days=5)
    )
    for i in range(3):
        Feedback.objects.create(entry=entry, person=f"u:{i}", role="agent", answer="wrong")
    facilitator = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    page = projector_page
    sign_in(page, facilitator)
    banner = page.get_by_test_id("review-banner")
    expect(banner).to_contain_text("Catalogue review due in 5 days")
    expect(banner).to_contain_text("1 KPI flagged")
    check_axe(page, name="home-review-banner")
    banner.get_by_role("link", name="See the reviews").click()
    expect(page.get_by_role("heading", name="Catalogue reviews")).to_be_visible()
    expect(page.get_by_test_id("flagged")).to_contain_text("Chatbot escalation")
    check_axe(page, name="reviews")
    page.get_by_role("button", name="Start a review workshop").click()
    expect(page.get_by_role("heading", name="The catalogue under review")).to_be_visible()
    rows = page.get_by_test_id("review-rows")
    expect(rows).to_contain_text("First contact resolution")
    expect(rows.locator("li", has_text="Chatbot escalation")).to_contain_text(
        "It pushes the wrong behaviour: 3"
    )
    check_axe(page, name="review-board")


def test_a_value_sent_back_with_its_error_is_shown_and_the_blank_form_then_saves(
    organisation, phone_page
):
    """The value form comes blank from the shared fragment (its CSRF token filled per
    request); a value the server refuses comes back as a 422 that htmx swaps in, so the
    person reads what to fix; the corrected value then saves."""
    release = make_release(organisation, names=("First contact resolution",))
    entry = release.entries.get()
    Measurement.objects.create(
        organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
        period=datetime.date(2026, 1, 1), value=68,
    )  # fmt: skip
    facilitator = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    page = phone_page
    sign_in(page, facilitator)
    page.goto(f"/o/{organisation.slug}/catalogue/1.0/kpi/{entry.kpi_uid}/")
    values = page.locator("#values")
    values.locator("input[name=period]").fill("2026-01-01")
    values.get_by_role("textbox", name="Value", exact=True).fill("70")
    values.get_by_role("button", name="Save the value").click()
    expect(values.locator(".invalid-feedback")).to_contain_text("There is already a value")
    check_axe(page, name="catalogue-entry-value-error")
    values.locator("input[name=period]").fill("2026-02-01")
    values.get_by_role("button", name="Save the value").click()
    expect(values.locator(".invalid-feedback")).to_have_count(0)
    assert Measurement.objects.filter(kpi_uid=entry.kpi_uid).count() == 2
