import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.catalog import services as catalog_services
from kpiworkshop.catalog.models import CatalogRelease, PublishState
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Proposal, ProposalKind, ProposalState
from kpiworkshop.reviews import selectors, services
from kpiworkshop.reviews.models import (
    Answer,
    EntryReview,
    Feedback,
    ReviewCycle,
    ReviewReminder,
    ReviewSettings,
)
from kpiworkshop.workshops.models import Participant, Stage
from tests.catalog.review_helpers import make_release, member
from tests.factories import ParticipantFactory


def test_default_next_review_from_the_organisation_interval(organisation):
    after = datetime.date(2026, 1, 31)
    assert services.review_default_date(
        organisation_id=organisation.pk, after=after
    ) == datetime.date(2026, 4, 30)
    ReviewSettings.objects.create(organisation=organisation, interval_months=12)
    assert services.review_default_date(
        organisation_id=organisation.pk, after=after
    ) == datetime.date(2027, 1, 31)


def test_reminder_run_twice_sends_one_per_review_and_recipient(
    organisation, django_capture_on_commit_callbacks
):
    release = make_release(organisation, next_review=datetime.date(2026, 4, 1))
    entry = release.entries.first()
    EntryReview.objects.create(entry=entry, next_review=datetime.date(2026, 3, 1))
    fac1, _r = member(organisation, Role.FACILITATOR)
    fac2, _r = member(organisation, Role.FACILITATOR)
    member(organisation, Role.AGENT)  # agents are not reminded
    today = datetime.date(2026, 3, 20)  # release due in 12 days (< 14), entry overdue
    with django_capture_on_commit_callbacks(execute=True):
        assert services.review_reminders_send(today=today) == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert services.review_reminders_send(today=today) == 0
    assert ReviewReminder.objects.count() == 4
    assert OutboxItem.objects.filter(key__startswith="review-reminder:").count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted([fac1.email] * 2 + [fac2.email] * 2)
    assert any("review" in m.subject.lower() for m in mail.outbox)
    # Delivering a reminder again sends nothing.
    reminder = ReviewReminder.objects.first()
    assert services.review_reminder_deliver(reminder_id=reminder.pk) is False
    assert len(mail.outbox) == 4


def test_reminder_not_sent_before_its_window(organisation):
    make_release(organisation, next_review=datetime.date(2026, 6, 1))
    member(organisation, Role.FACILITATOR)
    assert services.review_reminders_send(today=datetime.date(2026, 3, 1)) == 0
    assert services.review_reminders_send(today=datetime.date(2026, 5, 18)) == 1


def test_reminder_command_runs_the_same_service(organisation, django_capture_on_commit_callbacks):
    make_release(organisation, next_review=datetime.date(2000, 1, 1))
    member(organisation, Role.FACILITATOR)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_review_reminders")
        call_command("send_review_reminders")
    assert ReviewReminder.objects.count() == 1


