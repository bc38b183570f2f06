"""Issue 19: dbt and OpenMetadata exports built from the computable definitions a release
carries (the real tools run in test_datastack_tools.py, ``make datastack-check``)."""

import io
import json
import zipfile

import pytest
import sqlglot
import yaml

from kpiworkshop.catalog.exports.datastack import (
    OM_GRANULARITIES,
    OM_LABEL_TYPES,
    OM_LANGUAGES,
    OM_METRIC_TYPES,
    OM_STATES,
    OM_UNITS,
    metric_name,
)
from kpiworkshop.catalog.exports.render import export_render
from kpiworkshop.catalog.models import CatalogEntry

from .datastack_helpers import computable_release, contacts


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return contacts(tmp_path_factory.mktemp("contacts") / "contacts.parquet", rows=300)


@pytest.fixture
def release(organisation, dataset):
    return computable_release(organisation, dataset)


def _uid(release, name):
    return metric_name(str(release.entries.get(name=name).kpi_uid))


def test_dbt_has_a_semantic_model_and_metrics_named_by_uid(release):
    data = export_render(release=release, fmt="dbt")
    doc = yaml.safe_load(data)
    [model] = doc["semantic_models"]
    assert model["name"] == "contacts" and model["model"] == "ref('contacts')"
    assert model["primary_entity"] == "contacts"
    dims = {d["name"]: d for d in model["dimensions"]}
    assert dims["started_at"]["type"] == "time"
    assert dims["started_at"]["type_params"] == {"time_granularity": "day"}
    assert {"channel", "handled_by", "customer_segment", "request_type", "abandoned"} <= set(dims)
    assert dims["channel"]["type"] == "categorical"
    measures = {m["name"]: m for m in model["measures"]}
    fcr = _uid(release, "First contact resolution")
    assert measures[f"{fcr}_num"]["agg"] == "count"
    assert measures[f"{fcr}_num"]["expr"] == 'CASE WHEN "resolved_first_contact" = TRUE THEN 1 END'
    assert measures[f"{fcr}_den"]["expr"] == "1"
    p90 = measures[f"{_uid(release, 'Wait p90')}_num"]
    assert p90["agg"] == "percentile"
    assert p90["agg_params"] == {"percentile": 0.9, "use_discrete_percentile": False}
    assert "channel" in p90["expr"] and "email" in p90["expr"]  # the free condition, in expr
    assert measures[f"{_uid(release, 'Distinct customers')}_num"]["agg"] == "count_distinct"
    assert measures[f"{_uid(release, 'Time to reach a human')}_num"]["agg"] == "median"
    assert measures[f"{_uid(release, 'Average handling time')}_num"]["agg"] == "average"
    metrics = {m["name"]: m for m in doc["metrics"]}
    # Scaled to a percentage: a derived metric over the ratio.
    assert metrics[fcr]["type"] == "derived"
    assert metrics[fcr]["type_params"] == {
        "expr": f"{fcr}_base * 100",
        "metrics": [{"name": f"{fcr}_base"}],
    }
    base = metrics[f"{fcr}_base"]
    assert base["type"] == "ratio"
    assert base["type_params"] == {"numerator": f"{fcr}_num", "denominator": f"{fcr}_den"}
    assert base["filter"] == "{{ Dimension('contacts__abandoned') }} = FALSE"
    digital = metrics[_uid(release, "Repeat contacts in digital channels")]["type_params"]
    assert metrics[digital["metrics"][0]["name"]]["filter"] == (
        "{{ Dimension('contacts__channel') }} IN ('chat', 'email', 'social')"
    )
    aht = metrics[_uid(release, "Average handling time")]
    assert aht["type"] == "simple" and aht["type_params"] == {"measure": f"{aht['name']}_num"}
    meta = metrics[fcr]["meta"]
    assert meta["target"] == "80%" and meta["direction"] == "higher"
    assert meta["thresholds"] == "amber 72-78"
    assert meta["kpi_uid"].replace("-", "").startswith(fcr[len("kpi_") :])
    assert meta["grain"] == "month" and meta["dataset"] == "contacts"
    # Not computable (a column the dataset lacks; no definition): no metric, a listed reason.
    fatigue = _uid(release, "Fatigue pulse after multichannel shifts")
    words = _uid(release, "Words only")
    assert not any(n.startswith((fatigue, words)) for n in metrics)
    header = data.decode().split("\nversion: 2")[0]
    assert f"{fatigue}  Fatigue pulse after multichannel shifts: not computable" in header
    assert "fatigue_pulse_score" in header
    assert f"{words}  Words only: no computable definition" in header


def test_a_renamed_or_moved_kpi_keeps_its_metric_names(release):
    before = yaml.safe_load(export_render(release=release, fmt="dbt"))
    entry = CatalogEntry.objects.get(release=release, name="First contact resolution")
    entry.name = "Attesa numerator"
    entry.position = 99
    entry.save()
    after = yaml.safe_load(export_render(release=release, fmt="dbt"))
    assert [m["name"] for m in before["metrics"]] == sorted(
        [m["name"] for m in after["metrics"]], key=[m["name"] for m in before["metrics"]].index
    )
    assert {m["name"] for m in before["metrics"]} == {m["name"] for m in after["metrics"]}


