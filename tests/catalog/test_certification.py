"""Each catalogue entry carries its certification (issue 20): the release it was approved in and
who approved it when, on the entry page and in the JSON and CSV exports; a KPI carried over
unchanged keeps naming the release it was approved in."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import translation

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Approval, Decision
from kpiworkshop.catalog.certification import certification_of, certification_text
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease, Export
from kpiworkshop.kpis.models import Proposal, ProposalKind
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory

from .conftest import NOTES, approve_all, make_proposal, publish


@pytest.fixture
def released(approve_workshop, facilitator, agent, approvers, django_capture_on_commit_callbacks):
    fcr = make_proposal(approve_workshop, agent, "FCR")
    approve_all([fcr], approvers[0], facilitator)
    Approval.objects.filter(proposal=fcr).update(created_at="2026-03-05T10:00:00+00:00")
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    return CatalogRelease.objects.get()


def _read(export):
    with export.file.open("rb") as f:
        return f.read()


def test_an_entry_names_the_release_and_its_approvers(released):
    entry = released.entries.get()
    cert = certification_of(entry, release_version=released.version)
    assert cert == {
        "release": "1.0",
        "approvers": [{"name": "Lia", "decision": "approve", "at": "2026-03-05"}],
    }
    assert certification_text(cert) == "Approved in release 1.0 by Lia (March 5, 2026)"
    with translation.override("it"):
        assert certification_text(cert) == "Approvato nella versione 1.0 da Lia (5 marzo 2026)"


def test_entry_page_shows_the_certification(client, released, organisation, facilitator):
    entry = released.entries.get()
    client.force_login(facilitator.user)
    url = reverse("catalog:entry", args=[organisation.slug, released.version, entry.kpi_uid])
    page = client.get(url).content.decode()
    assert 'data-testid="certification"' in page
    assert "Approved in release 1.0 by Lia (March 5, 2026)" in page


def test_json_and_csv_exports_carry_the_certification(released):
    doc = json.loads(_read(Export.objects.get(release=released, format="json")))
    assert doc["entries"][0]["certification"] == {
        "release": "1.0",
        "approvers": [{"name": "Lia", "decision": "approve", "at": "2026-03-05"}],
    }
    data = _read(Export.objects.get(release=released, format="csv")).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(data)))
    assert row["certification"] == "Approved in release 1.0 by Lia (March 5, 2026)"


def test_a_kpi_carried_over_keeps_the_release_it_was_approved_in(
    released, organisation, django_capture_on_commit_callbacks
):
    entry = released.entries.get()
    review = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    fac = ParticipantFactory(workshop=review, role=Role.FACILITATOR)
    boss = ParticipantFactory(workshop=review, role=Role.LEADERSHIP, display_name="Ugo")
    new = make_proposal(review, fac, "NPS")
    keep = make_proposal(review, fac, "FCR")
    Proposal.objects.filter(pk=keep.pk).update(kind=ProposalKind.KEEP, catalog_entry_id=entry.pk)
    for p in (new, keep):
        approval_services.approval_decide(
            actor=boss, proposal=p, decision=Decision.APPROVE, reason="ok"
        )
    for p in (new, keep):
        approval_services.training_notes_save(actor=fac, proposal=p, language="en", **NOTES)
    with django_capture_on_commit_callbacks(execute=True):
        publish(review, fac)
    second = CatalogRelease.objects.exclude(pk=released.pk).get()
    by_name = {e.name: e for e in CatalogEntry.objects.filter(release=second)}
    kept = certification_of(by_name["FCR"], release_version=second.version)
    fresh = certification_of(by_name["NPS"], release_version=second.version)
    assert kept["release"] == "1.0" and kept["approvers"][0]["name"] == "Lia"
    assert fresh["release"] == second.version and fresh["approvers"][0]["name"] == "Ugo"


def test_an_entry_without_approving_decisions_has_no_certification(released):
    entry = released.entries.get()
    entry.decisions = [d | {"decision": "reject"} for d in entry.decisions]
    assert certification_of(entry, release_version="1.0") is None
    assert certification_text(None) == ""


def test_markdown_export_carries_the_certification(released):
    md = _read(Export.objects.get(release=released, format="md")).decode()
    assert "**Certified:** Approved in release 1.0 by Lia (March 5, 2026)" in md


def test_markdown_export_in_italian_words_the_certification_in_italian(released):
    from kpiworkshop.catalog.exports.render import export_render

    released.language = "it"
    released.save(update_fields=["language"])
    md = export_render(release=released, fmt="md").decode()
    assert "**Certificato:** Approvato nella versione 1.0 da Lia (5 marzo 2026)" in md


def test_markdown_export_without_approving_decisions_has_no_certification(released):
    from kpiworkshop.catalog.exports.render import export_render

    CatalogEntry.objects.filter(release=released).update(decisions=[])
    md = export_render(release=released, fmt="md").decode()
    assert "Certified" not in md and "Approved in release" not in md
