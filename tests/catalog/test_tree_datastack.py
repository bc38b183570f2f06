"""The KPI tree in the exports (issue 20): JSON and CSV carry the links, OpenMetadata names
related metrics, dbt gets the links in meta and a derived "sum of its parts" metric where the
computable definitions add up; with ``KPIW_DBT_BIN`` the real tools parse and run them."""

import csv
import io
import json
import os
import zipfile

import pytest
import yaml

from kpiworkshop.catalog.exports.datastack import metric_name, render_dbt, render_openmetadata
from kpiworkshop.catalog.exports.render import export_render
from kpiworkshop.catalog.models import CatalogEntry

from .datastack_helpers import computable_release, contacts

pytestmark = pytest.mark.django_db

CHANNEL_COUNTS = {
    "All contacts": None,
    "Chat contacts": "chat",
    "Phone contacts": "phone",
}


def _tree_release(organisation, version):
    """The computable release plus three counts (all, chat, phone) and a tree over them."""
    release = computable_release(organisation, version)
    columns = [{k: c[k] for k in ("name", "type", "description")} for c in version.columns]
    uid = {}
    for i, (name, channel) in enumerate(CHANNEL_COUNTS.items()):
        spec = {
            "time_column": "started_at",
            "grain": "month",
            "numerator": {"agg": "count"}
            | (
                {"filters": [{"column": "channel", "op": "is", "value": channel}]}
                if channel
                else {}
            ),
        }
        entry = CatalogEntry.objects.create(
            release=release, position=100 + i, name=name, category="technical",
            definition={"name": name, "measures": name, "computable": {
                "dataset": "contacts", "spec": spec, "columns": columns}},
            goals=[{"slug": "cost", "name": "Cost", "kind": "primary"}] if not channel else [],
            training_notes={},
        )  # fmt: skip
        uid[name] = str(entry.kpi_uid)
    fcr = str(release.entries.get(name="First contact resolution").kpi_uid)
    repeat = str(release.entries.get(name="Repeat contacts in digital channels").kpi_uid)
    release.tree = [
        {"from": uid["Chat contacts"], "to": uid["All contacts"], "kind": "part_of", "why": "a"},
        {"from": uid["Phone contacts"], "to": uid["All contacts"], "kind": "part_of", "why": "b"},
        {"from": fcr, "to": repeat, "kind": "drives", "why": "Solved once"},
    ]
    release.save()
    return release, uid, fcr, repeat


@pytest.fixture
def tree_release(organisation, tmp_path):
    version = contacts(tmp_path / "contacts.parquet", rows=600)
    return (*_tree_release(organisation, version), version)


def test_json_and_csv_carry_the_tree(tree_release):
    release, uid, fcr, repeat = tree_release[:4]
    doc = json.loads(export_render(release=release, fmt="json"))
    assert {(t["from"], t["kind"], t["to"]) for t in doc["tree"]} >= {
        (fcr, "drives", repeat),
        (uid["Chat contacts"], "part_of", uid["All contacts"]),
    }
    entry = next(e for e in doc["entries"] if e["kpi_uid"] == fcr)
    assert entry["tree_links"][0]["to_name"] == "Repeat contacts in digital channels"
    rows = list(
        csv.DictReader(io.StringIO(export_render(release=release, fmt="csv").decode("utf-8-sig")))
    )
    row = next(r for r in rows if r["kpi_uid"] == uid["Chat contacts"])
    assert row["tree_links"] == "is part of All contacts"


def test_json_tree_validates_against_the_schema(tree_release):
    import jsonschema

    from kpiworkshop.catalog.exports.tabular import SCHEMA_PATH

    release = tree_release[0]
    doc = json.loads(export_render(release=release, fmt="json"))
    jsonschema.validate(
        doc, json.loads(SCHEMA_PATH.read_text()), format_checker=jsonschema.FormatChecker()
    )


