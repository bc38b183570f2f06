"""Issue 20, item 3: the KPI design template's fields in the published catalogue: the release
snapshot, the entry page's callout for every audience, the changelog, and every export (CSV,
JSON against its schema, Markdown, the PDF pack, dbt ``meta``, OpenMetadata ``extension``)."""

import csv
import io
import json
import zipfile

import jsonschema
import pytest
import yaml
from django.urls import reverse
from pypdf import PdfReader

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.exports import tabular as exports
from kpiworkshop.catalog.exports.datastack import metric_name, render_dbt, render_openmetadata
from kpiworkshop.catalog.models import CatalogRelease, Export
from kpiworkshop.catalog.versioning import changelog_compute, version_next
from kpiworkshop.kpis.models import USE_FIELDS
from tests.conftest import as_guest, login
from tests.factories import MembershipFactory, ParticipantFactory

from .conftest import approve_all, make_proposal, publish
from .datastack_helpers import USE_VALUES, computable_release, contacts

FIELDS = {
    "key_question": "Do customers have to come back?",
    "intended_use": "Team reviews of **repeat contacts** and process fixes.",
    "not_used_for": "Not for individual bonuses or agent rankings.",
    "collection_method": "Computed nightly from the CRM's contact log.",
    "collection_frequency": "daily",
    "custodian": "CRM analytics team",
    "limitations": "Anonymous contacts drop out.",
    "lead_lag": "leading",
    "frequency": "weekly",
}


