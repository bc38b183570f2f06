import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.reviews import selectors, services
from kpiworkshop.reviews.models import Answer, Feedback
from tests.catalog.review_helpers import make_release, member
from tests.factories import OrganisationFactory


@pytest.fixture
def release(organisation):
    return make_release(organisation)


def test_feedback_answer_is_one_per_person_and_changeable(organisation, release):
    entry = release.entries.first()
    user, reader = member(organisation)
    services.feedback_answer(reader=reader, person=f"u:{user.pk}", entry=entry, answer=Answer.HELPS)
    services.feedback_answer(
        reader=reader, person=f"u:{user.pk}", entry=entry, answer=Answer.WRONG, comment="Rush"
    )
    rows = list(Feedback.objects.filter(entry=entry))
    assert len(rows) == 1
    assert rows[0].answer == Answer.WRONG and rows[0].comment == "Rush"


def test_feedback_counts_per_answer_and_role(organisation, release):
    entry = release.entries.first()
    for role, answer in [
        (Role.AGENT, Answer.HELPS),
        (Role.AGENT, Answer.WRONG),
        (Role.SUPERVISOR, Answer.UNCLEAR),
    ]:
        user, reader = member(organisation, role)
        services.feedback_answer(reader=reader, person=f"u:{user.pk}", entry=entry, answer=answer)
    summary = selectors.feedback_summaries(entry_ids=[entry.pk])[entry.pk]
    assert summary.total == 3
    assert summary.by_answer == {"helps": 1, "wrong": 1, "unclear": 1}
    assert dict((r, c) for r, c, _t in summary.by_role) == {
        Role.AGENT: {"helps": 1, "wrong": 1},
        Role.SUPERVISOR: {"unclear": 1},
    }
    assert summary.flagged


def test_feedback_refused_outside_organisation_and_on_old_release(organisation, release):
    entry = release.entries.first()
    outsider = Reader(OrganisationFactory().pk, Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.feedback_answer(reader=outsider, person="u:1", entry=entry, answer=Answer.HELPS)
    make_release(organisation, major=1, minor=1)  # release 1.0 is no longer current
    user, reader = member(organisation)
    with pytest.raises(PermissionDenied):
        services.feedback_answer(
            reader=reader, person=f"u:{user.pk}", entry=entry, answer=Answer.HELPS
        )
    assert not Feedback.objects.exists()


def test_feedback_bad_answer_or_long_comment_changes_nothing(organisation, release):
    entry = release.entries.first()
    _user, reader = member(organisation)
    with pytest.raises(ValidationError):
        services.feedback_answer(reader=reader, person="u:1", entry=entry, answer="love")
    with pytest.raises(ValidationError):
        services.feedback_answer(
            reader=reader, person="u:1", entry=entry, answer=Answer.HELPS, comment="x" * 1001
        )
    assert not Feedback.objects.exists()


def test_feedback_hide_needs_facilitator_and_reason_and_is_audited(organisation, release):
    entry = release.entries.first()
    user, reader = member(organisation)
    fb = services.feedback_answer(
        reader=reader, person=f"u:{user.pk}", entry=entry, answer=Answer.UNCLEAR, comment="rude"
    )
    with pytest.raises(PermissionDenied):
        services.feedback_hide(reader=reader, user=user, feedback=fb, reason="no")
    fac, fac_reader = member(organisation, Role.FACILITATOR)
    with pytest.raises(ValidationError):
        services.feedback_hide(reader=fac_reader, user=fac, feedback=fb, reason=" ")
    services.feedback_hide(reader=fac_reader, user=fac, feedback=fb, reason="Insult")
    fb.refresh_from_db()
    assert fb.hidden_reason == "Insult"
    assert AuditEvent.objects.filter(action="catalog.feedback_hide").count() == 1
    # Editing the answer keeps the comment hidden.
    services.feedback_answer(
        reader=reader, person=f"u:{user.pk}", entry=entry, answer=Answer.HELPS, comment="again"
    )
    fb.refresh_from_db()
    assert fb.hidden_reason == "Insult"


def test_entry_page_feedback_form_escapes_comments(client, organisation, release):
    entry = release.entries.first()
    fac, _fac_reader = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    url = reverse("reviews:feedback", args=[organisation.slug, "1.0", entry.kpi_uid])
    response = client.post(
        url, {"answer": "wrong", "comment": "<script>alert(1)</script>"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "&lt;script&gt;" in response.content.decode()
    assert "<script>alert(1)" not in response.content.decode()
    page = client.get(reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid]))
    html = page.content.decode()
    assert "Is this KPI helping you do a good job?" in html
    assert "&lt;script&gt;alert(1)" in html and "<script>alert(1)" not in html
    # Without htmx: a redirect back to the page.
    response = client.post(url, {"answer": "helps"})
    assert response.status_code == 302
    assert Feedback.objects.get().answer == "helps"


def test_feedback_view_bad_answer_is_422_and_outsider_404(client, organisation, release):
    entry = release.entries.first()
    user, _r = member(organisation)
    client.force_login(user)
    url = reverse("reviews:feedback", args=[organisation.slug, "1.0", entry.kpi_uid])
    assert client.post(url, {"answer": "nope"}, HTTP_HX_REQUEST="true").status_code == 422
    outsider, _o = member(OrganisationFactory())
    client.force_login(outsider)
    assert client.post(url, {"answer": "helps"}).status_code == 404
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("n", [1, 10, 100])
def test_entry_page_queries_do_not_grow_with_answers_and_values(
    client, organisation, release, django_assert_num_queries, n
):
    import datetime

    from kpiworkshop.reviews.models import Measurement

    entry = release.entries.first()
    Feedback.objects.bulk_create(
        [
            Feedback(entry=entry, person=f"u:{i}", role=Role.AGENT, answer="helps", comment="ok")
            for i in range(n)
        ]
    )
    Measurement.objects.bulk_create(
        [
            Measurement(
                organisation=organisation,
                kpi_uid=entry.kpi_uid,
                entry=entry,
                period=datetime.date(2000, 1, 1) + datetime.timedelta(days=31 * i),
                value=70 + i % 10,
            )
            for i in range(n)
        ]
    )
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    client.get(url)
    with django_assert_num_queries(QUERIES):
        assert client.get(url).status_code == 200


#: The session with its user, the organisation with the reader's role, the release asked for
#: with the current one, the entry with its history, and this app's three reads in one
#: statement (``reviews.rawsql.entry_reads``).
QUERIES = 5


def test_guest_participant_answers_once_per_device(client, organisation, release, guest_customer):
    from tests.conftest import as_guest

    entry = release.entries.first()
    as_guest(client, guest_customer)
    url = reverse("reviews:feedback", args=[organisation.slug, "1.0", entry.kpi_uid])
    assert client.post(url, {"answer": "unclear"}, HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(url, {"answer": "helps"}, HTTP_HX_REQUEST="true").status_code == 200
    row = Feedback.objects.get(entry=entry)
    assert row.person == f"g:{guest_customer.guest_key}"
    assert (row.answer, row.role) == ("helps", Role.CUSTOMER)
