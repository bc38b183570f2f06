"""A 100-KPI catalogue's measured values for a new dataset version (DESIGN.md §8: < 30 s in a
worker).

    .venv/bin/python benchmarks/dataset_values.py                     # demo size, 100 KPIs
    .venv/bin/python benchmarks/dataset_values.py --rows 1000000 --kpis 100

In a throwaway SQLite database and media directory: generates the synthetic "contacts" dataset
(the demo's generator) at --rows rows, converts it through the upload path, seeds a published
release of --kpis entries whose KPIs each have a computable definition over it (five shapes:
ratios of filtered counts, averages of an expression, 90th percentiles, distinct counts, sums;
each broken down by two to four dimensions), then times the worker's task body
(``reviews.services.measurements_compute``: one grouping-sets query per KPI over every period
and dimension, then the values written in bulk) for a new version, and a second run (nothing to
change: idempotent). KPIs that share time column, grain and dimensions share a scan (here five
groups); ``--one-per-query`` times the worst case, one query per KPI.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SHAPES = [
    {
        "numerator": {
            "agg": "count",
            "filters": [{"column": "repeat_contact_7d", "op": "is_true"}],
        },
        "denominator": {"agg": "count"},
        "filters": [{"column": "channel", "op": "in", "value": ["chat", "email", "social"]}],
        "scale": 100,
        "dimensions": ["channel", "handled_by"],
    },
    {
        "numerator": {"agg": "avg", "expr": "handle_time_s / 60.0"},
        "filters": [{"column": "handled_by", "op": "is_not", "value": "chatbot"}],
        "dimensions": ["channel", "handled_by", "customer_segment", "request_type"],
    },
    {
        "numerator": {"agg": "p90", "column": "wait_time_s"},
        "filters": [{"column": "channel", "op": "in", "value": ["voice", "chat"]}],
        "dimensions": ["channel", "customer_segment", "request_type"],
    },
    {
        "numerator": {"agg": "count_distinct", "column": "customer_id"},
        "dimensions": ["channel", "request_type"],
    },
    {
        "numerator": {"agg": "sum", "column": "handle_time_s"},
        "denominator": {"agg": "count"},
        "dimensions": ["handled_by", "customer_segment"],
    },
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="dataset rows (default: demo size)")
    parser.add_argument("--kpis", type=int, default=100)
    parser.add_argument(
        "--one-per-query",
        action="store_true",
        help="no shared scans (every KPI its own query: a catalogue whose KPIs differ in time "
        "column, grain or dimensions)",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kpiw-bench-values-"))
    os.environ["KPIW_MEDIA_ROOT"] = str(tmp / "media")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'db.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiworkshop.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import datetime

    from kpiworkshop.accounts.models import Organisation
    from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
    from kpiworkshop.datasets import ingest, synthetic
    from kpiworkshop.datasets.definition import Definition
    from kpiworkshop.datasets.models import Dataset, DatasetVersion, KpiDefinition
    from kpiworkshop.kpis.models import Proposal, ProposalState, Revision
    from kpiworkshop.reviews import services
    from kpiworkshop.reviews.models import Measurement
    from kpiworkshop.workshops.models import Participant, Stage, Workshop, new_guest_key

    if args.one_per_query:
        from kpiworkshop.datasets import values

        values.BATCH = 1
        values._group_key = id
    rows = args.rows or synthetic.DEFAULT_ROWS
    t = time.perf_counter()
    generated = synthetic.generate(tmp / "generated.parquet", rows=rows)
    media = tmp / "media" / "datasets"
    media.mkdir(parents=True)
    converted = ingest.convert(
        source=generated, source_format="parquet", out=media / "contacts.parquet"
    )
    print(f"dataset: {rows:,} rows, generated and converted in {time.perf_counter() - t:.1f} s")
    names = {c["name"] for c in converted.columns}

    org = Organisation.objects.create(name="Bench", slug="bench")
    workshop = Workshop.objects.create(organisation=org, title="Bench", stage=Stage.PUBLISHED)
    author = Participant.objects.create(
        workshop=workshop, guest_key=new_guest_key(), display_name="Mara", role="manager"
    )
    dataset = Dataset.objects.create(organisation=org, name="contacts")

    def version(number: int) -> DatasetVersion:
        v = DatasetVersion.objects.create(
            dataset=dataset, number=number, status="ready", progress=100,
            source_format="parquet", file="datasets/contacts.parquet",
            row_count=converted.row_count, columns=converted.columns,
        )  # fmt: skip
        Dataset.objects.filter(pk=dataset.pk).update(current_version=v)
        return v

    version(1)
    proposals = Proposal.objects.bulk_create(
        [
            Proposal(workshop=workshop, author=author, state=ProposalState.APPROVED)
            for _ in range(args.kpis)
        ]
    )
    revisions = Revision.objects.bulk_create(
        [
            Revision(proposal=p, number=1, author=author, name=f"KPI {i:03d}", category="customer")
            for i, p in enumerate(proposals)
        ]
    )
    for p, r in zip(proposals, revisions, strict=True):
        p.current_revision = r
    Proposal.objects.bulk_update(proposals, ["current_revision"])
    specs = []
    for i in range(args.kpis):
        spec = {"time_column": "started_at", "grain": "month"} | SHAPES[i % len(SHAPES)]
        assert Definition.from_dict(spec).columns() <= names, spec
        specs.append(Definition.from_dict(spec).to_dict())
    KpiDefinition.objects.bulk_create(
        [
            KpiDefinition(revision=r, organisation=org, dataset=dataset, spec=s)
            for r, s in zip(revisions, specs, strict=True)
        ]
    )
    release = CatalogRelease.objects.create(
        organisation=org, major=1, minor=0, language="en", workshop=workshop,
        effective_date=datetime.date(2026, 1, 1), published_by_name="Fran",
    )  # fmt: skip
    CatalogEntry.objects.bulk_create(
        [
            CatalogEntry(
                release=release, proposal=p, position=i, name=f"KPI {i:03d}",
                category="customer", definition={"frequency": "monthly"}, training_notes={},
            )
            for i, p in enumerate(proposals)
        ]
    )  # fmt: skip

    new = version(2)
    t = time.perf_counter()
    written = services.measurements_compute(version_id=new.pk)
    first = time.perf_counter() - t
    t = time.perf_counter()
    again = services.measurements_compute(version_id=new.pk)
    second = time.perf_counter() - t
    total = Measurement.objects.count()
    print(
        f"{args.kpis} KPIs, new version: {first:.2f} s, {written:,} values written "
        f"({total:,} rows); second run {second:.2f} s, {again} changed (budget < 30 s)"
    )


if __name__ == "__main__":
    main()