def test_reviews_page_for_facilitators_only(client, organisation):
    release = make_release(organisation, next_review=datetime.date(2000, 1, 1))
    entry = release.entries.first()
    for i in range(3):
        Feedback.objects.create(entry=entry, person=f"u:{i}", role="agent", answer=Answer.WRONG)
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    page = client.get(reverse("reviews:reviews", args=[organisation.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Overdue by" in html and "Start a review workshop" in html
    assert entry.name in html  # flagged
    agent, _a = member(organisation, Role.AGENT)
    client.force_login(agent)
    assert client.get(reverse("reviews:reviews", args=[organisation.slug])).status_code == 404


def test_entry_review_date_rules(organisation):
    release = make_release(organisation)
    entry = release.entries.first()
    fac, reader = member(organisation, Role.FACILITATOR)
    with pytest.raises(ValidationError):
        services.entry_review_set(
            reader=reader, user=fac, entry=entry, next_review=datetime.date(2025, 1, 1)
        )
    _agent, agent_reader = member(organisation, Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.entry_review_set(
            reader=agent_reader, user=None, entry=entry, next_review=datetime.date(2026, 6, 1)
        )
    services.entry_review_set(
        reader=reader, user=fac, entry=entry, next_review=datetime.date(2026, 6, 1)
    )
    rows = selectors.reviews_for(organisation_id=organisation.pk)
    assert [(r.name, r.due) for r in rows] == [(entry.name, datetime.date(2026, 6, 1))]


def _review_workshop(organisation):
    release = make_release(organisation, names=("FCR", "NPS", "AHT"))
    fac, reader = member(organisation, Role.FACILITATOR)
    workshop = services.review_workshop_start(
        reader=reader, user=fac, organisation_id=organisation.pk
    )
    return release, fac, reader, workshop


def test_review_workshop_starts_once_with_every_entry_as_keep(organisation):
    release, fac, reader, workshop = _review_workshop(organisation)
    again = services.review_workshop_start(reader=reader, user=fac, organisation_id=organisation.pk)
    assert again == workshop and ReviewCycle.objects.count() == 1
    assert workshop.stage == Stage.PROPOSE
    proposals = Proposal.objects.filter(workshop=workshop)
    assert proposals.count() == 3
    assert set(proposals.values_list("kind", flat=True)) == {ProposalKind.KEEP}
    # The first version's note is the system's, in each reader's language.
    first = proposals.first().current_revision
    assert (first.note_code, first.change_note) == ("from_catalogue", "")
    assert first.note == f"From catalogue {release.version}"
    with translation.override("it"):
        assert first.note == f"Dal catalogo {release.version}"
    assert set(proposals.values_list("catalog_entry_id", flat=True)) == set(
        release.entries.values_list("pk", flat=True)
    )
    _agent, agent_reader = member(organisation, Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.review_workshop_start(
            reader=agent_reader, user=_agent, organisation_id=organisation.pk
        )


def test_review_workshop_refused_without_a_release(organisation):
    fac, reader = member(organisation, Role.FACILITATOR)
    with pytest.raises(ValidationError):
        services.review_workshop_start(reader=reader, user=fac, organisation_id=organisation.pk)


def test_review_workshop_publishes_keep_change_retire(
    organisation, django_capture_on_commit_callbacks
):
    release, fac, _reader, workshop = _review_workshop(organisation)
    facilitator = Participant.objects.get(workshop=workshop, user=fac)
    by_name = {p.current_revision.name: p for p in Proposal.objects.filter(workshop=workshop)}
    with pytest.raises(ValidationError):  # retiring needs a reason
        services.review_proposal_set_kind(
            actor=facilitator, proposal=by_name["AHT"], kind=ProposalKind.RETIRE
        )
    services.review_proposal_set_kind(
        actor=facilitator, proposal=by_name["AHT"], kind=ProposalKind.RETIRE, reason="Gamed."
    )
    services.review_proposal_set_kind(
        actor=facilitator, proposal=by_name["NPS"], kind=ProposalKind.CHANGE
    )
    kpi_services.proposal_revise(
        actor=facilitator,
        proposal=by_name["NPS"],
        definition={"target": "50"},
        change_note="Higher target",
    )
    Proposal.objects.filter(workshop=workshop).update(state=ProposalState.SHORTLISTED)
    workshop.stage = Stage.APPROVE
    workshop.save(update_fields=["stage"])
    approver = ParticipantFactory(workshop=workshop, role=Role.LEADERSHIP)
    for p in Proposal.objects.filter(workshop=workshop):
        approval_services.approval_decide(
            actor=approver, proposal=p, decision=Decision.APPROVE, reason="Agreed in review."
        )
    with django_capture_on_commit_callbacks(execute=True):
        job = catalog_services.release_publish(
            actor=facilitator,
            workshop=workshop,
            language="en",
            effective_date=datetime.date(2026, 4, 1),
        )
    job.refresh_from_db()
    assert job.state == PublishState.DONE, job.error
    new = CatalogRelease.objects.get(major=2)  # a retirement makes a major release
    assert new.version == "2.0" and new.previous == release
    old = {e.name: e for e in release.entries.all()}
    now = {e.name: e for e in new.entries.all()}
    assert set(now) == {"FCR", "NPS"}
    assert now["FCR"].kpi_uid == old["FCR"].kpi_uid
    assert now["FCR"].definition == old["FCR"].definition
    assert now["FCR"].goals == old["FCR"].goals  # kept: carried over unchanged
    assert now["NPS"].kpi_uid == old["NPS"].kpi_uid
    assert now["NPS"].definition["target"] == "50"
    assert now["NPS"].goals == old["NPS"].goals  # links carried when not mapped anew
    assert str(old["AHT"].kpi_uid) in new.retired
    assert new.next_review == datetime.date(2026, 7, 1)  # default interval, 3 months


def test_review_board_shows_feedback(client, organisation):
    release, fac, _reader, workshop = _review_workshop(organisation)
    entry = release.entries.get(name="FCR")
    Feedback.objects.create(entry=entry, person="u:9", role="agent", answer=Answer.UNCLEAR)
    client.force_login(fac)
    page = client.get(reverse("reviews:review_board", args=[workshop.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "FCR" in html and "It is unclear: 1" in html
    start = client.post(reverse("reviews:review_start", args=[organisation.slug]))
    assert start.status_code == 302
    assert start["Location"] == reverse("reviews:review_board", args=[workshop.pk])


def test_facilitator_home_says_the_review_is_due_with_flagged_kpis(client, organisation):
    release = make_release(organisation)
    entry = release.entries.first()
    EntryReview.objects.create(
        entry=entry, next_review=datetime.date.today() + datetime.timedelta(days=5)
    )
    for i in range(3):
        Feedback.objects.create(entry=entry, person=f"u:{i}", role="agent", answer=Answer.WRONG)
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    html = client.get("/").content.decode()
    assert "Catalogue review due in 5 days — 1 KPI flagged by the people who use it" in html
    agent, _a = member(organisation, Role.AGENT)
    client.force_login(agent)
    assert "Catalogue review" not in client.get("/").content.decode()


def test_review_settings_saved_by_facilitator_and_checked(client, organisation):
    make_release(organisation)
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    url = reverse("reviews:review_settings", args=[organisation.slug])
    assert client.post(url, {"interval_months": "6", "remind_days_before": "7"}).status_code == 302
    row = ReviewSettings.objects.get(organisation=organisation)
    assert (row.interval_months, row.remind_days_before) == (6, 7)
    client.post(url, {"interval_months": "99", "remind_days_before": "7"})
    row.refresh_from_db()
    assert row.interval_months == 6
    agent, _a = member(organisation, Role.AGENT)
    client.force_login(agent)
    assert client.post(url, {"interval_months": "1", "remind_days_before": "1"}).status_code == 404
    row.refresh_from_db()
    assert row.interval_months == 6


def test_review_proposal_page_shows_its_kind_and_links_to_the_feedback(client, organisation):
    _release, fac, _reader, workshop = _review_workshop(organisation)
    proposal = Proposal.objects.filter(workshop=workshop).first()
    client.force_login(fac)
    html = client.get(reverse("kpis:detail", args=[workshop.pk, proposal.pk])).content.decode()
    assert "Keep a catalogue KPI" in html
    assert reverse("reviews:review_board", args=[workshop.pk]) in html


def test_keep_change_retire_round_over_the_review_proposals(client, organisation):
    from kpiworkshop.voting.models import Ballot, Method

    _release, fac, _reader, workshop = _review_workshop(organisation)
    facilitator = Participant.objects.get(workshop=workshop, user=fac)
    with pytest.raises(PermissionDenied):  # proposing stage: rounds are prepared from refine
        services.review_ballot_create(actor=facilitator, workshop=workshop)
    workshop.stage = Stage.VOTE
    workshop.save(update_fields=["stage"])
    client.force_login(fac)
    response = client.post(reverse("reviews:review_ballot", args=[workshop.pk]))
    ballot = Ballot.objects.get(workshop=workshop)
    assert response.status_code == 302 and str(ballot.pk) in response["Location"]
    assert ballot.method == Method.SCORE
    # Standard criteria: a code each, so every reader sees them in their own language.
    assert list(ballot.criteria.order_by("position").values_list("code", "label")) == [
        ("keep", "Keep it as it is"),
        ("change", "Change it"),
        ("retire", "Retire it"),
    ]
    with translation.override("it"):
        assert [c.text for c in ballot.criteria.order_by("position")] == [
            "Mantenerlo così com'è",
            "Modificarlo",
            "Ritirarlo",
        ]
    assert ballot.items.count() == 3
    other = ParticipantFactory(role=Role.FACILITATOR)
    with pytest.raises(ValidationError):  # not a review workshop
        services.review_ballot_create(actor=other, workshop=other.workshop)


def test_no_reminder_once_the_review_workshop_is_started(organisation):
    release = make_release(organisation, next_review=datetime.date(2000, 1, 1))
    fac, reader = member(organisation, Role.FACILITATOR)
    services.review_workshop_start(reader=reader, user=fac, organisation_id=organisation.pk)
    assert services.review_reminders_send(today=datetime.date(2026, 1, 1)) == 0
    assert not ReviewReminder.objects.filter(release=release).exists()


def _due_release_with_flags(organisation, kpis: int, flagged: int, major: int = 1):
    """A current release of ``kpis`` KPIs due in 5 days, ``flagged`` of them flagged (the
    others answered "helps" by most people), plus an older release that is not current."""
    make_release(organisation, names=[f"Old {i}" for i in range(3)], major=major - 1, minor=9)
    release = make_release(
        organisation,
        names=[f"KPI {i}" for i in range(kpis)],
        major=major,
        next_review=datetime.date.today() + datetime.timedelta(days=5),
    )
    rows = []
    for n, entry in enumerate(release.entries.all()):
        bad = n < flagged
        for k in range(6):  # flagged: 2 of 6 doubtful (exactly a third); else 1 of 6
            doubtful = k < 2 if bad else k < 1
            answer = (Answer.UNCLEAR if k % 2 else Answer.WRONG) if doubtful else Answer.HELPS
            rows.append(Feedback(entry=entry, person=f"u:{k}", role="agent", answer=answer))
    Feedback.objects.bulk_create(rows)
    return release


#: session with its user (one statement), memberships, workshops, current releases, soonest
#: entry reviews, flag counts
HOME_QUERIES = 6


def test_home_review_line_queries_do_not_grow_with_kpis_or_organisations(client, organisation):
    """The review line costs the same queries for one organisation of 3 KPIs and for three
    organisations of 40 KPIs each, and each line counts its own organisation's flags."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MembershipFactory, OrganisationFactory

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/")
        assert page.status_code == 200
        return len(ctx.captured_queries), page.content.decode()

    fac, _r = member(organisation, Role.FACILITATOR)
    _due_release_with_flags(organisation, kpis=3, flagged=1)
    client.force_login(fac)
    small, html = queries()
    assert html.count('data-testid="review-banner"') == 1
    assert "1 KPI flagged by the people who use it" in html

    _due_release_with_flags(organisation, kpis=40, flagged=7, major=3)  # now the current one
    others = [OrganisationFactory() for _ in range(2)]
    for i, other in enumerate(others):
        MembershipFactory(user=fac, organisation=other, role=Role.FACILITATOR)
        _due_release_with_flags(other, kpis=40, flagged=3 + i)
    outsider = OrganisationFactory()  # not the user's: its flags never show
    _due_release_with_flags(outsider, kpis=40, flagged=40)
    large, html = queries()
    assert large == small == HOME_QUERIES, (small, large)
    assert html.count('data-testid="review-banner"') == 3
    for n in (7, 3, 4):
        assert f"{n} KPIs flagged by the people who use them" in html
    assert "40 KPIs flagged" not in html


def test_reviews_page_lists_exactly_the_flagged_kpis_with_fixed_queries(client, organisation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    url = reverse("reviews:reviews", args=[organisation.slug])
    counts = {}
    for major, kpis, flagged in ((1, 3, 1), (3, 40, 9)):  # the second becomes current
        release = _due_release_with_flags(organisation, kpis=kpis, flagged=flagged, major=major)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url)
        counts[kpis] = len(ctx.captured_queries)
        html = page.content.decode()
        listed = html.split('data-testid="flagged"')[1].split("</ul>")[0]
        expected = [e.name for e in release.entries.order_by("position")[:flagged]]
        assert [n for n in expected if f">{n}<" in listed] == expected
        assert listed.count("<li>") == flagged
    assert counts[3] == counts[40], counts
