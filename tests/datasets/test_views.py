import pytest
from django.urls import reverse

from kpiworkshop.datasets import services
from kpiworkshop.datasets.models import KpiDefinition
from tests.conftest import as_guest, login

from .conftest import REPEAT_RATE


def url(proposal):
    return reverse("datasets:kpi", args=[proposal.workshop_id, proposal.pk])


FORM = {
    "numerator_agg": "count",
    "numerator_filter_column": "repeat_contact_7d",
    "numerator_filter_op": "is_true",
    "denominator_agg": "count",
    "filter_column": "channel",
    "filter_op": "in",
    "filter_value": "chat, email, social",
    "time_column": "started_at",
    "grain": "month",
    "dimensions": ["channel", "handled_by"],
    "scale": "100",
}


def test_facilitator_fills_the_guided_form_and_sees_the_preview(
    client, facilitator, proposal, dataset, contacts_version
):
    login(client, facilitator)
    page = client.get(url(proposal))
    assert page.status_code == 200
    assert b'name="numerator_agg"' in page.content
    response = client.post(url(proposal), {**FORM, "dataset": dataset.pk})
    assert response.status_code == 302
    kpi = KpiDefinition.objects.get(revision=proposal.current_revision)
    assert kpi.spec["filters"] == [
        {"column": "channel", "op": "in", "value": ["chat", "email", "social"]}
    ]
    page = client.get(url(proposal))
    assert b'data-testid="latest"' in page.content
    assert page.content.count(b'data-testid="breakdown"') == 2


def test_a_bad_condition_is_shown_on_the_form_and_nothing_saved(
    client, facilitator, proposal, dataset, contacts_version
):
    login(client, facilitator)
    data = {**FORM, "dataset": dataset.pk, "where": "channel = 'x'; DROP TABLE ds"}
    response = client.post(url(proposal), data)
    assert response.status_code == 200
    assert b"one expression" in response.content
    assert not KpiDefinition.objects.exists()


@pytest.fixture
def defined(facilitator, proposal, dataset, contacts_version):
    return services.definition_set(
        actor=facilitator.user,
        revision=proposal.current_revision,
        dataset=dataset,
        spec=REPEAT_RATE,
    )


def test_a_guest_sees_the_preview_and_no_form(client, guest_customer, proposal, defined):
    as_guest(client, guest_customer)
    page = client.get(url(proposal))
    assert page.status_code == 200
    assert b'data-testid="latest"' in page.content
    assert b"numerator_agg" not in page.content
    assert client.post(url(proposal), {**FORM}).status_code == 404


def test_htmx_gets_the_preview_fragment(client, agent, proposal, defined):
    login(client, agent)
    page = client.get(url(proposal), headers={"HX-Request": "true"})
    assert page.content.lstrip().startswith(b'<section id="kpi-preview"')


def test_a_missing_column_is_flagged(
    client, facilitator, agent, proposal, dataset, contacts_version
):
    spec = {**REPEAT_RATE, "numerator": {"agg": "avg", "column": "fatigue_pulse_score"}}
    services.definition_set(
        actor=facilitator.user, revision=proposal.current_revision, dataset=dataset, spec=spec
    )
    login(client, agent)
    page = client.get(url(proposal))
    assert b'data-testid="not-computable"' in page.content
    assert b"fatigue_pulse_score" in page.content


def test_another_organisation_gets_404(client, other_org_participant, proposal, defined):
    login(client, other_org_participant)
    assert client.get(url(proposal)).status_code == 404


def test_an_agent_cannot_write_a_definition(client, agent, proposal, dataset, contacts_version):
    login(client, agent)
    assert b"numerator_agg" not in client.get(url(proposal)).content
    assert client.post(url(proposal), {**FORM, "dataset": dataset.pk}).status_code == 404
    assert not KpiDefinition.objects.exists()


def test_the_page_speaks_italian(client, agent, proposal, defined):
    login(client, agent)
    page = client.get(url(proposal), headers={"Accept-Language": "it"})
    assert b"Come si calcola" in page.content
    assert b"Anteprima sul dataset di esempio" in page.content


def summary_url(proposal):
    return reverse("datasets:kpi_summary", args=[proposal.workshop_id, proposal.pk])


def test_the_proposal_page_in_refine_loads_the_summary_lazily(client, agent, proposal):
    proposal.workshop.stage = "refine"
    proposal.workshop.save()
    login(client, agent)
    page = client.get(reverse("kpis:detail", args=[proposal.workshop_id, proposal.pk]))
    assert b'id="computed-heading"' in page.content
    assert f'hx-get="{summary_url(proposal)}"'.encode() in page.content
    assert f'href="{url(proposal)}"'.encode() in page.content


def test_the_proposal_page_in_propose_has_no_summary(client, agent, proposal):
    proposal.workshop.stage = "propose"
    proposal.workshop.save()
    login(client, agent)
    page = client.get(reverse("kpis:detail", args=[proposal.workshop_id, proposal.pk]))
    assert b'id="computed-heading"' not in page.content


def test_the_summary_shows_the_definition_latest_value_and_link(client, agent, proposal, defined):
    login(client, agent)
    page = client.get(summary_url(proposal), headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert page.content.lstrip().startswith(b'<div id="computed-summary"')
    assert b"contacts" in page.content
    assert b'data-testid="latest"' in page.content
    assert b'data-testid="summary-series"' in page.content
    assert f'href="{url(proposal)}"'.encode() in page.content


def test_the_summary_flags_a_kpi_not_computable(
    client, facilitator, agent, proposal, dataset, contacts_version
):
    spec = {**REPEAT_RATE, "numerator": {"agg": "avg", "column": "fatigue_pulse_score"}}
    services.definition_set(
        actor=facilitator.user, revision=proposal.current_revision, dataset=dataset, spec=spec
    )
    login(client, agent)
    page = client.get(summary_url(proposal))
    assert b'data-testid="not-computable"' in page.content
    assert b"fatigue_pulse_score" in page.content


def test_the_summary_invites_the_facilitator_to_define_it(client, facilitator, proposal):
    login(client, facilitator)
    page = client.get(summary_url(proposal))
    assert b"no computable definition yet" in page.content
    assert b"Define how it is computed" in page.content


def test_the_summary_is_404_for_another_organisation(
    client, other_org_participant, proposal, defined
):
    login(client, other_org_participant)
    assert client.get(summary_url(proposal)).status_code == 404


def test_the_workshop_page_links_the_facilitator_to_the_datasets(client, facilitator, agent):
    workshop = facilitator.workshop
    datasets = reverse("datasets:list", args=[workshop.pk]).encode()
    login(client, facilitator)
    assert datasets in client.get(reverse("workshops:detail", args=[workshop.pk])).content
    login(client, agent)
    assert datasets not in client.get(reverse("workshops:detail", args=[workshop.pk])).content


def test_the_preview_draws_the_last_periods_against_baseline_and_target(
    client, agent, proposal, defined
):
    revision = proposal.current_revision
    revision.baseline = "about 14% in 2025"
    revision.target = "as low as we can"
    revision.save(update_fields=["baseline", "target"])
    login(client, agent)
    page = client.get(url(proposal), headers={"HX-Request": "true"}).content
    assert page.count(b'data-testid="chart"') == 1
    assert page.count(b'class="chart-point"') == 6
    assert page.count(b"chart-baseline") == 1
    assert b"chart-target" not in page  # no number in the target's words
    assert b'<table class="visually-hidden">' in page
    summary = client.get(summary_url(proposal)).content
    assert summary.count(b'data-testid="chart"') == 1
