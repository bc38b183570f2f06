"""A KPI's "How it is computed" page in a real browser: the facilitator gives a proposal a
computable definition with the guided form and sees the preview and its breakdowns; an agent
on a phone sees another KPI flagged as not computable, with the missing column named."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from kpiworkshop.accounts.models import Role
from kpiworkshop.datasets import services, synthetic
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory

from .conftest import check_axe
from .test_workshop_journey import sign_in


@pytest.fixture
def setting(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    workshop = WorkshopFactory(stage=Stage.PROPOSE)
    facilitator = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR)
    agent = ParticipantFactory(workshop=workshop, role=Role.AGENT)
    dataset = services.dataset_create(
        actor=facilitator.user, organisation_id=workshop.organisation_id, name="contacts"
    )
    path = synthetic.generate(tmp_path / "contacts.parquet", rows=6000)
    with django_capture_on_commit_callbacks(execute=True):
        services.dataset_version_upload(
            actor=facilitator.user,
            dataset=dataset,
            upload=SimpleUploadedFile("contacts.parquet", path.read_bytes()),
        )
    proposals = [
        kpi_services.proposal_create(
            actor=agent,
            workshop=workshop,
            definition={"name": name, "measures": "As the room said.", "category": "customer"},
        )
        for name in ("First contact resolution", "Fatigue pulse")
    ]
    workshop.stage = Stage.REFINE
    workshop.save(update_fields=["stage"])
    services.definition_set(
        actor=facilitator.user,
        revision=proposals[1].current_revision,
        dataset=dataset,
        spec={
            "numerator": {"agg": "avg", "column": "fatigue_pulse_score"},
            "time_column": "started_at",
        },
    )
    return workshop, facilitator, agent, proposals


def test_guided_definition_preview_and_missing_column(
    setting, projector_page, phone_page, _new_context
):
    workshop, facilitator, agent, (fcr, pulse) = setting
    page = projector_page
    sign_in(page, facilitator.user)
    page.goto(f"/w/{workshop.pk}/proposals/{fcr.pk}/computed/")
    expect(page.get_by_role("heading", name="How it is computed")).to_be_visible()
    check_axe(page, name="datasets-definition-form")
    page.get_by_label("Dataset to read").select_option(label="contacts")
    page.get_by_label("Numerator: count").select_option("count")
    page.get_by_label("Numerator only where").select_option("resolved_first_contact")
    page.locator("#id_numerator_filter_op").select_option("is_true")
    page.get_by_label("Denominator: count").select_option("count")
    page.get_by_label("Time column").select_option("started_at")
    page.get_by_label("channel", exact=True).check()
    page.get_by_label("handled_by", exact=True).check()
    page.get_by_label("Shown as").select_option("100")
    page.get_by_role("button", name="Save the definition").click()
    expect(page.get_by_test_id("latest")).to_be_visible()
    expect(page.get_by_test_id("breakdown")).to_have_count(2)
    expect(page.get_by_role("table").filter(has_text="By channel")).to_contain_text("voice")
    expect(page.get_by_role("img", name="Line chart of")).to_be_visible()
    check_axe(page, name="datasets-preview")
    page.goto(f"/w/{workshop.pk}/datasets/")
    expect(page.get_by_test_id("columns")).to_contain_text("handled_by")
    toggle = page.get_by_role("button", name=f"Data steward: {agent.user}")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()  # htmx swaps the member's row in place
    expect(page.get_by_role("button", name=f"Data steward: {agent.user}")).to_have_attribute(
        "aria-pressed", "true"
    )
    check_axe(page, name="datasets-list")

    phone = phone_page
    sign_in(phone, agent.user)
    phone.goto(f"/w/{workshop.pk}/proposals/{pulse.pk}/computed/")
    flag = phone.get_by_test_id("not-computable")
    expect(flag).to_contain_text("Not computable with today's data")
    expect(flag).to_contain_text("fatigue_pulse_score")
    check_axe(phone, name="datasets-not-computable")


@pytest.mark.parametrize("language", ["en", "it"])
def test_refine_page_shows_how_it_is_computed_and_leadership_sees_the_verdict(
    settings, tmp_path, django_capture_on_commit_callbacks, _new_context, language
):
    """Issue 19 in the journey: a facilitator opens a KPI in Refine and finds "How it is
    computed" with the latest value and the last periods (loaded into the page), follows its
    link to the full page; once a data steward has given a verdict, leadership sees it beside
    the KPI on the approval board."""
    import re

    from django.utils import translation
    from django.utils.translation import gettext

    from kpiworkshop.datasets.models import Verdict
    from kpiworkshop.kpis.models import Proposal, ProposalState
    from tests.factories import MembershipFactory

    from .test_catalog import _in_language

    settings.MEDIA_ROOT = str(tmp_path / "media")
    workshop = WorkshopFactory(stage=Stage.PROPOSE)
    organisation = workshop.organisation
    fac = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    lead = MembershipFactory(organisation=organisation, role=Role.LEADERSHIP).user
    ParticipantFactory(workshop=workshop, user=fac, role=Role.FACILITATOR)
    ParticipantFactory(workshop=workshop, user=lead, role=Role.LEADERSHIP)
    author = ParticipantFactory(workshop=workshop, role=Role.AGENT)
    dataset = services.dataset_create(actor=fac, organisation_id=organisation.pk, name="contacts")
    path = synthetic.generate(tmp_path / "contacts.parquet", rows=6000)
    with django_capture_on_commit_callbacks(execute=True):
        services.dataset_version_upload(
            actor=fac, dataset=dataset, upload=SimpleUploadedFile("c.parquet", path.read_bytes())
        )
    kpi = kpi_services.proposal_create(
        actor=author,
        workshop=workshop,
        definition={"name": "Repeat contacts", "measures": "Come back.", "category": "customer"},
    )
    workshop.stage = Stage.REFINE
    workshop.save(update_fields=["stage"])
    services.definition_set(
        actor=fac,
        revision=kpi.current_revision,
        dataset=dataset,
        spec={
            "numerator": {
                "agg": "count",
                "filters": [{"column": "repeat_contact_7d", "op": "is_true"}],
            },
            "denominator": {"agg": "count"},
            "time_column": "started_at",
            "dimensions": ["channel"],
            "scale": 100,
        },
    )
    with translation.override(language):
        t = {
            "computed": gettext("How it is computed"),
            "link": gettext("Preview, breakdowns and feasibility"),
            "missing": str(Verdict.PARTIAL.label),
        }

    phone = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
    page = _new_context(f"facilitator-{language}", **phone).new_page()
    sign_in(page, fac)
    _in_language(page, language)
    page.goto(f"/w/{workshop.pk}/proposals/{kpi.pk}/")
    section = page.locator("#computed")
    expect(section.get_by_role("heading", name=t["computed"])).to_be_visible()
    expect(section.get_by_test_id("latest")).to_be_visible()
    expect(section.get_by_test_id("summary-series")).to_be_visible()
    expect(section).to_contain_text("contacts")
    check_axe(page, name=f"proposal how it is computed ({language})")
    section.get_by_role("link", name=t["link"]).click()
    expect(page).to_have_url(re.compile(rf"/proposals/{kpi.pk}/computed/$"))
    expect(page.get_by_role("heading", name=t["computed"], level=1)).to_be_visible()
    expect(page.get_by_test_id("breakdown")).to_have_count(1)

    services.feasibility_record(
        actor=fac, proposal=kpi, verdict=Verdict.PARTIAL, note="Repeat flag only since March."
    )
    workshop.stage = Stage.APPROVE
    workshop.save(update_fields=["stage"])
    Proposal.objects.filter(pk=kpi.pk).update(state=ProposalState.SHORTLISTED)

    board = _new_context(f"leader-{language}", **phone).new_page()
    sign_in(board, lead)
    _in_language(board, language)
    board.goto(f"/w/{workshop.pk}/approve/")
    verdict = board.locator(f"#kpi-{kpi.pk}").get_by_test_id("feasibility")
    expect(verdict).to_contain_text(t["missing"])
    expect(verdict).to_contain_text("Repeat flag only since March.")
    check_axe(board, name=f"approval board feasibility ({language})")


def test_start_from_the_library_definition(setting, projector_page):
    """A KPI proposed from the library: one keypress fills the guided form in with the library's
    definition (htmx), the facilitator saves it and sees the preview."""
    from kpiworkshop.kpis.models import LibraryKPI

    workshop, facilitator, agent, _ = setting
    kpi_services.library_load()
    lib = LibraryKPI.objects.get(slug="service-level")
    workshop.stage = Stage.PROPOSE
    workshop.save(update_fields=["stage"])
    proposal = kpi_services.proposal_create(
        actor=agent,
        workshop=workshop,
        library_kpi=lib,
        definition=kpi_services.library_definition(library_kpi=lib, language="en"),
    )
    workshop.stage = Stage.REFINE
    workshop.save(update_fields=["stage"])
    page = projector_page
    sign_in(page, facilitator.user)
    page.goto(f"/w/{workshop.pk}/proposals/{proposal.pk}/computed/")
    start = page.get_by_role("link", name="Start from the library's definition")
    start.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("prefilled")).to_be_visible()
    expect(page.locator("#id_numerator_filter2_column")).to_have_value("wait_time_s")
    expect(page.locator("#id_filter_value")).to_have_value("voice, chat")
    check_axe(page, name="datasets-library-prefilled")
    page.get_by_role("button", name="Save the definition").click()
    expect(page.get_by_test_id("latest")).to_be_visible()
    expect(page.get_by_test_id("definition")).to_contain_text("wait_time_s")
