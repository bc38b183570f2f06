import datetime

import pytest
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.catalog import services
from kpiworkshop.catalog.models import CatalogRelease, Export
from kpiworkshop.datasets.models import FeasibilityReview
from kpiworkshop.kpis.models import Proposal, ProposalState
from tests.conftest import as_guest, login
from tests.factories import MembershipFactory, ParticipantFactory

from .conftest import approve_all, make_proposal, publish


@pytest.fixture
def release(
    approve_workshop, facilitator, shortlist, approvers, django_capture_on_commit_callbacks
):
    Proposal.objects.filter(pk=shortlist[0].pk).update(internal_fields=["baseline"])
    rev = shortlist[0].current_revision
    rev.baseline = "SECRET-BASELINE-71"
    rev.save()
    approve_all(shortlist[:2], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    return CatalogRelease.objects.get()


def _url(release, name="catalog:current", *args):
    return reverse(name, args=[release.organisation.slug, *args])


def test_member_reads_catalogue_release_and_entry(client, release, agent):
    login(client, agent)
    page = client.get(_url(release)).content.decode()
    assert "FCR" in page and "NPS" in page and "AHT" not in page
    entry = release.entries.get(name="FCR")
    detail = client.get(_url(release, "catalog:entry", "1.0", entry.kpi_uid))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Closing tickets early inflates it." in text  # training notes
    assert "Clear and useful." in text  # the approver's reason
    assert "SECRET-BASELINE-71" in text  # an agent sees internal fields
    assert client.get(_url(release, "catalog:releases")).status_code == 200


def test_customer_guest_reads_without_internal_fields(client, release, approve_workshop):
    guest = ParticipantFactory(workshop=approve_workshop, role=Role.CUSTOMER, guest=True)
    as_guest(client, guest)
    entry = release.entries.get(name="FCR")
    response = client.get(_url(release, "catalog:entry", "1.0", entry.kpi_uid))
    assert response.status_code == 200
    assert "SECRET-BASELINE-71" not in response.content.decode()
    for export in Export.objects.filter(release=release).exclude(format="pdf"):
        body = b"".join(client.get(_url(release, "catalog:export", export.token)).streaming_content)
        assert b"SECRET-BASELINE-71" not in body


def test_outsiders_get_404_everywhere(client, release, other_org_participant):
    entry = release.entries.first()
    export = Export.objects.filter(release=release).first()
    urls = [
        _url(release),
        _url(release, "catalog:releases"),
        _url(release, "catalog:release", "1.0"),
        _url(release, "catalog:entry", "1.0", entry.kpi_uid),
        _url(release, "catalog:diff"),
        _url(release, "catalog:export", export.token),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url  # anonymous
    login(client, other_org_participant)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_export_of_another_organisation_is_404_even_with_its_token(client, release):
    export = Export.objects.filter(release=release).first()
    stranger = MembershipFactory(role=Role.AGENT)
    client.force_login(stranger.user)
    url = reverse("catalog:export", args=[stranger.organisation.slug, export.token])
    assert client.get(url).status_code == 404


def test_export_download_is_an_attachment(client, release, agent):
    login(client, agent)
    export = Export.objects.get(release=release, format="csv", audience="")
    response = client.get(_url(release, "catalog:export", export.token))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "kpi-catalogue-1.0.csv" in response["Content-Disposition"]


def test_filters_and_search(client, release, agent):
    login(client, agent)
    page = client.get(_url(release), {"q": "nps"}).content.decode()
    assert "NPS" in page and ">FCR<" not in page
    page = client.get(_url(release), {"category": "economic"}).content.decode()
    assert "No KPI matches these filters." in page
    page = client.get(_url(release), {"channel": "nonsense\x00"}).content.decode()
    assert "No KPI matches these filters." in page
    fragment = client.get(
        _url(release), {"q": "fcr"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalogue-results"
    )
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b"FCR" in fragment.content


def test_unknown_release_and_kpi_are_404(client, release, agent):
    login(client, agent)
    for args in (("9.9",), ("abc",), ("1.0.0",), ("99999999999.1",)):
        assert client.get(_url(release, "catalog:release", *args)).status_code == 404
    assert client.get(_url(release, "catalog:entry", "1.0", "not-a-uuid")).status_code == 404


def test_hostile_name_is_escaped(
    client, approve_workshop, facilitator, agent, approvers, django_capture_on_commit_callbacks
):
    bad = make_proposal(approve_workshop, agent, "<script>alert(1)</script>=HYPERLINK()")
    approve_all([bad], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    release = CatalogRelease.objects.get()
    login(client, agent)
    page = client.get(_url(release)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_approval_board_decide_with_htmx(client, approve_workshop, shortlist, approvers):
    login(client, approvers[0])
    url = reverse("approval:board", args=[approve_workshop.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"FCR" in page.content
    decide = reverse("approval:decide", args=[approve_workshop.pk, shortlist[0].pk])
    response = client.post(
        decide, {"decision": "approve", "reason": "Good."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    shortlist[0].refresh_from_db()
    assert shortlist[0].state == ProposalState.APPROVED
    # Deciding again: a clear message, nothing changes, no 500.
    again = client.post(decide, {"decision": "reject", "reason": "No."}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert shortlist[0].approvals.count() == 1


def test_decision_without_reason_is_refused_without_js(
    client, approve_workshop, shortlist, approvers
):
    login(client, approvers[0])
    decide = reverse("approval:decide", args=[approve_workshop.pk, shortlist[0].pk])
    response = client.post(decide, {"decision": "approve", "reason": ""}, follow=True)
    assert response.status_code == 200
    assert not shortlist[0].approvals.exists()


def test_publish_view_and_progress(
    client, approve_workshop, facilitator, shortlist, approvers, django_capture_on_commit_callbacks
):
    approve_all(shortlist[:1], approvers[0], facilitator)
    login(client, facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("catalog:publish", args=[approve_workshop.pk]),
            {"language": "en", "effective_date": "2026-01-01", "release_notes": "First."},
        )
    assert response.status_code == 302
    status = client.get(
        reverse("catalog:publish_status", args=[approve_workshop.pk]), HTTP_HX_REQUEST="true"
    )
    assert status.status_code == 200
    assert b"Release 1.0 is published." in status.content
    assert status["HX-Trigger"] == "publishFinished"


def test_publish_refused_for_an_agent(
    client, approve_workshop, agent, shortlist, approvers, facilitator
):
    approve_all(shortlist[:1], approvers[0], facilitator)
    login(client, agent)
    client.post(
        reverse("catalog:publish", args=[approve_workshop.pk]),
        {"language": "en", "effective_date": "2026-01-01"},
    )
    assert not CatalogRelease.objects.exists()


def test_notes_form_saves(client, approve_workshop, facilitator, shortlist, approvers):
    approval_services.approval_decide(
        actor=approvers[0], proposal=shortlist[0], decision=Decision.APPROVE, reason="ok"
    )
    login(client, facilitator)
    url = reverse("approval:notes", args=[approve_workshop.pk, shortlist[0].pk]) + "?language=it"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"how_to_read": "Leggi", "when_it_moves": "Agisci", "pitfalls": "Attenzione",
         "worked_example": "Esempio"},
    )  # fmt: skip
    assert response.status_code == 302
    assert shortlist[0].notes.get(language="it").how_to_read == "Leggi"


def test_diff_page_shows_changes(client, release, agent):
    login(client, agent)
    response = client.get(_url(release, "catalog:diff"), {"a": "1.0", "b": "1.0"})
    assert response.status_code == 200
    assert client.get(_url(release, "catalog:diff"), {"a": "x", "b": "1.0"}).status_code == 200


@pytest.mark.parametrize("n", [1, 10, 100])
def test_catalogue_page_query_count_does_not_grow(
    client, n, django_assert_num_queries, organisation
):
    from kpiworkshop.catalog.models import CatalogEntry
    from tests.factories import WorkshopFactory

    release = CatalogRelease.objects.create(
        organisation=organisation, major=1, minor=0, language="en",
        effective_date=datetime.date(2026, 1, 1), published_by_name="Fran",
        workshop=WorkshopFactory(organisation=organisation, title="Where it was agreed"),
    )  # fmt: skip
    CatalogEntry.objects.bulk_create(
        [
            CatalogEntry(
                release=release, position=i, name=f"KPI {i}", category="customer",
                definition={"measures": "m"}, training_notes={},
                audiences=[{"slug": "agents", "name": "Agents", "kind": "sees"}],
            )
            for i in range(n)
        ]
    )  # fmt: skip
    member = MembershipFactory(organisation=organisation, role=Role.AGENT)
    client.force_login(member.user)
    client.get(_url(release))  # warm the session
    # session with its user (one statement), organisation with the membership, release with
    # its workshop, exports: the entries' cards come from the cache the first visit filled (a
    # cold one adds the entries)
    with django_assert_num_queries(4):
        response = client.get(_url(release))
    assert response.status_code == 200
    assert "Where it was agreed" in response.content.decode()


def test_workshop_page_links_to_approval_and_to_its_release(
    client, release, approve_workshop, agent
):
    login(client, agent)
    page = client.get(reverse("workshops:detail", args=[approve_workshop.pk])).content.decode()
    link = reverse("catalog:workshop_catalogue", args=[approve_workshop.pk])
    assert link in page
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == _url(release, "catalog:release", "1.0")


def test_catalogue_page_for_50_kpis_is_under_100_kb(client, organisation):
    from kpiworkshop.catalog.models import CatalogEntry

    release = CatalogRelease.objects.create(
        organisation=organisation, major=1, minor=0, language="en",
        effective_date=datetime.date(2026, 1, 1), published_by_name="Fran",
    )  # fmt: skip
    CatalogEntry.objects.bulk_create(
        [
            CatalogEntry(
                release=release, position=i, name=f"Key performance indicator number {i}",
                category="customer", definition={"measures": "What it measures. " * 20},
                training_notes={}, channels=["voice", "chat"],
                audiences=[{"slug": "agents", "name": "Agents", "kind": "sees"},
                           {"slug": "team_leaders", "name": "Team leaders", "kind": "acts"}],
            )
            for i in range(50)
        ]
    )  # fmt: skip
    member = MembershipFactory(organisation=organisation, role=Role.AGENT)
    client.force_login(member.user)
    response = client.get(_url(release))
    assert response.status_code == 200
    assert len(response.content) < 100 * 1024, len(response.content)


@pytest.mark.parametrize("n", [1, 10, 100])
def test_approval_board_query_count_does_not_grow(
    client, n, django_assert_num_queries, approve_workshop, agent, approvers
):
    from kpiworkshop.mapping.models import AudienceLink
    from tests.factories import AudienceFactory

    audience = AudienceFactory(organisation=approve_workshop.organisation, name="Agents")
    for i in range(n):
        p = make_proposal(approve_workshop, agent, f"KPI {i}")
        AudienceLink.objects.create(
            proposal=p, audience=audience, relation="sees", created_by=agent
        )
        FeasibilityReview.objects.create(
            proposal=p, revision=p.current_revision, verdict="partial", note=f"note {i}"
        )
    login(client, approvers[0])
    url = reverse("approval:board", args=[approve_workshop.pk])
    client.get(url)
    # 13 (the session and its user in one statement): the data stewards' feasibility verdicts,
    # one query for the whole board (issue 19).
    with django_assert_num_queries(13):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Record decision") == n
    assert response.content.decode().count("Data partly available") == n


# --- issue 17: what the publish page says while it retries, or after a worker is lost --------


def _status(client, workshop):
    return client.get(
        reverse("catalog:publish_status", args=[workshop.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()


def test_the_publish_page_tells_the_truth_while_the_queue_retries(
    client, approve_workshop, facilitator, shortlist, approvers, monkeypatch, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from kpiworkshop.catalog.exports import tabular as exports
    from kpiworkshop.catalog.models import PublishJob, PublishState
    from kpiworkshop.core.models import OutboxItem

    settings.CELERY_TASK_ALWAYS_EAGER = False  # with a broker: the beat sweep resumes it
    approve_all(shortlist[:1], approvers[0], facilitator)
    job = publish(approve_workshop, facilitator)
    login(client, facilitator)
    assert "Waiting for a worker" in _status(client, approve_workshop)

    def soft_limit(*args, **kwargs):
        raise RuntimeError("SoftTimeLimitExceeded()")

    monkeypatch.setattr(exports, "_pdf_packs", soft_limit)
    with pytest.raises(RuntimeError):
        services.release_build(job_id=job.pk)
    page = _status(client, approve_workshop)
    assert "retrying by itself, attempt 2 of 3" in page
    assert "SoftTimeLimitExceeded" in page
    assert "Publishing failed" not in page
    assert "publish again" not in page

    # The next attempt's worker is killed: its claim lapses, the page says so and keeps polling.
    PublishJob.objects.filter(pk=job.pk).update(state=PublishState.RUNNING, attempts=2)
    OutboxItem.objects.filter(key=f"publish:{job.pk}").update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    page = _status(client, approve_workshop)
    assert "The worker building the release stopped; resuming on another worker" in page
    assert "every 1s" in page


def test_the_publish_page_in_italian_says_a_retry_is_under_way(
    client, approve_workshop, facilitator, shortlist, approvers
):
    from kpiworkshop.catalog.models import PublishJob, PublishState

    approve_all(shortlist[:1], approvers[0], facilitator)
    job = publish(approve_workshop, facilitator)
    PublishJob.objects.filter(pk=job.pk).update(
        state=PublishState.QUEUED, attempts=1, error="OperationalError"
    )
    login(client, facilitator)
    page = client.get(
        reverse("catalog:publish_status", args=[approve_workshop.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="it",
    ).content.decode()
    assert "riprova da solo, tentativo 2 di 3" in page


@pytest.mark.django_db(transaction=True)
def test_publish_returns_at_once_and_the_page_shows_progress_without_a_broker(
    client, approve_workshop, facilitator, shortlist, approvers, monkeypatch, settings
):
    """Issue 17, item 2: the embedded default (no broker, tasks eager) builds in a thread
    after the commit; the request does not wait for it."""
    import threading
    import time

    from kpiworkshop.catalog.exports import tabular as exports
    from kpiworkshop.catalog.models import PublishJob, PublishState

    settings.KPIW_OUTBOX_THREADS = True
    assert settings.CELERY_TASK_ALWAYS_EAGER
    approve_all(shortlist[:1], approvers[0], facilitator)
    release = threading.Event()
    real = exports._pdf_packs

    def slow_pdf(*args, **kwargs):
        release.wait(timeout=20)  # the build goes on only when the test has looked
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "_pdf_packs", slow_pdf)
    login(client, facilitator)
    started = time.monotonic()
    response = client.post(
        reverse("catalog:publish", args=[approve_workshop.pk]),
        {"language": "en", "effective_date": "2026-01-01"},
    )
    assert response.status_code == 302
    assert time.monotonic() - started < 5
    page = client.get(reverse("approval:board", args=[approve_workshop.pk])).content.decode()
    assert 'id="publish-bar"' in page
    assert "Release 1.0 is published." not in page
    release.set()
    deadline = time.monotonic() + 60
    while not PublishJob.objects.filter(state=PublishState.DONE).exists():
        assert time.monotonic() < deadline, "the background build did not finish"
        time.sleep(0.2)
    assert "Release 1.0 is published." in _status(client, approve_workshop)


def test_without_a_broker_the_publish_page_resumes_a_build_whose_thread_was_lost(
    client, approve_workshop, facilitator, shortlist, approvers
):
    from datetime import timedelta

    from django.utils import timezone

    from kpiworkshop.catalog.models import PublishJob, PublishState
    from kpiworkshop.core.models import OutboxItem

    approve_all(shortlist[:1], approvers[0], facilitator)
    job = publish(approve_workshop, facilitator)  # its thread died with its process
    PublishJob.objects.filter(pk=job.pk).update(state=PublishState.RUNNING, attempts=1)
    OutboxItem.objects.filter(key=f"publish:{job.pk}").update(
        attempts=1, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    login(client, facilitator)
    client.get(reverse("approval:board", args=[approve_workshop.pk]))
    # (In the test the resumed run is in this thread: KPIW_OUTBOX_THREADS is off here.)
    assert "Release 1.0 is published." in _status(client, approve_workshop)
    job.refresh_from_db()
    assert job.attempts == 2


def test_leadership_sees_the_latest_feasibility_verdict_beside_each_kpi(
    client, approve_workshop, shortlist, approvers
):
    fcr, nps, _aht = shortlist
    FeasibilityReview.objects.create(
        proposal=fcr, revision=fcr.current_revision, verdict="missing", note="old"
    )
    FeasibilityReview.objects.create(
        proposal=fcr, revision=fcr.current_revision, verdict="available", note="ACD has it"
    )
    FeasibilityReview.objects.create(
        proposal=nps, revision=nps.current_revision, verdict="missing", note="No survey export"
    )
    login(client, approvers[0])
    page = client.get(reverse("approval:board", args=[approve_workshop.pk])).content.decode()
    by_kpi = {
        p.current_revision.name: page.split(f'id="kpi-{p.pk}"')[1]
        .split('data-testid="feasibility"')[1]
        .split("</dd>")[0]
        for p in shortlist
    }
    assert "Data available" in by_kpi["FCR"] and "ACD has it" in by_kpi["FCR"]
    assert "old" not in by_kpi["FCR"]
    assert "Data missing" in by_kpi["NPS"] and "No survey export" in by_kpi["NPS"]
    assert "Not reviewed by a data steward yet" in by_kpi["AHT"]
    assert reverse("datasets:kpi", args=[approve_workshop.pk, fcr.pk]) in by_kpi["FCR"]
