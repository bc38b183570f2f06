"""Issue 20, item 4: dated targets in the catalogue (the entry's table, the chart, each value's
band in words) and in every export (JSON, CSV, dbt ``meta``, OpenMetadata extension, API)."""

import csv
import datetime
import io
import json
import zipfile
from decimal import Decimal

import jsonschema
import pytest
import yaml
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.exports import tabular as exports
from kpiworkshop.catalog.exports.datastack import metric_name
from kpiworkshop.catalog.exports.render import export_render
from kpiworkshop.catalog.models import CatalogEntry
from kpiworkshop.kpis.targets import targets_validate
from kpiworkshop.reviews.charts import chart_build
from kpiworkshop.reviews.models import Measurement
from tests.conftest import login

from .conftest import approve_all, make_proposal, publish
from .datastack_helpers import computable_release, contacts
from .review_helpers import make_release, member

PLAN = targets_validate(
    [
        {
            "period_kind": "quarter",
            "period_start": "2026-01-01",
            "value": "80",
            "amber_pct": "95",
            "red_pct": "90",
        },
        {"period_kind": "quarter", "period_start": "2026-04-01", "value": "85"},
    ],
    direction="higher",
)


def _with_targets(release, plan=PLAN):
    for entry in CatalogEntry.objects.filter(release=release):
        entry.definition = entry.definition | {"targets": plan}
        entry.save()
    return release


def _values(entry, *pairs):
    Measurement.objects.bulk_create(
        Measurement(
            organisation_id=entry.release.organisation_id,
            kpi_uid=entry.kpi_uid,
            entry=entry,
            period=datetime.date(2026, month, 1),
            value=Decimal(value),
        )
        for month, value in pairs
    )


def test_chart_draws_each_periods_target_and_bands_and_names_the_band():
    rows = [
        Measurement(period=datetime.date(2026, m, 1), value=Decimal(v))
        for m, v in ((1, 81), (2, 75), (3, 70), (4, 86))
    ]
    chart = chart_build(
        definition={
            "direction": "higher",
            "target": "80%",
            "thresholds": "72 to 78",
            "targets": PLAN,
        },
        measurements=rows,
    )
    # 95 % of 80 is 76, 90 % is 72; April's target has no bands.
    assert [p.band for p in chart.points] == ["green", "amber", "red", None]
    svg = str(chart.svg)
    assert svg.count('class="chart-target-step"') == 4
    assert svg.count('class="chart-band-amber"') == 3 and svg.count('class="chart-band-red"') == 3
    # The dated target and bands replace the written target and thresholds in the drawing.
    assert 'class="chart-target"' not in svg and 'class="chart-band"' not in svg
    keys = [key for key, _swatch, _text in chart.legend]
    assert {"target-step", "band-amber", "band-red"} <= set(keys)
    assert "Target for Q2 2026: 85." in chart.summary
    rows[-1].value = Decimal(70)
    chart = chart_build(definition={"direction": "higher", "targets": PLAN}, measurements=rows[:3])
    assert chart.summary.endswith("Target for Q1 2026: 80; the latest value is red.")


def test_entry_page_shows_the_targets_table_and_each_values_band_in_words(client, organisation):
    release = _with_targets(make_release(organisation, names=("FCR",)))
    entry = release.entries.get()
    _values(entry, (1, "81"), (2, "70"))
    user, _reader = member(organisation, Role.AGENT)
    client.force_login(user)
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    html = client.get(url).content.decode()
    assert 'data-testid="targets-table"' in html
    assert "Amber below" in html and "Red below" in html
    assert "<td>76<br>" in html  # 95 % of 80, as a value of the KPI
    assert '<span class="band band-green">green</span>' in html
    assert '<span class="band band-red">red</span>' in html  # 70 is below 90 % of 80
    it = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert (
        "Ambra sotto" in it
        and "1° trim. 2026" in it
        and '<span class="band band-green">verde</span>' in it
    )


def test_internal_targets_are_not_shown_to_customers(client, organisation):
    release = _with_targets(make_release(organisation, names=("FCR",)))
    CatalogEntry.objects.filter(release=release).update(internal_fields=["targets"])
    entry = release.entries.get()
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    user, _reader = member(organisation, Role.CUSTOMER)
    client.force_login(user)
    assert 'data-testid="targets-table"' not in client.get(url).content.decode()
    doc = json.loads(export_render(release=release, fmt="json"))
    assert doc["entries"][0]["targets"] == []  # exports are public


