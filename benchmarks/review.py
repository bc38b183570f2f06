"""Throughput of the issue-10 pages (a KPI page with its chart, feedback and values; the
reviews page) against the trivial view, on a real gunicorn.

    .venv/bin/python benchmarks/review.py                 # SQLite
    .venv/bin/python benchmarks/review.py --db postgres   # PostgreSQL on 127.0.0.1:5432

Seeds a release of 50 KPIs; the KPI measured has --answers feedback answers and --values
monthly values. Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import load, make_server, table

SEED = """
import datetime, json
from django.test import Client
from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
from kpiworkshop.reviews.models import EntryReview, Feedback, Measurement

org = Organisation.objects.create(name="Bench", slug="bench")
fac = User.objects.create_user("fac", password="x")
agent = User.objects.create_user("agent", password="x")
Membership.objects.create(user=fac, organisation=org, role=Role.FACILITATOR)
Membership.objects.create(user=agent, organisation=org, role=Role.AGENT)
release = CatalogRelease.objects.create(organisation=org, major=1, minor=0, language="en",
    effective_date=datetime.date(2026, 1, 1), next_review=datetime.date(2026, 4, 1),
    published_by_name="Bench")
CatalogEntry.objects.bulk_create([CatalogEntry(release=release, position=i, name=f"KPI {i}",
    category="customer", definition={"name": f"KPI {i}", "measures": "What it measures " * 5,
    "unit": "%", "direction": "higher", "baseline": "70%", "target": "80%",
    "thresholds": "72-78", "numerator": "a", "denominator": "b"},
    audiences=[{"slug": "team_leaders", "name": "Team leaders", "kind": "accountable"}],
    training_notes={"en": {"how_to_read": "x", "when_it_moves": "y", "pitfalls": "z",
    "worked_example": "w"}}) for i in range(50)])
entry = release.entries.first()
EntryReview.objects.create(entry=entry, next_review=datetime.date(2026, 3, 1))
answers = ["helps", "unclear", "wrong"]
Feedback.objects.bulk_create([Feedback(entry=e, person=f"u:{k}", role="agent",
    answer=answers[k % 3], comment="A comment" if k % 5 == 0 else "")
    for e in release.entries.all() for k in range(A)])
Measurement.objects.bulk_create([Measurement(organisation=org, kpi_uid=entry.kpi_uid, entry=entry,
    period=datetime.date(2020 + k // 12, k % 12 + 1, 1), value=70 + k % 10) for k in range(V)])
c, a = Client(), Client()
c.force_login(fac)
a.force_login(agent)
print(json.dumps({"kpi": str(entry.kpi_uid), "fac": c.cookies["sessionid"].value,
                  "agent": a.cookies["sessionid"].value}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--answers", type=int, default=100)
    parser.add_argument("--values", type=int, default=36)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    server = make_server(args.db)
    try:
        out = server.manage("shell", "-c", f"A = {args.answers}\nV = {args.values}\n" + SEED)
        data = json.loads(out.strip().splitlines()[-1])
        server.start(workers=args.workers)
        fac = {"Cookie": f"sessionid={data['fac']}"}
        agent = {"Cookie": f"sessionid={data['agent']}"}
        kpi = f"/o/bench/catalogue/1.0/kpi/{data['kpi']}/"
        endpoints = [
            ("trivial view", "/bench/trivial", {}),
            (f"KPI page, chart of {args.values} values, {args.answers} answers (facilitator)",
             kpi, fac),
            ("KPI page (agent, feedback form)", kpi, agent),
            ("reviews page (50 KPIs, flagged)", "/o/bench/reviews/", fac),
            ("home page with the review line (facilitator)", "/", fac),
            ("dbt export (50 KPIs, on demand)", "/o/bench/catalogue/1.0/datastack/dbt/", agent),
        ]  # fmt: skip
        for _name, path, headers in endpoints:
            load(server.port, "warm", lambda i, t, p=path, h=headers: ("GET", p, None, h),
                 concurrency=2, duration=0.5)  # fmt: skip
        results = [
            load(
                server.port,
                name,
                lambda i, t, p=path, h=headers: ("GET", p, None, h),
                concurrency=args.concurrency,
                duration=args.duration,
            )
            for name, path, headers in endpoints
        ]
        print(
            f"\n{args.db}, gunicorn {args.workers} workers × 4 threads, {args.concurrency} "
            f"connections, {args.duration:.0f} s per endpoint, "
            f"Python {platform.python_version()}\n"
        )
        print(table(results, results[0]))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
