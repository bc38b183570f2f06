"""200 participants voting at once against a real gunicorn, plus the live board's polls.

    .venv/bin/python benchmarks/voting.py                  # SQLite
    .venv/bin/python benchmarks/voting.py --db postgres    # PostgreSQL on 127.0.0.1:5432
    .venv/bin/python benchmarks/voting.py --db postgres --tree 4713f55   # that commit's code

Every simulated participant is a guest with its own device cookie and keep-alive connection;
all are released together and each spends its dots (--votes taps) on a dot-voting round. Then
the projector board's live fragment is polled, changed (no If-None-Match) and unchanged (with
it: 304), the live results fragment and the ballot pages are loaded. Each of these GET
endpoints is measured --runs times (default 3), each run after 2 s of the trivial view served by
the same server, and reported as the median ratio with its spread, as ``pages.py`` does.
"""

import argparse
import http.client
import json
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (
    ROOT,
    Result,
    balanced,
    load,
    make_server,
    measure_rounds,
    page_weight,
    repeated_table,
    require_wrk,
    run_threads,
    table,
    tree_of,
    weight_table,
    wrk_load,
)

SEED = """
import json
from django.core import signing
from django.test import Client
from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.kpis.models import Category, Proposal, Revision
from kpiworkshop.voting import services as vs
from kpiworkshop.workshops.models import Participant, Stage, new_guest_key
from kpiworkshop.workshops import services

org = Organisation.objects.create(name="Bench", slug="bench")
fac = User.objects.create_user("fac", password="x")
Membership.objects.create(user=fac, organisation=org, role=Role.FACILITATOR)
w = services.workshop_create(user=fac, organisation=org, title="Bench workshop")
w.stage = Stage.VOTE
w.save()
fp = Participant.objects.get(workshop=w, user=fac)
for i in range(PROPOSALS):
    p = Proposal.objects.create(workshop=w, author=fp)
    r = Revision.objects.create(proposal=p, number=1, author=fp, name=f"KPI {i}",
                                measures="What it measures", category=Category.CUSTOMER)
    p.current_revision = r
    p.save()
ballot = vs.ballot_create(actor=fp, workshop=w, title="Dots", method="dots", dot_budget=BUDGET,
                          visibility="always")
ballot = vs.ballot_open(actor=fp, ballot=ballot)
roles = [Role.AGENT, Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER]
guests = Participant.objects.bulk_create([
    Participant(workshop=w, guest_key=new_guest_key(), display_name=f"P{i}", role=roles[i % 5])
    for i in range(N)
])
signer = signing.get_cookie_signer(salt="kpiw_guest" + "kpiw.guest")
c = Client()
c.force_login(fac)
print(json.dumps({
    "workshop": w.pk, "ballot": ballot.pk, "session": c.cookies["sessionid"].value,
    "proposals": list(ballot.items.values_list("proposal_id", flat=True)),
    "guests": [signer.sign(g.guest_key) for g in guests],
}))
"""


CSRF = "benchmarkcsrfsecret0123456789abc"  # 32 characters: an unmasked CSRF secret


def csrf_free_post(path: str, fields: dict, cookie: str) -> tuple:
    """A form POST as htmx sends it: the CSRF cookie and the same token in X-CSRFToken."""
    body = "&".join(f"{k}={v}" for k, v in fields.items())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{cookie}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "HX-Request": "true",
    }
    return "POST", path, body, headers