@pytest.fixture
def release(approve_workshop, facilitator, agent, approvers, django_capture_on_commit_callbacks):
    fcr = make_proposal(approve_workshop, agent, "First contact resolution", **FIELDS)
    plain = make_proposal(approve_workshop, agent, "Net promoter score")
    approve_all([fcr, plain], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    return CatalogRelease.objects.get()


def _entry_url(release, entry):
    return reverse(
        "catalog:entry", args=[release.organisation.slug, release.version, entry.kpi_uid]
    )


def _read(release, fmt: str) -> bytes:
    export = Export.objects.get(release=release, format=fmt, audience="")
    with export.file.open("rb") as f:
        return f.read()


def test_the_release_snapshots_every_new_field(release):
    entry = release.entries.get(name="First contact resolution")
    for field in USE_FIELDS:
        assert entry.definition[field] == FIELDS[field]


def test_a_customer_sees_intended_use_and_non_use_on_the_entry_page(
    client, release, approve_workshop
):
    guest = ParticipantFactory(workshop=approve_workshop, role=Role.CUSTOMER, guest=True)
    as_guest(client, guest)
    entry = release.entries.get(name="First contact resolution")
    page = client.get(_entry_url(release, entry)).content.decode()
    callout = page.split('data-testid="use-callout"')[1].split("</section>")[0]
    assert "What this KPI is for, and not for" in callout
    assert "<strong>repeat contacts</strong>" in callout
    assert "Not for individual bonuses or agent rankings." in callout
    # The other new fields are definition rows, with their labels.
    for label, value in (
        ("Key performance question", "Do customers have to come back?"),
        ("Data collection method", "Computed nightly"),
        ("Collection frequency", "Daily"),
        ("Reporting frequency", "Weekly"),
        ("Data custodian", "CRM analytics team"),
        ("Limitations", "Anonymous contacts drop out."),
        ("Leading or lagging", "Leading"),
    ):
        assert label in page and value in page, label
    # An entry without them has no callout.
    other = release.entries.get(name="Net promoter score")
    assert (
        'data-testid="use-callout"' not in client.get(_entry_url(release, other)).content.decode()
    )


def test_the_entry_page_in_italian_shows_the_callout_in_italian(client, release, agent):
    login(client, agent)
    entry = release.entries.get(name="First contact resolution")
    page = client.get(_entry_url(release, entry), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "A cosa serve questo KPI, e a cosa no" in page
    assert "Da non usare per" in page and "Frequenza di raccolta" in page
    assert "Anticipatore (leading)" in page


def test_csv_carries_every_new_field(release):
    rows = list(csv.DictReader(io.StringIO(_read(release, "csv").decode("utf-8-sig"))))
    row = next(r for r in rows if r["name"] == "First contact resolution")
    assert exports.CSV_COLUMNS[-len(USE_FIELDS) :] == USE_FIELDS
    assert row["key_question"] == FIELDS["key_question"]
    assert row["not_used_for"] == FIELDS["not_used_for"]
    assert row["custodian"] == "CRM analytics team"
    assert row["collection_frequency"] == "Daily" and row["frequency"] == "Weekly"
    assert row["lead_lag"] == "Leading"
    empty = next(r for r in rows if r["name"] == "Net promoter score")
    assert all(empty[f] == "" for f in USE_FIELDS)


def test_json_carries_every_new_field_and_follows_its_schema(release):
    doc = json.loads(_read(release, "json"))
    jsonschema.validate(doc, json.loads(exports.SCHEMA_PATH.read_text()))
    assert doc["schema_version"] == "1.1"
    e = next(x for x in doc["entries"] if x["name"] == "First contact resolution")
    for field in ("key_question", "intended_use", "not_used_for", "collection_method"):
        assert e[field] == FIELDS[field]
    assert e["collection_frequency"] == "daily" and e["collection_frequency_label"] == "Daily"
    assert e["lead_lag"] == "leading" and e["lead_lag_label"] == "Leading"
    assert e["custodian"] == "CRM analytics team" and e["limitations"]


def test_markdown_carries_every_new_field(release):
    md = _read(release, "md").decode()
    assert "**Not to be used for:** Not for individual bonuses or agent rankings." in md
    assert "**Key performance question:** Do customers have to come back?" in md
    assert "**Leading or lagging:** Leading" in md
    assert "**Reporting frequency:** Weekly" in md
    assert "**Collection frequency:** Daily" in md


def test_the_pdf_pack_shows_intended_use_and_non_use(release):
    reader = PdfReader(io.BytesIO(_read(release, "pdf")))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "INTENDED USE" in text.upper() and "NOT TO BE USED FOR" in text.upper()
    assert "Not for individual bonuses or agent rankings." in text
    assert "Do customers have to come back?" in text
    assert "Anonymous contacts drop out." in text
    assert "CRM analytics team" in text


def test_a_definition_field_added_later_is_no_change_while_it_stays_empty():
    """A release published before issue 20 has no such keys in its snapshots; the next one
    has them empty: that is not a change. Writing one is a minor change."""

    def entry(**definition):
        return {
            "kpi_uid": "a",
            "name": "FCR",
            "definition": {"measures": "m", "unit": "%"} | definition,
        }

    empty = {f: "" for f in USE_FIELDS}
    log = changelog_compute([entry()], [entry(**empty)])
    assert log.unchanged == 1 and not log.changed
    log = changelog_compute([entry()], [entry(**empty | {"not_used_for": "Not for bonuses."})])
    assert [c["field"] for c in log.changed[0]["fields"]] == ["not_used_for"]
    assert version_next((1, 0), log) == (1, 1)


def test_the_release_diff_names_a_changed_non_use(client, release, agent, organisation):
    """A second release whose entry says more about what the KPI is not for: the diff page
    shows the field under its label, old and new."""
    entry = release.entries.get(name="First contact resolution")
    newer = CatalogRelease.objects.create(
        organisation=organisation,
        major=1,
        minor=1,
        previous=release,
        language="en",
        effective_date=release.effective_date,
        published_by_name="Fran",
    )
    entry.pk = None
    entry.release = newer
    entry.definition = entry.definition | {"not_used_for": "Not for bonuses, nor leaderboards."}
    entry.save()
    login(client, agent)
    url = reverse("catalog:diff", args=[organisation.slug])
    page = client.get(url, {"a": "1.0", "b": "1.1"}).content.decode()
    changed = page.split('id="changed-h"')[1].split("</section>")[0]
    assert "not to be used for</th>" in changed
    assert "<td>Not for individual bonuses or agent rankings.</td>" in changed
    assert "<td>Not for bonuses, nor leaderboards.</td>" in changed


# --- the data stack --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return contacts(tmp_path_factory.mktemp("contacts") / "contacts.parquet", rows=300)


def test_dbt_meta_and_openmetadata_extension_carry_every_new_field(db, organisation, dataset):
    release = computable_release(organisation, dataset)
    uid = metric_name(str(release.entries.get(name="First contact resolution").kpi_uid))
    metrics = {m["name"]: m for m in yaml.safe_load(render_dbt(release))["metrics"]}
    meta = metrics[uid]["meta"]
    for field in USE_FIELDS:
        assert meta[field] == USE_VALUES[field], field
    archive = zipfile.ZipFile(io.BytesIO(render_openmetadata(release)))
    extension = json.loads(archive.read(f"metrics/{uid}.json"))["extension"]
    assert extension["intendedUse"] == USE_VALUES["intended_use"]
    assert extension["notToBeUsedFor"] == USE_VALUES["not_used_for"]
    assert extension["keyPerformanceQuestion"] == USE_VALUES["key_question"]
    assert extension["dataCollectionMethod"] == USE_VALUES["collection_method"]
    assert extension["collectionFrequency"] == "daily"
    assert extension["dataCustodian"] == "CRM analytics team"
    assert extension["limitations"] == USE_VALUES["limitations"]
    assert extension["leadingOrLagging"] == "leading"


def test_the_api_gives_every_new_field_to_every_reader(client, release, organisation):
    """A customer of the organisation reads them too: intended use and non-use are never
    internal-only, and none of the new fields is internal here."""
    client.force_login(MembershipFactory(organisation=organisation, role=Role.CUSTOMER).user)
    url = f"/api/v1/organisations/{organisation.slug}/catalogue/releases/1.0/entries"
    entries = {e["name"]: e for e in client.get(url).json()}
    definition = entries["First contact resolution"]["definition"]
    for field in USE_FIELDS:
        assert definition[field] == FIELDS[field], field


def test_leadership_sees_what_a_kpi_is_not_for_when_deciding(
    client, approve_workshop, agent, approvers
):
    make_proposal(approve_workshop, agent, "First contact resolution", **FIELDS)
    login(client, approvers[0])
    page = client.get(f"/w/{approve_workshop.pk}/approve/").content.decode()
    shown = page.split('data-testid="not-used-for">')[1].split("</dd>")[0]
    assert "Not for individual bonuses or agent rankings." in shown
