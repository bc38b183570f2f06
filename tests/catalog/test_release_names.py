"""Issue 17 item 4: a release shows the organisation's goal and audience names in its own
language, for the KPIs it builds and for those it carries over from an earlier release in
another language, in its filters, download links and PDF covers alike."""

import contextlib
import datetime
import io

from django.urls import reverse
from pypdf import PdfReader

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.catalog import selectors, services
from kpiworkshop.catalog.models import CatalogRelease, Export, PublishState
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Proposal, ProposalKind, ProposalState
from kpiworkshop.mapping.models import Audience
from kpiworkshop.mapping.services import defaults_ensure
from kpiworkshop.reviews import services as review_services
from kpiworkshop.workshops.models import Participant, Stage
from tests.factories import ParticipantFactory

from .review_helpers import NOTES, make_release, member

ITALIAN_NOTES = {k: f"{v} (it)" for k, v in NOTES.items()}


def publish_review_in(organisation, language, capture=None):
    """An English 1.0 (names as the hand-built release has them), then a review workshop that
    keeps FCR, changes NPS, and is published in ``language``. ``capture``: pytest-django's
    ``django_capture_on_commit_callbacks`` where the test runs in a transaction."""
    release = make_release(organisation, names=("FCR", "NPS"))
    release.entries.update(
        audiences=[
            {"slug": "agents", "name": "Agents", "kind": "sees"},
            {"slug": "team_leaders", "name": "Team leaders", "kind": "accountable"},
        ],
        goals=[{"slug": "loyalty", "name": "Increase loyalty", "kind": "primary"}],
    )
    fac, reader = member(organisation, Role.FACILITATOR)
    workshop = review_services.review_workshop_start(
        reader=reader, user=fac, organisation_id=organisation.pk
    )
    facilitator = Participant.objects.get(workshop=workshop, user=fac)
    nps = Proposal.objects.get(workshop=workshop, current_revision__name="NPS")
    review_services.review_proposal_set_kind(
        actor=facilitator, proposal=nps, kind=ProposalKind.CHANGE
    )
    kpi_services.proposal_revise(
        actor=facilitator, proposal=nps, definition={"target": "50"}, change_note="Higher"
    )
    Proposal.objects.filter(workshop=workshop).update(state=ProposalState.SHORTLISTED)
    workshop.stage = Stage.APPROVE
    workshop.save(update_fields=["stage"])
    approver = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    for p in Proposal.objects.filter(workshop=workshop):
        approval_services.approval_decide(
            actor=approver, proposal=p, decision=Decision.APPROVE, reason="Agreed in review."
        )
        approval_services.training_notes_save(
            actor=facilitator, proposal=p, language=language, **ITALIAN_NOTES
        )
    with capture(execute=True) if capture else contextlib.nullcontext():
        job = services.release_publish(
            actor=facilitator,
            workshop=workshop,
            language=language,
            effective_date=datetime.date(2026, 4, 1),
        )
    job.refresh_from_db()
    assert job.state == PublishState.DONE, job.error
    return release, CatalogRelease.objects.get(organisation=organisation, minor=1), fac


def test_italian_release_names_every_goal_and_audience_in_italian(
    client, organisation, django_capture_on_commit_callbacks
):
    defaults_ensure(organisation=organisation)
    _old, new, fac = publish_review_in(organisation, "it", django_capture_on_commit_callbacks)
    assert new.language == "it"
    for entry in new.entries.all():  # kept and changed alike
        assert [a["name"] for a in entry.audiences] == ["Operatori", "Team leader"], entry.name
        assert [g["name"] for g in entry.goals] == ["Aumentare la fedeltà"], entry.name
    # New names are the release's, not changes: the kept KPI is unchanged, and the changed
    # one's links did not change.
    changed = {c["name"]: [f["field"] for f in c["fields"]] for c in new.changelog["changed"]}
    assert set(changed) == {"NPS"} and "target" in changed["NPS"]
    assert not {"goals", "audiences"} & set(changed["NPS"])
    assert new.changelog["unchanged"] == 1
    # The filters, the download links and the packs' covers use the release's names.
    facets = selectors.facets(list(new.entries.all()))
    assert dict(facets["audiences"]) == {"agents": "Operatori", "team_leaders": "Team leader"}
    assert dict(facets["goals"]) == {"loyalty": "Aumentare la fedeltà"}
    names = dict(
        Export.objects.filter(release=new, format="pdf")
        .exclude(audience="")
        .values_list("audience", "audience_name")
    )
    assert names == {"agents": "Operatori", "team_leaders": "Team leader"}
    pack = Export.objects.get(release=new, format="pdf", audience="agents")
    with pack.file.open("rb") as f:
        cover = PdfReader(io.BytesIO(f.read())).pages[0].extract_text()
    assert "Operatori" in cover and "Agents" not in cover
    client.force_login(fac)
    html = client.get(
        reverse("catalog:current", args=[organisation.slug]), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "Kit formativo per Operatori (PDF)" in html
    assert ">Operatori</option>" in html and ">Aumentare la fedeltà</option>" in html
    assert "Agents" not in html


def test_a_renamed_audience_is_snapshotted_under_its_name_in_the_release_language(
    organisation, django_capture_on_commit_callbacks
):
    defaults_ensure(organisation=organisation)
    Audience.objects.filter(organisation=organisation, key="agents").update(
        name="Front-line staff", name_it="Personale di prima linea"
    )
    _old, new, _fac = publish_review_in(organisation, "en", django_capture_on_commit_callbacks)
    names = {a["name"] for e in new.entries.all() for a in e.audiences}
    assert names == {"Front-line staff", "Team leaders"}


def test_changelog_compares_links_without_their_names():
    from kpiworkshop.catalog.versioning import changelog_compute

    def entry(audience_name, kind="sees"):
        return {
            "kpi_uid": "u1",
            "name": "FCR",
            "definition": {"unit": "%"},
            "audiences": [{"slug": "agents", "name": audience_name, "kind": kind}],
            "goals": [],
        }

    assert changelog_compute([entry("Agents")], [entry("Operatori")]).unchanged == 1
    log = changelog_compute([entry("Agents")], [entry("Operatori", kind="acts")])
    assert [f["field"] for f in log.changed[0]["fields"]] == ["audiences"]
