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