def test_openmetadata_names_related_metrics_both_ways(tree_release):
    release, uid, fcr, repeat = tree_release[:4]
    archive = zipfile.ZipFile(io.BytesIO(render_openmetadata(release)))
    fcr_metric = json.loads(archive.read(f"metrics/{metric_name(fcr)}.json"))
    repeat_metric = json.loads(archive.read(f"metrics/{metric_name(repeat)}.json"))
    assert fcr_metric["relatedMetrics"] == [metric_name(repeat)]
    assert repeat_metric["relatedMetrics"] == [metric_name(fcr)]
    whole = json.loads(archive.read(f"metrics/{metric_name(uid['All contacts'])}.json"))
    assert whole["relatedMetrics"] == sorted(
        metric_name(uid[n]) for n in ("Chat contacts", "Phone contacts")
    )


def test_dbt_derives_the_sum_of_parts_only_where_the_definitions_add_up(tree_release):
    release, uid, fcr, repeat = tree_release[:4]
    metrics = {m["name"]: m for m in yaml.safe_load(render_dbt(release))["metrics"]}
    derived = metrics[f"{metric_name(uid['All contacts'])}_from_parts"]
    parts = sorted(metric_name(uid[n]) for n in ("Chat contacts", "Phone contacts"))
    assert derived["type"] == "derived" and derived["type_params"]["expr"] == " + ".join(parts)
    # FCR drives repeat contacts: a link in meta, no formula (ratios do not add up).
    assert metrics[metric_name(fcr)]["meta"]["kpi_tree"] == [
        {"kind": "drives", "to": repeat, "name": "Repeat contacts in digital channels"}
    ]
    assert [n for n in metrics if n.endswith("_from_parts")] == [derived["name"]]


def test_no_derived_metric_when_a_part_is_not_additive(tree_release):
    release, uid = tree_release[:2]
    avg = str(release.entries.get(name="Average handling time").kpi_uid)
    release.tree = [
        {"from": uid["Chat contacts"], "to": uid["All contacts"], "kind": "part_of", "why": ""},
        {"from": avg, "to": uid["All contacts"], "kind": "part_of", "why": ""},
    ]
    release.save()
    names = [m["name"] for m in yaml.safe_load(render_dbt(release))["metrics"]]
    assert not any(n.endswith("_from_parts") for n in names)


BIN = os.environ.get("KPIW_DBT_BIN", "")


@pytest.mark.datastack
@pytest.mark.skipif(not BIN, reason="KPIW_DBT_BIN is not set (make datastack-check)")
def test_dbt_runs_the_sum_of_parts_and_it_equals_the_whole(tree_release, tmp_path):
    from .test_datastack_tools import ROOT, _project, _run

    release, uid, _fcr, _repeat, version = tree_release
    project = _project(tmp_path, version.path, render_dbt(release))
    _run([f"{BIN}/dbt", "parse"], project)
    _run([f"{BIN}/dbt", "build"], project)
    _run([f"{BIN}/mf", "validate-configs"], project)
    whole, derived = (
        metric_name(uid["All contacts"]),
        f"{metric_name(uid['All contacts'])}_from_parts",
    )
    out = tmp_path / "mf.csv"
    _run(
        [f"{BIN}/mf", "query", "--metrics", f"{whole},{derived}", "--group-by",
         "metric_time__month", "--csv", str(out)],
        project,
    )  # fmt: skip
    rows = list(csv.DictReader(out.open()))
    assert rows
    # The synthetic contacts come on more channels than chat and phone: the parts add up to
    # less than the whole, and never to more.
    assert all(float(r[derived]) <= float(r[whole]) for r in rows)
    assert any(float(r[derived]) > 0 for r in rows)
    om = tmp_path / "om.zip"
    om.write_bytes(render_openmetadata(release))
    assert "metrics valid" in _run(
        [f"{BIN}/python", str(ROOT / "scripts" / "om_validate.py"), str(om)], tmp_path
    )
