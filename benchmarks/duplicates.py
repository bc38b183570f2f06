"""Duplicate detection for 1 000 proposals (DESIGN.md §8: within one page load, < 200 ms).

    .venv/bin/python benchmarks/duplicates.py                 # SQLite (temp file)
    .venv/bin/python benchmarks/duplicates.py --db postgres   # PostgreSQL on 127.0.0.1:5432

Creates --proposals proposals through the real service (each new revision is compared once
with the workshop's others and its likely duplicates stored), about one in ten a reworded copy
of another. Then times, --repeat times: reading the pairs (`duplicate_pairs`, what the merge
page asks), the whole merge page through Django's test client, one more proposal written at
that size (the cost moved to the write), and, for comparison, every pair compared on the spot
(what the merge page did before, with the same early cut-offs).
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, make_server

SCRIPT = r"""
import difflib, random, statistics, time
from itertools import combinations
from django.db import connection
from django.test import Client
from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.kpis import selectors, services as ks, similarity
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops import services
from kpiworkshop.workshops.models import Participant, Stage

WORDS = ("contact resolution first repeat customer effort score chat email voice backlog "
         "answer abandon handling average transfer escalation satisfaction net promoter "
         "complaint refund churn retention cost serve self-care chatbot deflection agent "
         "attrition absence training coaching quality accuracy compliance callback queue "
         "wait service level occupancy adherence schedule forecast sentiment survey "
         "response digital social video ticket reopen knowledge article search").split()
rng = random.Random(7)
org = Organisation.objects.create(name="D", slug="d")
fac = User.objects.create_user("fac")
Membership.objects.create(user=fac, organisation=org, role=Role.FACILITATOR)
w = services.workshop_create(user=fac, organisation=org, title="Duplicates")
w.stage = Stage.PROPOSE; w.save()
fp = Participant.objects.get(workshop=w, user=fac)
made = []
def definition(i):
    if made and rng.random() < 0.1:  # a reworded copy: one word of the name, two of the text
        name, measures = (t.split() for t in rng.choice(made))
        name[rng.randrange(len(name))] = rng.choice(WORDS)
        for _ in range(2):
            measures[rng.randrange(len(measures))] = rng.choice(WORDS)
        name, measures = " ".join(name), " ".join(measures)
    else:
        name = " ".join(rng.sample(WORDS, rng.randint(2, 5)))
        measures = " ".join(rng.sample(WORDS, 12))
    made.append((name, measures))
    return {"name": name[:150], "measures": measures, "category": "customer"}
t0 = time.perf_counter()
for i in range(N - 1):
    ks.proposal_create(actor=fp, workshop=w, definition=definition(i))
build = time.perf_counter() - t0
if connection.vendor == "postgresql":
    with connection.cursor() as c: c.execute("ANALYZE")
w.stage = Stage.REFINE; w.save()
def timeit(fn, repeat=REPEAT):
    fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts), max(ts)
def write_one():
    w.stage = Stage.PROPOSE; w.save()
    ks.proposal_create(actor=fp, workshop=w, definition=definition(N))
    w.stage = Stage.REFINE; w.save()
write_one()  # the N-th proposal
pairs = len(selectors.duplicate_pairs(workshop=w))
read = timeit(lambda: selectors.duplicate_pairs(workshop=w))
client = Client(SERVER_NAME="127.0.0.1")
client.force_login(fac)
from django.urls import reverse
url = reverse("kpis:merge", args=[w.pk])
assert client.get(url).status_code == 200
page = timeit(lambda: client.get(url))
write = timeit(write_one)
def on_the_spot():
    revs = [p.current_revision for p in Proposal.objects.filter(workshop=w, state="open").select_related("current_revision").order_by("id")]
    sigs = [(frozenset(r.signature), r.name) for r in revs]
    return [1 for a, b in combinations(sigs, 2) if similarity.score(a[0], a[1], b[0], b[1], similarity.DUPLICATE_THRESHOLD) >= similarity.DUPLICATE_THRESHOLD]
old = timeit(on_the_spot, repeat=1)
n = Proposal.objects.filter(workshop=w).count()
print(f"| {connection.vendor} | {n:,} | {pairs} | {read[0]:.1f} ({read[1]:.1f}) | {page[0]:.0f} ({page[1]:.0f}) | {write[0]:.1f} ({write[1]:.1f}) | {old[0]:.0f} | {build:.0f} |")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    server = make_server(args.db)
    try:
        code = f"N = {args.proposals}\nREPEAT = {args.repeat}\n" + SCRIPT
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=server.env | {"PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise SystemExit(out.stderr)
        print(
            "| database | proposals | pairs found | read pairs ms, median (max) "
            "| merge page ms | one more proposal written ms | every pair on the spot ms "
            "| building all, s |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        print(out.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
        os.environ.pop("KPIW_SQLITE_PATH", None)


if __name__ == "__main__":
    main()
