import pytest

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.models import CatalogRelease
from kpiworkshop.kpis.models import Proposal
from tests.conftest import login
from tests.factories import MembershipFactory

from .conftest import approve_all, publish


@pytest.fixture
def release(
    approve_workshop, facilitator, shortlist, approvers, django_capture_on_commit_callbacks
):
    Proposal.objects.filter(pk=shortlist[0].pk).update(internal_fields=["unit"])
    approve_all(shortlist[:2], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    return CatalogRelease.objects.get()


def base(release):
    return f"/api/v1/organisations/{release.organisation.slug}/catalogue"


def test_member_lists_releases_entries_changelog_and_exports(client, release, agent):
    login(client, agent)
    releases = client.get(base(release) + "/releases").json()
    assert releases[0]["version"] == "1.0" and releases[0]["entries"] == 2
    assert client.get(base(release) + "/releases/current").json()["version"] == "1.0"
    entries = client.get(base(release) + "/releases/1.0/entries").json()
    assert {e["name"] for e in entries} == {"FCR", "NPS"}
    fcr = next(e for e in entries if e["name"] == "FCR")
    assert fcr["definition"]["unit"] == "%"  # an agent sees internal fields
    assert client.get(base(release) + "/releases/1.0/entries?q=nps").json()[0]["name"] == "NPS"
    log = client.get(base(release) + "/releases/1.0/changelog").json()
    assert len(log["added"]) == 2 and log["previous_version"] is None
    exports = client.get(base(release) + "/releases/1.0/exports").json()
    csv_url = next(x["url"] for x in exports if x["format"] == "csv")
    response = client.get(csv_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith("\ufeff".encode())


def test_customer_member_gets_no_internal_fields(client, release):
    customer = MembershipFactory(organisation=release.organisation, role=Role.CUSTOMER)
    client.force_login(customer.user)
    entries = client.get(base(release) + "/releases/1.0/entries").json()
    fcr = next(e for e in entries if e["name"] == "FCR")
    assert "unit" not in fcr["definition"]


def test_outsiders_get_404_or_401(client, release, other_org_participant):
    exports = release.exports.all()
    urls = [
        base(release) + "/releases",
        base(release) + "/releases/1.0",
        base(release) + "/releases/1.0/entries",
        base(release) + "/releases/1.0/changelog",
        base(release) + "/releases/1.0/exports",
        base(release) + f"/exports/{exports[0].token}",
    ]
    for url in urls:
        assert client.get(url).status_code == 401, url
    login(client, other_org_participant)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_unknown_release_is_404(client, release, agent):
    login(client, agent)
    for v in ("9.9", "x", "1.0.0"):
        assert client.get(base(release) + f"/releases/{v}").status_code == 404
