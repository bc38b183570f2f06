"""A KPI preview with its breakdowns over 1 000 000 dataset rows (DESIGN.md §8: < 300 ms warm),
and the conversion of a 1 000 000-row CSV (time and peak memory of the converting process).

    .venv/bin/python benchmarks/dataset_preview.py                # 1 000 000 rows
    .venv/bin/python benchmarks/dataset_preview.py --rows 200000 --repeat 5

Generates the synthetic "contacts" dataset (the demo's generator, same seed) at --rows rows in
a temporary media directory, converts it through the upload path (``ingest.convert``, in a
child process so its peak RSS is its own), then times ``preview_compute`` for three demo KPIs
(each: latest value, last 6 months, breakdowns by channel, who handled it, segment and request
type, from one grouping-sets query in the DuckDB sandbox): the first run (cold) and the median
and max of --repeat warm runs, and a cached preview (the Django cache hit a page gets).
No database is needed. The CPU column (process time over all DuckDB threads) moves less with
the machine's load than the wall-clock figures do.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONVERT = r"""
import json, resource, sys, time
from pathlib import Path
import django
django.setup()
from kpiworkshop.datasets import ingest
source, out = Path(sys.argv[1]), Path(sys.argv[2])
t = time.perf_counter()
result = ingest.convert(source=source, source_format=source.suffix[1:], out=out)
print(json.dumps({
    "seconds": time.perf_counter() - t,
    "rows": result.row_count,
    "columns": result.columns,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

KPIS = {
    "repeat contact rate (ratio of filtered counts)": {
        "numerator": {
            "agg": "count",
            "filters": [{"column": "repeat_contact_7d", "op": "is_true"}],
        },
        "denominator": {"agg": "count"},
        "filters": [{"column": "channel", "op": "in", "value": ["chat", "email", "social"]}],
        "scale": 100,
    },
    "average handling time (avg of an expression)": {
        "numerator": {"agg": "avg", "expr": "handle_time_s / 60.0"},
        "filters": [{"column": "handled_by", "op": "is_not", "value": "chatbot"}],
    },
    "90th percentile wait (p90)": {
        "numerator": {"agg": "p90", "column": "wait_time_s"},
        "filters": [{"column": "channel", "op": "in", "value": ["voice", "chat"]}],
    },
}
DIMENSIONS = ["channel", "handled_by", "customer_segment", "request_type"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--skip-csv", action="store_true", help="skip the CSV conversion")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kpiw-bench-ds-"))
    os.environ["KPIW_MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpiworkshop.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import duckdb
    from django.core.cache import cache

    from kpiworkshop.datasets import synthetic
    from kpiworkshop.datasets.definition import Definition
    from kpiworkshop.datasets.preview import preview_compute

    t = time.perf_counter()
    generated = synthetic.generate(tmp / "generated.parquet", rows=args.rows)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - t:.2f} s")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    media = tmp / "media" / "datasets"
    media.mkdir(parents=True)
    target = media / "contacts.parquet"
    sources = [generated]
    if not args.skip_csv:
        csv = tmp / "contacts.csv"
        # Our own temporary paths, not input.
        copy = f"COPY (SELECT * FROM read_parquet('{generated}')) TO '{csv}' (HEADER)"  # noqa: S608
        duckdb.connect().execute(copy)
        sources.insert(0, csv)
    converted = None
    for source in sources:
        out = target if source.suffix == ".parquet" else tmp / "from-csv.parquet"
        proc = subprocess.run(
            [sys.executable, "-c", CONVERT, str(source), str(out)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        converted = json.loads(proc.stdout.strip().splitlines()[-1])
        size = source.stat().st_size / 1e6
        print(
            f"convert {source.suffix[1:]:7} ({size:,.0f} MB): {converted['seconds']:.2f} s, "
            f"peak RSS {converted['peak_rss_mb']:.0f} MB"
        )

    class Version:
        pk = 1
        columns = converted["columns"]

        class file:
            name = "datasets/contacts.parquet"

    print(f"\npreview over {args.rows:,} rows, 6 periods, breakdowns by {', '.join(DIMENSIONS)}")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        "| KPI | first ms | warm median ms | warm max ms | warm CPU ms (all threads) | cached ms |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, spec in KPIS.items():
        full = {"time_column": "started_at", "grain": "month", "dimensions": DIMENSIONS, **spec}
        definition = Definition.from_dict(full)
        t = time.perf_counter()
        result = preview_compute(definition=definition, version=Version())
        first = (time.perf_counter() - t) * 1000
        assert result["computable"] and len(result["breakdowns"]) == 4, result
        runs, cpu = [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            preview_compute(definition=definition, version=Version())
            runs.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        cache.set("bench-preview", result)
        t = time.perf_counter()
        cache.get("bench-preview")
        cached = (time.perf_counter() - t) * 1000
        print(
            f"| {label} | {first:.0f} | {statistics.median(runs):.0f} | {max(runs):.0f} "
            f"| {statistics.median(cpu):.0f} | {cached:.2f} |"
        )


if __name__ == "__main__":
    main()