def test_openmetadata_metrics_follow_the_2_0_7_enums_and_carry_sql(release):
    archive = zipfile.ZipFile(io.BytesIO(export_render(release=release, fmt="openmetadata")))
    files = [n for n in archive.namelist() if n.startswith("metrics/")]
    assert len(files) == release.entries.count()
    for name in files:
        m = json.loads(archive.read(name))
        assert m["metricExpression"]["language"] in OM_LANGUAGES
        assert m["metricType"] in OM_METRIC_TYPES and m["unitOfMeasurement"] in OM_UNITS
        assert m.get("granularity", "MONTH") in OM_GRANULARITIES
        assert "owners" not in m
        for tag in m["tags"]:
            assert tag["labelType"] in OM_LABEL_TYPES and tag["state"] in OM_STATES
            assert tag["source"] == "Classification"
    fcr = json.loads(archive.read(f"metrics/{_uid(release, 'First contact resolution')}.json"))
    assert fcr["metricExpression"]["language"] == "SQL" and fcr["metricType"] == "RATIO"
    query = sqlglot.parse_one(fcr["metricExpression"]["code"])  # generic SQL that parses
    assert query.find(sqlglot.exp.Table).name == "contacts"
    assert {d["name"] for d in fcr["dimensions"]} >= {"started_at", "channel"}
    assert fcr["filters"] == [{"where": '"abandoned" = FALSE'}]
    words = json.loads(archive.read(f"metrics/{_uid(release, 'Words only')}.json"))
    assert words["metricExpression"]["language"] == "External"
    assert words["extension"]["notComputable"] == "no computable definition"


def test_openmetadata_zip_is_byte_reproducible(release):
    one = export_render(release=release, fmt="openmetadata")
    two = export_render(release=release, fmt="openmetadata")
    assert one == two
    archive = zipfile.ZipFile(io.BytesIO(one))
    names = archive.namelist()
    assert names == sorted(names)
    published = release.published_at
    for info in archive.infolist():
        assert (info.external_attr >> 16) & 0o777 == 0o644
        assert info.date_time[:3] == (published.year, published.month, published.day)


def test_a_published_release_carries_each_kpis_computable_definition(
    approve_workshop, facilitator, shortlist, approvers, django_capture_on_commit_callbacks
):
    from kpiworkshop.catalog.models import CatalogRelease
    from kpiworkshop.datasets.models import Dataset, DatasetVersion, KpiDefinition

    from .conftest import approve_all, publish
    from .datastack_helpers import spec_of

    org = approve_workshop.organisation
    dataset = Dataset.objects.create(organisation=org, name="contacts")
    columns = [
        {"name": "started_at", "type": "TIMESTAMP", "family": "time", "non_null": True},
        {"name": "resolved_first_contact", "type": "BOOLEAN", "description": "Solved"},
    ]
    version = DatasetVersion.objects.create(
        dataset=dataset, number=1, status="ready", source_format="csv", columns=columns
    )
    dataset.current_version = version
    dataset.save()
    spec = spec_of("first-contact-resolution")
    fcr = shortlist[0]
    KpiDefinition.objects.create(
        revision=fcr.current_revision, organisation=org, dataset=dataset, spec=spec
    )
    approve_all(shortlist[:2], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    release = CatalogRelease.objects.get()
    entry = release.entries.get(name=fcr.current_revision.name)
    assert entry.definition["computable"] == {
        "dataset": "contacts",
        "spec": spec,
        "columns": [
            {"name": "started_at", "type": "TIMESTAMP", "description": ""},
            {"name": "resolved_first_contact", "type": "BOOLEAN", "description": "Solved"},
        ],
    }
    assert "computable" not in release.entries.exclude(pk=entry.pk).get().definition
    doc = json.loads(export_render(release=release, fmt="json"))
    by_name = {e["name"]: e for e in doc["entries"]}
    assert by_name[entry.name]["computable"]["spec"] == spec
    # The columns the release kept say the dataset lacks some: listed, not a metric.
    dbt = export_render(release=release, fmt="dbt").decode()
    assert "not computable with the dataset's columns: abandoned" in dbt


def test_a_filter_on_the_time_column_goes_into_the_measures(release):
    entry = CatalogEntry.objects.get(release=release, name="Average handling time")
    computable = entry.definition["computable"]
    spec = computable["spec"] | {
        "filters": [
            {"column": "started_at", "op": "gte", "value": "2025-03-01"},
            {"column": "channel", "op": "is", "value": "voice"},
        ]
    }
    entry.definition = entry.definition | {"computable": computable | {"spec": spec}}
    entry.save()
    doc = yaml.safe_load(export_render(release=release, fmt="dbt"))
    name = _uid(release, "Average handling time")
    [model] = doc["semantic_models"]
    measure = next(m for m in model["measures"] if m["name"] == f"{name}_num")
    assert measure["expr"] == (
        "CASE WHEN \"started_at\" >= '2025-03-01' THEN (handle_time_s / 60.0) END"
    )
    metric = next(m for m in doc["metrics"] if m["name"] == name)
    assert metric["filter"] == "{{ Dimension('contacts__channel') }} = 'voice'"
    assert [d["name"] for d in model["dimensions"]].count("started_at") == 1


def test_a_changed_computable_definition_reads_as_its_query_in_the_diff():
    from django.utils import translation

    from kpiworkshop.catalog.views import _field_label, _shown

    from .datastack_helpers import spec_of

    value = {"dataset": "contacts", "spec": spec_of("first-contact-resolution"), "columns": []}
    shown = _shown("computable", value)
    assert shown.startswith("SELECT") and "FROM contacts" in shown and "abandoned" in shown
    assert _shown("computable", None) == "" and _shown("computable", {"spec": "x"}) == ""
    with translation.override("it"):
        assert _field_label("computable") == "Come si calcola"
