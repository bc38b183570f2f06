import io
import json
import re
import zipfile

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.exports import export_render
from kpiworkshop.catalog.exports_datastack import DBT_REQUIRED, DBT_TYPES, OM_REQUIRED
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


def test_dbt_yaml_parses_back_and_follows_the_metric_spec(release):
    data = export_render(release=release, fmt="dbt")
    doc = yaml.safe_load(data)
    metrics = {m["name"]: m for m in doc["metrics"]}
    for m in doc["metrics"]:
        assert all(k in m for k in DBT_REQUIRED), m
        assert m["type"] in DBT_TYPES
        assert re.fullmatch(r"[a-z][a-z0-9_]*", m["name"])
    fcr = metrics["first_contact_resolution"]
    assert fcr["type"] == "ratio"
    assert fcr["type_params"] == {
        "numerator": "first_contact_resolution_numerator",
        "denominator": "first_contact_resolution_denominator",
    }
    assert metrics["first_contact_resolution_numerator"]["type"] == "simple"
    assert fcr["meta"]["owner"] == "Customer care"
    assert fcr["meta"]["audiences"][0]["slug"] == "team_leaders"
    assert fcr["meta"]["goals"][0]["name"] == "Loyalty"
    assert fcr["meta"]["training_notes"].endswith(f"/kpi/{fcr['meta']['kpi_uid']}/")
    qp = metrics["qualita_percepita"]
    assert qp["type"] == "simple" and qp["label"] == "Qualità percepita"
    assert qp["meta"]["owner"] == ""  # internal-only field left out
    # Names are unique even for hostile or clashing KPI names.
    assert len(metrics) == len(doc["metrics"])


def test_openmetadata_zip_has_one_metric_per_kpi(release):
    data = export_render(release=release, fmt="openmetadata")
    archive = zipfile.ZipFile(io.BytesIO(data))
    index = json.loads(archive.read("index.json"))
    assert index["version"] == "1.0" and len(index["metrics"]) == 3
    files = [n for n in archive.namelist() if n.startswith("metrics/")]
    assert len(files) == 3
    fcr = json.loads(archive.read("metrics/first_contact_resolution.json"))
    for key in OM_REQUIRED:
        assert fcr[key]
    assert fcr["displayName"] == "First contact resolution"
    assert fcr["metricExpression"]["code"] == "(Contacts solved) / (All contacts)"
    assert fcr["unitOfMeasurement"] == "PERCENTAGE" and fcr["metricType"] == "RATIO"
    assert fcr["owners"] == ["Customer care"]
    assert {t["tagFQN"] for t in fcr["tags"]} == {"KPICategory.customer", "BusinessGoal.loyalty"}
    qp = json.loads(archive.read("metrics/qualita_percepita.json"))
    assert qp["granularity"] == "MONTH" and qp["owners"] == []


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
    assert yaml.safe_load(out.read_text())["metrics"]
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
    assert page.status_code == 200 and yaml.safe_load(page.content)["metrics"]
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
