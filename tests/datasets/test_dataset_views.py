from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpiworkshop.datasets.models import Dataset, DatasetVersion, VersionStatus
from tests.conftest import as_guest, login

CSV = b"channel,wait\nchat,12\nvoice,30\nemail,400\n"


def url(workshop):
    return reverse("datasets:list", args=[workshop.pk])


def test_facilitator_uploads_a_new_dataset_and_sees_its_columns(
    client, facilitator, workshop, django_capture_on_commit_callbacks
):
    login(client, facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(workshop),
            {
                "new_name": "contacts",
                "file": SimpleUploadedFile("contacts.csv", CSV),
                "descriptions": "wait: seconds until answered\nnonsense line",
            },
        )
    assert response.status_code == 302
    version = DatasetVersion.objects.get()
    assert version.status == VersionStatus.READY
    assert version.column_map()["wait"]["description"] == "seconds until answered"
    page = client.get(url(workshop))
    assert b"seconds until answered" in page.content
    assert b"3 rows" in page.content


def test_a_refused_upload_shows_why(
    client, facilitator, workshop, django_capture_on_commit_callbacks
):
    login(client, facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url(workshop),
            {"new_name": "contacts", "file": SimpleUploadedFile("c.csv", b"a,a\n1,2\n")},
        )
    page = client.get(url(workshop))
    assert b"appears more than once" in page.content


def test_a_wrong_file_type_is_an_error_on_the_form(client, facilitator, workshop):
    login(client, facilitator)
    response = client.post(
        url(workshop), {"new_name": "contacts", "file": SimpleUploadedFile("c.xlsx", CSV)}
    )
    assert response.status_code == 200
    assert b"CSV file or a Parquet file" in response.content
    assert not Dataset.objects.exists()  # the new dataset is not kept without its upload


def test_the_version_row_is_polled_while_it_converts(client, facilitator, workshop):
    login(client, facilitator)
    client.post(url(workshop), {"new_name": "contacts", "file": SimpleUploadedFile("c.csv", CSV)})
    version = DatasetVersion.objects.get()  # on_commit never ran: still waiting
    row = client.get(
        reverse("datasets:version", args=[workshop.pk, version.pk]), headers={"HX-Request": "true"}
    )
    assert row.content.lstrip().startswith(f'<li id="version-{version.pk}"'.encode())
    assert b'hx-trigger="every 2s"' in row.content


def test_only_facilitator_and_stewards_see_datasets(
    client, agent, guest_customer, other_org_participant, steward, workshop
):
    login(client, agent)
    assert client.get(url(workshop)).status_code == 404
    client.logout()
    as_guest(client, guest_customer)
    assert client.get(url(workshop)).status_code == 404
    client.cookies.clear()
    login(client, other_org_participant)
    assert client.get(url(workshop)).status_code == 404
    login(client, steward)
    assert client.get(url(workshop)).status_code == 200


def test_the_datasets_page_speaks_italian(client, facilitator, workshop):
    login(client, facilitator)
    page = client.get(url(workshop), headers={"Accept-Language": "it"})
    assert b"Dataset di esempio" in page.content
    assert b"Carica il file" in page.content


def steward_url(workshop, membership):
    return reverse("datasets:steward", args=[workshop.pk, membership.pk])


def membership_of(participant):
    from kpiworkshop.accounts.models import Membership

    return Membership.objects.get(
        user=participant.user, organisation_id=participant.workshop.organisation_id
    )


def test_facilitator_sees_members_with_the_steward_toggle(client, facilitator, agent, workshop):
    agent.user.display_name = "<b>Andrea</b>"
    agent.user.save()
    login(client, facilitator)
    page = client.get(url(workshop))
    assert b'data-testid="stewards"' in page.content
    assert b"&lt;b&gt;Andrea&lt;/b&gt;" in page.content  # names are escaped
    assert b"<b>Andrea</b>" not in page.content
    assert steward_url(workshop, membership_of(agent)).encode() in page.content


def test_naming_a_steward_with_a_plain_form_redirects_and_audits(
    client, facilitator, agent, workshop
):
    from kpiworkshop.core.models import AuditEvent
    from kpiworkshop.datasets import selectors

    login(client, facilitator)
    response = client.post(steward_url(workshop, membership_of(agent)), {"steward": "on"})
    assert response.status_code == 302
    assert response["Location"].endswith(url(workshop) + "#stewards")
    role = selectors.data_role(user=agent.user, organisation_id=workshop.organisation_id)
    assert role.steward is True
    assert AuditEvent.objects.filter(action="dataset.steward_set").count() == 1
    client.post(steward_url(workshop, membership_of(agent)), {"steward": "off"})
    role = selectors.data_role(user=agent.user, organisation_id=workshop.organisation_id)
    assert role.steward is False


def test_naming_a_steward_with_htmx_returns_the_members_row(client, facilitator, agent, workshop):
    login(client, facilitator)
    membership = membership_of(agent)
    response = client.post(
        steward_url(workshop, membership), {"steward": "on"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(f'<li id="member-{membership.pk}"'.encode())
    assert b'aria-pressed="true"' in response.content


def test_only_the_facilitator_names_stewards(
    client, facilitator, agent, steward, guest_customer, other_org_participant, workshop
):
    from kpiworkshop.datasets.models import DataSteward

    target = steward_url(workshop, membership_of(agent))
    login(client, agent)
    assert client.post(target, {"steward": "on"}).status_code == 404
    login(client, steward)  # a steward sees the datasets, but names nobody
    assert client.post(target, {"steward": "on"}).status_code == 404
    assert b'data-testid="stewards"' not in client.get(url(workshop)).content
    client.logout()
    as_guest(client, guest_customer)
    assert client.post(target, {"steward": "on"}).status_code == 404
    client.cookies.clear()
    login(client, other_org_participant)
    assert client.post(target, {"steward": "on"}).status_code == 404
    # nor a member of another organisation through this workshop's URL
    login(client, facilitator)
    foreign = steward_url(workshop, membership_of(other_org_participant))
    assert client.post(foreign, {"steward": "on"}).status_code == 404
    assert client.get(target).status_code == 405
    assert list(DataSteward.objects.values_list("user_id", flat=True)) == [steward.user_id]


def test_the_members_list_costs_one_query_whatever_their_number(
    client, facilitator, workshop, django_assert_num_queries
):
    from tests.factories import ParticipantFactory

    login(client, facilitator)
    ParticipantFactory(workshop=workshop)
    client.get(url(workshop))  # warm caches (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url(workshop))
    for _ in range(5):
        ParticipantFactory(workshop=workshop)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url(workshop))
    assert len(many) == len(few)
    assert page.content.count(b'id="member-') == 7


def test_the_steward_toggle_speaks_italian(client, facilitator, agent, workshop):
    login(client, facilitator)
    page = client.get(url(workshop), headers={"Accept-Language": "it"})
    assert b"Referenti dei dati" in page.content
