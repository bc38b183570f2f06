"""The tally of 100 000 votes: one aggregate query (DESIGN.md §8: < 100 ms).

    .venv/bin/python benchmarks/tally.py                 # SQLite (temp file)
    .venv/bin/python benchmarks/tally.py --db postgres   # PostgreSQL on 127.0.0.1:5432

Builds a dot-voting ballot with --voters voters × --per-voter votes (1000 × 100 = 100 000) in a
throwaway database, then times `tally_rows` (the single grouped query) and the whole
`results_for_ballot` (tally + turnout + per-group arithmetic) --repeat times.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, make_server

SCRIPT = r"""
import random, statistics, time
from django.db import connection
from django.utils import timezone
from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.kpis.models import Category, Proposal, Revision
from kpiworkshop.voting import selectors, services as vs
from kpiworkshop.voting.models import Ballot, Vote, Voter
from kpiworkshop.workshops.models import Participant, Stage, new_guest_key
from kpiworkshop.workshops import services

org = Organisation.objects.create(name="T", slug="t")
fac = User.objects.create_user("fac")
Membership.objects.create(user=fac, organisation=org, role=Role.FACILITATOR)
w = services.workshop_create(user=fac, organisation=org, title="Tally")
w.stage = Stage.VOTE; w.save()
fp = Participant.objects.get(workshop=w, user=fac)
props = []
for i in range(PER_VOTER):
    p = Proposal.objects.create(workshop=w, author=fp)
    r = Revision.objects.create(proposal=p, number=1, author=fp, name=f"KPI {i}", measures="m", category=Category.CUSTOMER)
    p.current_revision = r; p.save(); props.append(p)
ballot = vs.ballot_create(actor=fp, workshop=w, title="T", method="approval", visibility="always")
ballot = vs.ballot_open(actor=fp, ballot=ballot)
crit = ballot.criteria.first()
roles = [Role.AGENT, Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER]
voters = Participant.objects.bulk_create([
    Participant(workshop=w, guest_key=new_guest_key(), display_name=f"P{i}", role=roles[i % 5]) for i in range(VOTERS)])
Voter.objects.bulk_create([Voter(ballot=ballot, participant=v, role=v.role) for v in voters])
rng = random.Random(1)
now = timezone.now()
batch = []
for v in voters:
    for p in props:
        batch.append(Vote(ballot=ballot, participant=v, proposal=p, criterion=crit, role=v.role, value=rng.random() < 0.4, updated_at=now))
    if len(batch) >= 20000:
        Vote.objects.bulk_create(batch); batch = []
Vote.objects.bulk_create(batch)
if connection.vendor == "postgresql":
    with connection.cursor() as c: c.execute("VACUUM ANALYZE voting_vote")
else:
    with connection.cursor() as c: c.execute("ANALYZE")
n = Vote.objects.filter(ballot=ballot).count()
def timeit(fn):
    fn()
    ts = []
    for _ in range(REPEAT):
        t = time.perf_counter(); fn(); ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts), max(ts)
tq = timeit(lambda: selectors.tally_rows(ballot=ballot))
tr = timeit(lambda: selectors.results_for_ballot(ballot=ballot))
te = timeit(lambda: selectors.ballot_version(ballot=Ballot.objects.get(pk=ballot.pk)))  # the board ETag's version
print(f"| {connection.vendor} | {n:,} | {tq[0]:.1f} ({tq[1]:.1f}) | {tr[0]:.1f} ({tr[1]:.1f}) | {te[0]:.1f} ({te[1]:.1f}) |")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--per-voter", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    server = make_server(args.db)
    try:
        code = (
            f"VOTERS = {args.voters}\nPER_VOTER = {args.per_voter}\nREPEAT = {args.repeat}\n"
            + SCRIPT
        )
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=server.env | {"PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
            check=True,
        )
        print(
            "| database | votes | tally query ms, median (max) | full results ms | board ETag ms |"
        )
        print("|---|---:|---:|---:|---:|")
        print(out.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
        os.environ.pop("KPIW_SQLITE_PATH", None)


if __name__ == "__main__":
    main()
