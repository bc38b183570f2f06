"""Issue 19: the exports checked by the real tools (dbt-core 1.11 + dbt-duckdb, MetricFlow's
``mf``, OpenMetadata 2.0.7's generated models), installed in their own virtualenv
(``make datastack-check``; requirements-dbt.txt). Skipped unless ``KPIW_DBT_BIN`` names that
virtualenv's ``bin``."""

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kpiworkshop.catalog.exports.datastack import metric_name, render_dbt, render_openmetadata
from kpiworkshop.datasets import preview
from kpiworkshop.datasets.definition import Definition

from .datastack_helpers import KPIS, computable_release, contacts, spec_of

EXTRA = ("Distinct customers", "Wait p90")

BIN = os.environ.get("KPIW_DBT_BIN", "")
pytestmark = [
    pytest.mark.datastack,
    pytest.mark.skipif(not BIN, reason="KPIW_DBT_BIN is not set (make datastack-check)"),
]
ROOT = Path(__file__).resolve().parents[2]

TIME_SPINE_SQL = """
select cast(range as date) as date_day
from range(date '2024-01-01', date '2027-01-01', interval 1 day)
"""
TIME_SPINE_YML = """version: 2
models:
  - name: time_spine_daily
    time_spine:
      standard_granularity_column: date_day
    columns:
      - name: date_day
        granularity: day
"""


def _run(cmd: list[str], cwd: Path) -> str:
    env = os.environ | {"DBT_PROFILES_DIR": str(cwd), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{out[-4000:]}"
    return out


def _project(tmp: Path, parquet: Path, yaml_bytes: bytes) -> Path:
    project = tmp / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: kpi_catalogue\nversion: '1.0'\nconfig-version: 2\nprofile: kpi_catalogue\n"
        "model-paths: ['models']\nmodels:\n  kpi_catalogue:\n    +materialized: table\n"
    )
    (project / "profiles.yml").write_text(
        "kpi_catalogue:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{tmp / 'warehouse.duckdb'}'\n      threads: 1\n"
    )
    # The dataset: a model reading the sample's Parquet (an external location).
    (project / "models" / "contacts.sql").write_text(
        f"select * from read_parquet('{parquet}')\n"  # noqa: S608 - our own temporary path
    )
    (project / "models" / "time_spine_daily.sql").write_text(TIME_SPINE_SQL)
    (project / "models" / "time_spine.yml").write_text(TIME_SPINE_YML)
    # The export, unchanged.
    (project / "models" / "kpi_catalogue.yml").write_bytes(yaml_bytes)
    return project


def test_dbt_parse_validate_and_query_match_the_preview(db, organisation, tmp_path, monkeypatch):
    version = contacts(tmp_path / "contacts.parquet")
    release = computable_release(organisation, version)
    yaml_bytes = render_dbt(release)
    project = _project(tmp_path, version.path, yaml_bytes)
    _run([f"{BIN}/dbt", "parse"], project)
    _run([f"{BIN}/dbt", "build"], project)
    _run([f"{BIN}/mf", "validate-configs"], project)
    # Every computable KPI, month by month, against the app's own preview of its definition.
    names = {e.name: metric_name(str(e.kpi_uid)) for e in release.entries.all()}
    checked = [n for n in names if n in KPIS or n in EXTRA]
    checked = [n for n in checked if n != "Fatigue pulse after multichannel shifts"]
    csv_path = tmp_path / "mf.csv"
    _run(
        [
            f"{BIN}/mf", "query", "--metrics", ",".join(names[n] for n in checked),
            "--group-by", "metric_time__month", "--order", "metric_time__month",
            "--csv", str(csv_path),
        ],
        project,
    )  # fmt: skip
    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    monkeypatch.setattr(preview, "parquet_path", lambda v: str(v.path))
    for kpi in checked:
        definition = Definition.from_dict(spec_of(KPIS.get(kpi, kpi)))
        ours = preview.preview_compute(definition=definition, version=version, periods=12)
        assert ours["computable"] and len(ours["series"]) == 12, kpi
        mf = {r["metric_time__month"][:10]: r[names[kpi]] for r in rows}
        for point in ours["series"]:
            value = mf[point["period"]]
            assert float(value) == pytest.approx(point["value"], rel=1e-9), (kpi, point)
    assert len(checked) == 7


def test_openmetadata_metrics_validate_against_the_pinned_model(db, organisation, tmp_path):
    version = contacts(tmp_path / "contacts.parquet", rows=500)
    release = computable_release(organisation, version)
    path = tmp_path / "om.zip"
    path.write_bytes(render_openmetadata(release))
    out = _run([f"{BIN}/python", str(ROOT / "scripts" / "om_validate.py"), str(path)], tmp_path)
    count = len(zipfile.ZipFile(io.BytesIO(path.read_bytes())).namelist()) - 1
    assert f"{count} metrics valid" in out
    index = json.loads(zipfile.ZipFile(path).read("index.json"))
    assert len(index["metrics"]) == count == release.entries.count()
    assert sys.executable  # the app's python built the files; the tool's python read them
