"""Releases whose entries carry computable definitions over the synthetic contacts dataset
(issue 19), for the dbt and OpenMetadata export tests."""

from pathlib import Path
from types import SimpleNamespace

import duckdb

from kpiworkshop.catalog.models import CatalogEntry
from kpiworkshop.datasets import demo, ingest, library, synthetic

from .review_helpers import make_release

#: The demo's definitions (kpiworkshop/datasets/demo.py, by name) and the library's
#: (kpiworkshop/datasets/library.py, by slug), by KPI name in the release.
KPIS = {
    "Repeat contacts in digital channels": "Repeat contacts in digital channels",
    "First contact resolution": "first-contact-resolution",
    "Chatbot escalation rate": "chatbot-escalation-rate",
    "Average handling time": "AHT in minutes",
    "Time to reach a human": "Time to reach a human",
    "Fatigue pulse after multichannel shifts": "Fatigue pulse after multichannel shifts",
}
DISTINCT = {"numerator": {"agg": "count_distinct", "column": "customer_id"}}
#: The scorecard's AHT, stated in minutes (the library's is a ratio in seconds).
AHT_MINUTES = {
    "numerator": {"agg": "avg", "expr": "handle_time_s / 60.0"},
    "filters": [{"column": "handled_by", "op": "is_not", "value": "chatbot"}],
}
P90 = {"numerator": {"agg": "p90", "column": "wait_time_s"}, "where": "channel <> 'email'"}


def contacts(path: Path, rows: int = 4000) -> SimpleNamespace:
    """The synthetic dataset as Parquet at ``path`` and a stand-in for its version (the
    columns as ingest describes them)."""
    synthetic.generate(path, rows=rows)
    con = duckdb.connect(":memory:")
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({ingest.lit(str(path))})"  # noqa: S608
        ).fetchall()
    finally:
        con.close()
    columns = [
        {
            "name": name,
            "type": duck_type,
            "family": ingest.family(duck_type),
            "non_null": True,
            "description": synthetic.DESCRIPTIONS.get(name, ""),
        }
        for name, duck_type, *_rest in described
    ]
    return SimpleNamespace(pk=1, columns=columns, path=path)


def spec_of(key: str) -> dict:
    spec = (
        {"Distinct customers": DISTINCT, "Wait p90": P90, "AHT in minutes": AHT_MINUTES}.get(key)
        or demo.DEFINITIONS.get(key)
        or library.DEFINITIONS[key]
    )
    return {"time_column": "started_at", "grain": "month", "dimensions": demo.DIMENSIONS, **spec}


#: The KPI design template's fields (issue 20), on every entry, so the tools read them too.
USE_VALUES = {
    "key_question": "Do customers have to come back?",
    "intended_use": "Team reviews and **process** fixes.",
    "not_used_for": 'Not for individual bonuses: "control is only one purpose".',
    "collection_method": "Computed nightly from the CRM's contact log.",
    "collection_frequency": "daily",
    "custodian": "CRM analytics team",
    "limitations": "Anonymous contacts drop out.",
    "lead_lag": "leading",
}


def computable_release(organisation, version: SimpleNamespace):
    names = (*KPIS, "Distinct customers", "Wait p90", "Words only")
    release = make_release(organisation, names=names)
    columns = [{k: c[k] for k in ("name", "type", "description")} for c in version.columns]
    for entry in CatalogEntry.objects.filter(release=release):
        if entry.name == "Words only":
            continue
        key = KPIS.get(entry.name, entry.name)
        entry.definition = (
            entry.definition
            | USE_VALUES
            | {"computable": {"dataset": "contacts", "spec": spec_of(key), "columns": columns}}
        )
        entry.save()
    return release
