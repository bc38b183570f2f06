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
    check_axe(page, name="datasets-preview")
    page.goto(f"/w/{workshop.pk}/datasets/")
    expect(page.get_by_test_id("columns")).to_contain_text("handled_by")
    check_axe(page, name="datasets-list")

    phone = phone_page
    sign_in(phone, agent.user)
    phone.goto(f"/w/{workshop.pk}/proposals/{pulse.pk}/computed/")
    flag = phone.get_by_test_id("not-computable")
    expect(flag).to_contain_text("Not computable with today's data")
    expect(flag).to_contain_text("fatigue_pulse_score")
    check_axe(phone, name="datasets-not-computable")