def voting_storm(port: int, data: dict, votes: int, think: float) -> Result:
    """Each participant in its own thread and connection; all start together. With ``think``
    > 0 each waits 0.5-1.5 x think seconds before each tap (people read the card), as in a
    room; with 0 every tap is fired back to back (a worst-case burst)."""
    w, b = data["workshop"], data["ballot"]
    path = f"/w/{w}/ballots/{b}/vote/"
    n = len(data["guests"])
    barrier = threading.Barrier(n)
    result = Result(f"vote ({n} at once, think {think:g} s)")
    lock = threading.Lock()

    def participant(i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        cookie = f"kpiw_guest={data['guests'][i]}"
        mine: dict[int, int] = {}
        local, errors, statuses = [], 0, {}
        barrier.wait()
        for _ in range(votes):
            if think:
                time.sleep(rng.uniform(0.5, 1.5) * think)
            pid = rng.choice(data["proposals"])
            mine[pid] = mine.get(pid, 0) + 1
            method, p, body, headers = csrf_free_post(
                path, {"proposal": pid, "value": mine[pid]}, cookie
            )
            t0 = time.perf_counter()
            try:
                conn.request(method, p, body=body, headers=headers)
                resp = conn.getresponse()
                text = resp.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            local.append(time.perf_counter() - t0)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            if resp.status >= 400 or b"alert-danger" in text:
                errors += 1
        with lock:
            result.add(local, errors, statuses)

    return run_threads(n, participant, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--proposals", type=int, default=20)
    parser.add_argument("--votes", type=int, default=5, help="taps per participant (= dots)")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each GET endpoint (median and spread)"
    )
    parser.add_argument("--poll-connections", type=int, default=2)
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds between a person's taps (0: burst)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--generator",
        choices=["wrk", "python"],
        default="wrk",
        help="for the GET endpoints: wrk (compiled, default) or Python threads; the vote storm "
        "is always Python threads (each one a person with a pace)",
    )
    parser.add_argument(
        "--tree",
        metavar="COMMIT_OR_DIR",
        help="serve that source tree (a commit of this repository, or a directory) instead of "
        "this checkout: the same benchmark on older code",
    )
    args = parser.parse_args()
    if args.generator == "wrk":
        require_wrk()

    tmp = Path(tempfile.mkdtemp(prefix="kpiw-tree-"))
    root = tree_of(args.tree, tmp) if args.tree else ROOT
    server = make_server(args.db, root=root)
    try:
        seed = (
            f"N = {args.participants}\nPROPOSALS = {args.proposals}\nBUDGET = {args.votes}\n" + SEED
        )
        data = json.loads(server.manage("shell", "-c", seed).strip().splitlines()[-1])
        server.start(workers=args.workers)
        w, b = data["workshop"], data["ballot"]
        fac = {"Cookie": f"sessionid={data['session']}"}
        guest = {"Cookie": f"kpiw_guest={data['guests'][0]}", "HX-Request": "true"}
        board = f"/w/{w}/ballots/{b}/board/?fragment=live"

        def get(endpoint, duration=None):
            """One GET endpoint under load, by the chosen generator: (name, path, headers,
            connections, cookies to take in turn)."""
            name, path, headers, concurrency, cookies = endpoint
            duration = duration or args.duration
            if args.generator == "wrk":
                # Measured again when one gunicorn worker took every connection (``balanced``).
                return balanced(lambda: wrk_load(
                    server.port, name, path, headers, cookies=cookies, concurrency=concurrency,
                    server=server, duration=duration))  # fmt: skip
            rotate = cookies or [headers.get("Cookie", "")]
            return load(server.port, name,
                        lambda i, t: ("GET", path, None, headers | {"Cookie": rotate[i % len(rotate)]}),
                        concurrency=concurrency, duration=duration)  # fmt: skip

        trivial = ("trivial view", "/bench/trivial", {}, 8, None)
        load(server.port, "warm", lambda i, t: ("GET", "/bench/trivial", None, {}),
             concurrency=4, duration=1)  # fmt: skip
        baseline = get(trivial, duration=2)
        storm = voting_storm(server.port, data, args.votes, args.think)
        # The storm wrote 1 000 votes: a live server's autovacuum analyses the table within a
        # minute; the pages below are read as they would be then.
        server.analyze()

        # The board: a fresh poll after every change, and an unchanged one answered 304.
        conn = http.client.HTTPConnection("127.0.0.1", server.port)
        conn.request("GET", board, headers=guest)
        resp = conn.getresponse()
        resp.read()
        etag = resp.getheader("ETag")
        # A room has one projector (and perhaps a facilitator's laptop) polling: latency is
        # measured with --poll-connections (2), not under a saturating load. The live results
        # fragment and the ballot page at the room's load: every phone of the room in turn.
        pc = args.poll_connections
        phones = [f"kpiw_guest={g}" for g in data["guests"]]
        page = f"/w/{w}/ballots/{b}/"
        endpoints = [
            (f"board poll, changed (200), {pc} pollers", board, guest, pc, None),
            (f"board poll, unchanged (304), {pc} pollers", board,
             guest | {"If-None-Match": etag}, pc, None),
            ("live results fragment (8 connections)", board, guest, 8, None),
            (f"ballot page (phone, {args.participants} phones in turn)", page, {}, 8, phones),
            ("ballot page (facilitator, results)", page, fac, 8, None),
        ]  # fmt: skip
        # Each endpoint --runs times, each run after 2 s of the trivial view (its neighbour for
        # the ratio: the shared machine's load drifts), in rounds (pages.py does the same).
        rows = measure_rounds(endpoints, get, lambda: get(trivial, duration=2), runs=args.runs)
        print(
            f"\n{args.db}: gunicorn {args.workers} workers × 4 threads; {args.participants} "
            f"participants × {args.votes} dot taps on {args.proposals} proposals, all released "
            f"at once; board polls from {args.poll_connections} connections, pages from 8, "
            f"generator {args.generator} (the storm: Python threads), "
            f"{args.duration:.0f} s each, {args.runs} runs of each GET endpoint; "
            f"Python {platform.python_version()}\n"
        )
        print(table([baseline, storm], baseline, [baseline, baseline]))
        print(f"\nvotes recorded without error: {len(storm.latencies) - storm.errors} of "
              f"{args.participants * args.votes}; wall time of the storm {storm.elapsed:.1f} s")  # fmt: skip
        print(f"vote throughput {storm.rps:.0f}/s = 1/{baseline.rps / storm.rps:.1f} of the trivial "
              f"view; the storm's Python generator used {100 * storm.generator_share:.0f}% of "
              "the machine\n")  # fmt: skip
        print(repeated_table(rows))
        print(
            f"\nEach of the {args.runs} runs' ratio is to the trivial view measured (2 s) just "
            "before that endpoint in that run; shown: the median of the runs, in brackets their "
            "spread (min–max). p50/p95/p99: the median of the runs'."
        )
        again = sum(r.retried + t.retried for row in rows for r, t in row.runs)
        print(
            f"Runs measured again because one of the {args.workers} gunicorn workers served "
            f"(nearly) every connection: {again}."
        )
        phone = {"Cookie": f"kpiw_guest={data['guests'][1]}"}
        weights = [
            ("ballot page (phone, 20 proposals)", page_weight(server.port, f"/w/{w}/ballots/{b}/", phone)),
        ]  # fmt: skip
        print("\nPage weight (a browser accepting br and gzip):\n")
        print(weight_table(weights))
        print(f"\ncommand: {' '.join(['benchmarks/voting.py', *sys.argv[1:]])}")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
