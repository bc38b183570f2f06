"""Issue 20: every field the definition gained (the KPI design template's, and the dated targets
with their bands) is in every export a data team or a reader takes away: CSV, JSON, Markdown,
dbt ``meta``, OpenMetadata ``extension`` and the API. One test per format, each field checked
by name, so a field added to ``USE_FIELDS`` and forgotten by one export fails here."""

import csv
import io
import json
import zipfile

import pytest
import yaml

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.exports.datastack import metric_name
from kpiworkshop.catalog.exports.render import export_render
from kpiworkshop.catalog.models import CatalogEntry
from kpiworkshop.kpis.definition_fields import OM_NAMES
from kpiworkshop.kpis.models import USE_FIELDS
from kpiworkshop.kpis.targets import targets_validate
from tests.factories import MembershipFactory

from .datastack_helpers import USE_VALUES, computable_release, contacts

NAME = "First contact resolution"
PLAN = targets_validate(
    [
        {"period_kind": "year", "period_start": "2026-01-01", "value": "80",
         "amber_pct": "95", "red_pct": "90"},
        {"period_kind": "quarter", "period_start": "2027-01-01", "value": "85"},
    ],
    direction="higher",
)  # fmt: skip
#: What a reader sees of a choice field (CSV, Markdown) and what a machine reads (the rest).
LABELS = {"collection_frequency": "Daily", "lead_lag": "Leading"}
MD_LABELS = {
    "key_question": "Key performance question",
    "intended_use": "Intended use",
    "not_used_for": "Not to be used for",
    "collection_method": "Data collection method",
    "collection_frequency": "Collection frequency",
    "custodian": "Data custodian",
    "limitations": "Limitations",
    "lead_lag": "Leading or lagging",
}
EVERY_FIELD = [*USE_FIELDS, "targets"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return contacts(tmp_path_factory.mktemp("contacts") / "contacts.parquet", rows=200)


@pytest.fixture
def release(organisation, dataset):
    release = computable_release(organisation, dataset)
    for entry in CatalogEntry.objects.filter(release=release):
        entry.definition = entry.definition | {"targets": PLAN}
        entry.save()
    return release


def _uid(release) -> str:
    return str(release.entries.get(name=NAME).kpi_uid)


def _csv(release, client) -> dict:
    rows = csv.DictReader(
        io.StringIO(export_render(release=release, fmt="csv").decode("utf-8-sig"))
    )
    row = next(r for r in rows if r["name"] == NAME)
    return {f: row.get(f) for f in EVERY_FIELD}


def _expected_csv() -> dict:
    return (
        USE_VALUES
        | LABELS
        | {"targets": "2026: 80 (amber below 95 %, red below 90 %) | 2027-Q1: 85"}
    )


def _json(release, client) -> dict:
    doc = json.loads(export_render(release=release, fmt="json"))
    entry = next(e for e in doc["entries"] if e["name"] == NAME)
    return {f: entry.get(f) for f in EVERY_FIELD}


def _expected_exported_targets() -> dict:
    return {"period": "2026", "target": 80, "amber_edge": 76, "red_edge": 72, "bands": "below"}


def _markdown(release, client) -> dict:
    md = export_render(release=release, fmt="md").decode()
    chapter = md.split(f"## {NAME}\n")[1].split("\n## ")[0]
    found = {}
    for field in USE_FIELDS:
        line = next(
            (x for x in chapter.splitlines() if x.startswith(f"**{MD_LABELS[field]}:**")), ""
        )
        found[field] = line.partition(":** ")[2] or None
    table = next((x for x in chapter.splitlines() if x.startswith("| 2026 |")), None)
    found["targets"] = table
    return found


def _expected_markdown() -> dict:
    return USE_VALUES | LABELS | {"targets": "| 2026 | 80 % | 76 (95 %) | 72 (90 %) |"}


def _dbt(release, client) -> dict:
    metrics = yaml.safe_load(export_render(release=release, fmt="dbt"))["metrics"]
    meta = next(m for m in metrics if m["name"] == metric_name(_uid(release)))["meta"]
    return {f: meta.get(f) for f in EVERY_FIELD}


def _openmetadata(release, client) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(export_render(release=release, fmt="openmetadata")))
    extension = json.loads(archive.read(f"metrics/{metric_name(_uid(release))}.json"))["extension"]
    return {f: extension.get(OM_NAMES.get(f, f)) for f in EVERY_FIELD}


def _api(release, client) -> dict:
    org = release.organisation
    client.force_login(MembershipFactory(organisation=org, role=Role.CUSTOMER).user)
    url = f"/api/v1/organisations/{org.slug}/catalogue/releases/{release.version}/entries"
    entry = next(e for e in client.get(url).json() if e["name"] == NAME)
    return {f: entry["definition"].get(f) for f in EVERY_FIELD}


def _targets_exported(value) -> bool:
    """The exports' targets list (``targets_export``): each period dated, with its bands."""
    first = (value or [{}])[0]
    expected = _expected_exported_targets()
    return {k: first.get(k) for k in expected} == expected and len(value) == len(PLAN)


FORMATS = {
    # format: (read the entry's fields, the expected value of each; a callable checks it)
    "csv": (_csv, _expected_csv),
    "json": (_json, lambda: USE_VALUES | {"targets": _targets_exported}),
    "md": (_markdown, _expected_markdown),
    "dbt": (_dbt, lambda: USE_VALUES | {"targets": _targets_exported}),
    "openmetadata": (_openmetadata, lambda: USE_VALUES | {"targets": _targets_exported}),
    "api": (_api, lambda: USE_VALUES | {"targets": PLAN}),  # the definition as stored
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_new_definition_field_and_the_targets_are_in_every_export(client, release, fmt):
    read, expected = FORMATS[fmt]
    found = read(release, client)
    wrong = {}
    for field, want in expected().items():
        got = found.get(field)
        ok = want(got) if callable(want) else got == want
        if not ok:
            wrong[field] = got
    assert set(expected()) == set(EVERY_FIELD)
    assert not wrong, f"{fmt} misses or misstates: {wrong}"