def test_json_and_csv_exports_carry_the_targets(organisation):
    release = _with_targets(make_release(organisation, names=("FCR",)))
    doc = json.loads(export_render(release=release, fmt="json"))
    jsonschema.validate(
        doc,
        json.loads(exports.SCHEMA_PATH.read_text()),
        format_checker=jsonschema.FormatChecker(),
    )
    assert doc["entries"][0]["targets"][0] == {
        "period": "2026-Q1",
        "period_kind": "quarter",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "target": 80,
        "amber_pct": 95,
        "red_pct": 90,
        "amber_edge": 76,
        "red_edge": 72,
        "bands": "below",
    }
    rows = list(csv.DictReader(io.StringIO(export_render(release=release, fmt="csv").decode())))
    assert rows[0]["targets"] == ("2026-Q1: 80 (amber below 95 %, red below 90 %) | 2026-Q2: 85")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return contacts(tmp_path_factory.mktemp("contacts") / "contacts.parquet", rows=200)


def test_dbt_meta_and_openmetadata_extension_carry_the_targets(organisation, dataset):
    release = _with_targets(computable_release(organisation, dataset))
    fcr = release.entries.get(name="First contact resolution")
    name = metric_name(str(fcr.kpi_uid))
    metrics = {
        m["name"]: m for m in yaml.safe_load(export_render(release=release, fmt="dbt"))["metrics"]
    }
    assert metrics[name]["meta"]["targets"][0]["target"] == 80
    assert metrics[name]["meta"]["targets"][1]["bands"] is None
    archive = zipfile.ZipFile(io.BytesIO(export_render(release=release, fmt="openmetadata")))
    om = json.loads(archive.read(f"metrics/{name}.json"))
    assert om["extension"]["targets"][0]["amber_edge"] == 76


def test_release_diff_words_the_targets_change(client, organisation):
    old = make_release(organisation, names=("FCR",))
    new = _with_targets(make_release(organisation, names=("FCR",), minor=1))
    CatalogEntry.objects.filter(release=new).update(kpi_uid=old.entries.get().kpi_uid)
    user, _reader = member(organisation, Role.FACILITATOR)
    client.force_login(user)
    url = reverse("catalog:diff", args=[organisation.slug]) + "?a=1.0&b=1.1"
    diff = client.get(url).content.decode()
    assert "dated targets" in diff.lower()
    assert "Q1 2026: 80 (amber at 95 %, red at 90 % of the target)" in diff


def test_a_published_release_snapshots_the_targets_and_the_api_returns_them(
    client,
    approve_workshop,
    facilitator,
    agent,
    approvers,
    django_capture_on_commit_callbacks,
):
    fcr = make_proposal(approve_workshop, agent, "FCR", direction="higher", targets=PLAN)
    approve_all([fcr], approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    entry = CatalogEntry.objects.get()
    assert entry.definition["targets"] == PLAN
    login(client, agent)
    api = f"/api/v1/organisations/{approve_workshop.organisation.slug}/catalogue"
    [got] = client.get(api + "/releases/1.0/entries").json()
    assert got["definition"]["targets"] == PLAN


def test_markdown_export_carries_the_targets_with_their_bands_in_the_release_language(
    organisation,
):
    release = _with_targets(make_release(organisation, names=("FCR",)))
    md = export_render(release=release, fmt="md").decode()
    assert "**Dated targets:**" in md
    assert "| Period | Target | Amber below | Red below |" in md
    assert "| Q1 2026 | 80 % | 76 (95 %) | 72 (90 %) |" in md
    assert "| Q2 2026 | 85 % | no bands | — |" in md
    release.language = "it"
    release.save(update_fields=["language"])
    CatalogEntry.objects.filter(release=release).update(
        definition=release.entries.get().definition | {"targets": [PLAN[0] | {"value": "80.5"}]}
    )
    md = export_render(release=release, fmt="md").decode()
    assert "| Periodo | Obiettivo | Ambra sotto | Rosso sotto |" in md
    assert "| 1° trim. 2026 | 80,5 % | 76,475 (95 %) | 72,45 (90 %) |" in md


def test_markdown_export_words_the_bands_above_where_lower_is_better(organisation):
    plan = targets_validate(
        [{"period_kind": "year", "period_start": "2026-01-01", "value": "300",
          "amber_pct": "105", "red_pct": "110"}],
        direction="lower",
    )  # fmt: skip
    release = _with_targets(make_release(organisation, names=("AHT",)), plan)
    CatalogEntry.objects.filter(release=release).update(
        definition=release.entries.get().definition | {"direction": "lower", "unit": "s|x"}
    )
    md = export_render(release=release, fmt="md").decode()
    assert "| Period | Target | Amber above | Red above |" in md
    # A unit's "|" cannot break the table.
    assert "| 2026 | 300 s\\|x | 315 (105 %) | 330 (110 %) |" in md


def test_markdown_export_without_targets_has_no_targets_table(organisation):
    md = export_render(release=make_release(organisation, names=("FCR",)), fmt="md").decode()
    assert "Dated targets" not in md and "| Period |" not in md
