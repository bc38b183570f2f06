import io
import json
import re
import zipfile

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.exports.datastack import DBT_REQUIRED, DBT_TYPES, OM_REQUIRED, metric_name
from kpiworkshop.catalog.exports.render import export_render
from kpiworkshop.catalog.models import CatalogEntry
from tests.factories import OrganisationFactory

from .review_helpers import make_release, member


@pytest.fixture
def release(organisation):
    release = make_release(organisation, names=("First contact resolution", "Qualità percepita"))
    entry = release.entries.get(name="Qualità percepita")
    entry.definition = entry.definition | {
        "numerator": "",
        "denominator": "",
        "frequency": "monthly",
    }
    entry.internal_fields = ["owner"]
    entry.save()
    CatalogEntry.objects.create(
        release=release,
        position=9,
        name="<script>x</script>",
        category="economic",
        definition={"name": "x", "measures": "Cost per contact", "unit": "€"},
    )
    return release


def _names(release):
    return {e.name: metric_name(str(e.kpi_uid)) for e in release.entries.all()}


def test_dbt_yaml_parses_back_and_follows_the_metric_spec(release):
    data = export_render(release=release, fmt="dbt")
    doc = yaml.safe_load(data)
    names = _names(release)
    for m in doc["metrics"]:
        assert all(k in m for k in DBT_REQUIRED), m
        assert m["type"] in DBT_TYPES
        assert re.fullmatch(r"kpi_[0-9a-f]{12}(_num|_den|_base)?", m["name"])
    # No computable definition: no metric (never a placeholder), each listed with its reason.
    assert doc["metrics"] == [] and doc["semantic_models"] == []
    header = data.decode().split("\nversion: 2")[0]
    for uid in names.values():
        assert f"{uid}  " in header and "no computable definition" in header
    assert "<script>" not in header and "\n#   " in header


def test_openmetadata_zip_has_one_metric_per_kpi(release):
    data = export_render(release=release, fmt="openmetadata")
    archive = zipfile.ZipFile(io.BytesIO(data))
    index = json.loads(archive.read("index.json"))
    assert index["version"] == "1.0" and len(index["metrics"]) == 3
    files = [n for n in archive.namelist() if n.startswith("metrics/")]
    assert len(files) == 3
    names = _names(release)
    fcr = json.loads(archive.read(f"metrics/{names['First contact resolution']}.json"))
    for key in OM_REQUIRED:
        assert fcr[key]
    assert fcr["displayName"] == "First contact resolution"
    # No computable definition: the formula in words, as an external expression.
    assert fcr["metricExpression"] == {
        "language": "External",
        "code": "(Contacts solved) / (All contacts)",
    }
    assert fcr["unitOfMeasurement"] == "PERCENTAGE" and fcr["metricType"] == "RATIO"
    # Owners are entity references in OpenMetadata: ours is kept in the extension.
    assert "owners" not in fcr and fcr["extension"]["owner"] == "Customer care"
    assert {t["tagFQN"] for t in fcr["tags"]} == {"KPICategory.customer", "BusinessGoal.loyalty"}
    assert all(t["labelType"] == "Manual" and t["state"] == "Confirmed" for t in fcr["tags"])
    qp = json.loads(archive.read(f"metrics/{names['Qualità percepita']}.json"))
    assert qp["granularity"] == "MONTH" and qp["extension"]["owner"] == ""
    cost = json.loads(archive.read(f"metrics/{names['<script>x</script>']}.json"))
    assert cost["unitOfMeasurement"] == "OTHER" and cost["customUnitOfMeasurement"] == "€"


def test_export_command_writes_both_formats(release, tmp_path, organisation):
    out = tmp_path / "m.yml"
    call_command(
        "export_catalog",
        "1.0",
        "--format",
        "dbt",
        "--output",
        str(out),
        "--organisation",
        organisation.slug,
    )
    assert yaml.safe_load(out.read_text())["version"] == 2
    out = tmp_path / "m.zip"
    call_command(
        "export_catalog",
        "current",
        "--format",
        "openmetadata",
        "--output",
        str(out),
        "--organisation",
        organisation.slug,
    )
    assert zipfile.is_zipfile(out)


def test_datastack_download_page_and_api_for_members_only(client, release, organisation):
    user, _r = member(organisation, Role.AGENT)
    client.force_login(user)
    page = client.get(reverse("catalog:datastack", args=[organisation.slug, "1.0", "dbt"]))
    assert page.status_code == 200 and "semantic_models" in yaml.safe_load(page.content)
    api = client.get(
        f"/api/v1/organisations/{organisation.slug}/catalogue/releases/1.0/datastack/openmetadata"
    )
    assert api.status_code == 200 and zipfile.is_zipfile(io.BytesIO(api.content))
    assert (
        client.get(reverse("catalog:datastack", args=[organisation.slug, "1.0", "xml"])).status_code
        == 404
    )
    outsider, _o = member(OrganisationFactory())
    client.force_login(outsider)
    assert (
        client.get(reverse("catalog:datastack", args=[organisation.slug, "1.0", "dbt"])).status_code
        == 404
    )
