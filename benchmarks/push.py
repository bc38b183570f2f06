"""From a tap on one phone to 200 other phones showing it: tap→seen latency on a real gunicorn.

    .venv/bin/python benchmarks/push.py                          # both means, SQLite
    .venv/bin/python benchmarks/push.py --mode live --tap comment
    .venv/bin/python benchmarks/push.py --mode live --tap vote
    .venv/bin/python benchmarks/push.py --db postgres

Every simulated phone is a thread with its own keep-alive connection, doing what a browser page
does (static/js/live.js and the htmx widgets):

- ``poll``  (before issue 21): the stage panel asks ``/w/<id>/status/?v=…`` every
  ``--poll-seconds`` (3, KPIW_STATUS_POLL_SECONDS), each phone at its own phase; 204 while
  unchanged, the new panel when the stage moved.
- ``live``  (issue 21): the page asks the workshop's live signal ``/live/<id>/?t=…`` every
  0.5 s plus up to 0.25 s at random, with If-None-Match (304 while unchanged); when the
  counter moves it fetches its fragment: the stage panel (``--tap stage``), the proposal's
  comment list (``--tap comment``) or the round's live results and turnout (``--tap vote``:
  the projector board's live part, ``board/?fragment=live`` with If-None-Match, which is what
  a screen showing the results fetches; the slow poll is the board's own, every 2 s).

A tap is made over HTTP as a person makes it (the facilitator moving the stage forth and back,
a participant posting a comment, or a participant casting their first vote in an open approval
round, a different one per tap so the turnout moves by one each time), and its time is taken
just before the request is sent. A phone has "seen" the tap when the fragment showing it has
arrived (the new panel, one comment more, or "Voted: n of m" with the tap's n). Reported: tap→seen p50, p95
and max over every (tap, phone) pair, the taps no phone missed, the server's CPU (gunicorn
master and workers, as a share of one core) and the request rate it served, and the machine's
load average (it is shared: say so).
"""

import argparse
import http.client
import json
import os
import platform
import random
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import make_server, require_wrk, wrk_load

SEED = """
import json
from django.core import signing
from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.core.live import live_token
from kpiworkshop.kpis.models import Category, Proposal, Revision
from kpiworkshop.voting import services as vs
from kpiworkshop.workshops.models import Participant, Stage, new_guest_key
from kpiworkshop.workshops import services

org = Organisation.objects.create(name="Bench", slug="bench")
fac = User.objects.create_user("fac", password="x")
Membership.objects.create(user=fac, organisation=org, role=Role.FACILITATOR)
w = services.workshop_create(user=fac, organisation=org, title="Bench workshop")
w.stage = Stage.PROPOSE
w.save()
fp = Participant.objects.get(workshop=w, user=fac)
p = Proposal.objects.create(workshop=w, author=fp)
r = Revision.objects.create(proposal=p, number=1, author=fp, name="First contact resolution",
                            measures="Solved at the first contact", category=Category.CUSTOMER)
p.current_revision = r
p.save()
ballot, items = None, []
if TAP == "vote":
    # An open approval round on 20 KPIs whose results the room sees as they come in.
    w.stage = Stage.VOTE
    w.save()
    for i in range(1, 20):
        q = Proposal.objects.create(workshop=w, author=fp)
        q.current_revision = Revision.objects.create(
            proposal=q, number=1, author=fp, name=f"KPI {i}", measures="What it measures",
            category=Category.CUSTOMER)
        q.save()
    ballot = vs.ballot_create(actor=fp, workshop=w, title="Round", method="approval",
                              visibility="always")
    ballot = vs.ballot_open(actor=fp, ballot=ballot)
    items = list(ballot.items.values_list("proposal_id", flat=True))
roles = [Role.AGENT, Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER]
guests = Participant.objects.bulk_create([
    Participant(workshop=w, guest_key=new_guest_key(), display_name=f"P{i}", role=roles[i % 5])
    for i in range(N)
])
# The facilitator taps from a phone too: a guest device holding the facilitator role.
tapper = Participant.objects.create(workshop=w, guest_key=new_guest_key(), display_name="Fac",
                                    role=Role.FACILITATOR)
signer = signing.get_cookie_signer(salt="kpiw_guest" + "kpiw.guest")
print(json.dumps({
    "workshop": w.pk, "proposal": p.pk, "version": w.state_version,
    "ballot": ballot.pk if ballot else None, "items": items,
    "token": live_token(workshop_id=w.pk),
    "guests": [signer.sign(g.guest_key) for g in guests],
    "tapper": signer.sign(tapper.guest_key),
}))
"""

CSRF = "benchmarkcsrfsecret0123456789abc"  # 32 characters: an unmasked CSRF secret
PANEL_VERSION = re.compile(rb"/status/\?v=(\d+)")
TURNOUT = re.compile(rb'data-testid="turnout"[^>]*>\D*(\d+)')  # "Voted: 3 of 201"


def post(conn, path: str, fields: dict, cookie: str) -> http.client.HTTPResponse:
    body = "&".join(f"{k}={v}" for k, v in fields.items())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{cookie}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "HX-Request": "true",
    }
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp


class Room:
    """The taps made so far and, per tap, when each phone saw it."""

    def __init__(self, phones: int) -> None:
        self.lock = threading.Lock()
        self.t0: list[float] = []
        self.seen: list[dict[int, float]] = []
        self.phones = phones
        self.stop = threading.Event()
        self.requests = 0
        self.errors = 0

    def tapped(self, t0: float) -> int:
        with self.lock:
            self.t0.append(t0)
            self.seen.append({})
            return len(self.t0) - 1

    def saw(self, tap: int, phone: int, when: float) -> None:
        with self.lock:
            if 0 <= tap < len(self.seen) and phone not in self.seen[tap]:
                self.seen[tap][phone] = when

    def count(self, n: int = 1, errors: int = 0) -> None:
        with self.lock:
            self.requests += n
            self.errors += errors


def phone(i: int, port: int, data: dict, room: Room, args) -> None:
    """One phone's page: the live signal or the slow poll, and the fragment it fetches."""
    rng = random.Random(i)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    cookie = f"kpiw_guest={data['guests'][i]}"
    w = data["workshop"]
    version = data["version"]  # the stage panel's version, as the page was rendered
    base_comments = data.get("comments_shown", 0)  # shown when this means started
    comments = base_comments  # comments shown by this phone
    base_voted = data.get("voted_shown", 0)
    voted = base_voted  # the turnout shown by this phone
    board_etag = None  # the board's live part, as this phone last fetched it
    etag = None
    live = f"/live/{w}/?t={data['token']}"
    fragment_headers = {"Cookie": cookie, "HX-Request": "true"}

    def get(path: str, headers: dict) -> tuple[int, bytes, http.client.HTTPResponse]:
        nonlocal conn
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            room.count(errors=1)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            return 0, b"", None
        room.count(errors=int(resp.status >= 500))
        return resp.status, body, resp

    def fetch_fragment() -> None:
        nonlocal version, comments, voted, board_etag
        if args.tap == "vote":
            path = f"/w/{w}/ballots/{data['ballot']}/board/?fragment=live"
            headers = fragment_headers | ({"If-None-Match": board_etag} if board_etag else {})
            status, body, resp = get(path, headers)
            found = TURNOUT.search(body) if status == 200 else None
            if found:
                board_etag = resp.getheader("ETag")
                now = time.perf_counter()
                for n in range(voted + 1, int(found.group(1)) + 1):
                    room.saw(n - base_voted - 1, i, now)
                voted = max(voted, int(found.group(1)))
        elif args.tap == "stage":
            status, body, _r = get(f"/w/{w}/status/?v={version}", fragment_headers)
            found = PANEL_VERSION.search(body) if status == 200 else None
            if found and int(found.group(1)) != version:
                version = int(found.group(1))
                room.saw(version - data["version"] - 1, i, time.perf_counter())
        else:
            path = f"/w/{w}/proposals/{data['proposal']}/?fragment=comment-list"
            status, body, _r = get(path, fragment_headers)
            shown = body.count(b'data-testid="comment"') if status == 200 else comments
            now = time.perf_counter()
            for n in range(comments + 1, shown + 1):  # every comment arrived with this fetch
                room.saw(n - base_comments - 1, i, now)
            comments = max(comments, shown)

    if args.mode == "poll":
        # A page loaded at a random moment: its poll runs at its own phase.
        time.sleep(rng.uniform(0, args.poll_seconds))
        while not room.stop.is_set():
            fetch_fragment()
            time.sleep(args.poll_seconds)
        return
    pace = args.live_ms / 1000
    while not room.stop.is_set():
        headers = {"If-None-Match": etag} if etag else {}
        status, _body, resp = get(live, headers)
        if status == 200:
            new = resp.getheader("ETag")
            if etag is not None and new != etag:
                fetch_fragment()
            etag = new
        time.sleep(pace + rng.uniform(0, pace / 2))


def tapper(port: int, data: dict, room: Room, args) -> None:
    """The taps: stage moves forth and back, comments, or first votes of different people;
    each after the room saw the last."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    w = data["workshop"]
    cookie = f"kpiw_guest={data['tapper']}"
    stages = ["propose", "refine"]
    done = data.get("taps_done", 0)
    time.sleep(args.settle)
    for k in range(done, done + args.taps):
        t0 = time.perf_counter()
        tap = room.tapped(t0)  # this means' own numbering, from 0
        if args.tap == "stage":
            now, then = stages[k % 2], stages[(k + 1) % 2]
            resp = post(conn, f"/w/{w}/stage/", {"stage": then, "expected_stage": now}, cookie)
            failed = resp.status >= 400
        elif args.tap == "vote":
            # Phone k votes "yes" on one KPI: its first vote, so the turnout moves by one.
            voter = f"kpiw_guest={data['guests'][k % len(data['guests'])]}"
            fields = {"proposal": data["items"][k % len(data["items"])], "value": 1}
            resp = post(conn, f"/w/{w}/ballots/{data['ballot']}/vote/", fields, voter)
            failed = "voteCast" not in (resp.getheader("HX-Trigger") or "")
        else:
            path = f"/w/{w}/proposals/{data['proposal']}/comments/"
            resp = post(conn, path, {"body": f"Comment {k}", "stance": ""}, cookie)
            failed = resp.status >= 400
        if failed:
            room.count(errors=1)
        deadline = t0 + args.timeout
        while time.perf_counter() < deadline and len(room.seen[tap]) < room.phones:
            time.sleep(0.05)
        time.sleep(random.uniform(0.5, 1.0))
    room.stop.set()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(server, data: dict, args, mode: str) -> dict:
    """One means, on the running server: the phones, the taps, the figures."""
    args.mode = mode
    room = Room(args.phones)
    load_before = load_average()
    cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
    threads = [
        threading.Thread(target=phone, args=(i, server.port, data, room, args), daemon=True)
        for i in range(args.phones)
    ]
    for t in threads:
        t.start()
    tapper(server.port, data, room, args)
    for t in threads:
        t.join(timeout=args.poll_seconds + 5)
    wall = time.perf_counter() - wall0
    cpu = server.cpu_seconds() - cpu0
    # The next means starts where this one left the room.
    data["version"] += len(room.t0) if args.tap == "stage" else 0
    data["comments_shown"] = data.get("comments_shown", 0) + (
        len(room.t0) if args.tap == "comment" else 0
    )
    data["voted_shown"] = data.get("voted_shown", 0) + (len(room.t0) if args.tap == "vote" else 0)
    data["taps_done"] = data.get("taps_done", 0) + len(room.t0)
    latencies = sorted(
        (when - room.t0[k]) * 1000 for k, seen in enumerate(room.seen) for when in seen.values()
    )
    pairs = len(room.t0) * args.phones

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "means": mode,
        "tap": args.tap,
        "taps": len(room.t0),
        "seen": f"{len(latencies)}/{pairs}",
        "p50_ms": round(statistics.median(latencies)) if latencies else None,
        "p95_ms": round(pct(95)) if latencies else None,
        "max_ms": round(latencies[-1]) if latencies else None,
        "server_cpu_pct": round(100 * cpu / wall),
        "requests_per_s": round(room.requests / wall),
        "errors": room.errors,
        "load_before": load_before,
        "load_after": load_average(),
    }


def costs(server, data: dict) -> None:
    """What one unchanged question costs the server, next to the trivial view measured just
    before it (wrk, 8 connections, 3 s each): the live signal's 304 and the slow poll's 204."""
    require_wrk()
    w = data["workshop"]
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", f"/live/{w}/?t={data['token']}")
    resp = conn.getresponse()
    resp.read()
    etag = resp.getheader("ETag")
    guest = {"Cookie": f"kpiw_guest={data['guests'][0]}", "HX-Request": "true"}
    endpoints = [
        ("live signal, unchanged (304)", f"/live/{w}/?t={data['token']}", {"If-None-Match": etag}),
        ("stage poll, unchanged (204)", f"/w/{w}/status/?v={data['version']}", guest),
    ]
    if data["ballot"]:
        board = f"/w/{w}/ballots/{data['ballot']}/board/?fragment=live"
        conn.request("GET", board, headers=guest)
        resp = conn.getresponse()
        resp.read()
        headers = guest | {"If-None-Match": resp.getheader("ETag")}
        endpoints.append(("board's live part, unchanged (304)", board, headers))
    print("| endpoint | req/s | trivial view req/s | ratio | p50 ms | p95 ms | statuses |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, path, headers in endpoints:
        trivial = wrk_load(server.port, "trivial", "/bench/trivial", {}, duration=3, server=server)
        result = wrk_load(server.port, name, path, headers, duration=3, server=server)
        print(
            f"| {name} | {result.rps:.0f} | {trivial.rps:.0f} | 1/{trivial.rps / result.rps:.1f} "
            f"| {result.p50:.1f} | {result.pct(95):.1f} | {result.statuses} |",
            flush=True,
        )


def run(args, modes: list[str]) -> list[dict]:
    """One server and one seeded room for every means, measured one after the other."""
    server = make_server(args.db, static=False)  # phones fetch fragments, no static file
    try:
        seed = f"N = {args.phones}\nTAP = {args.tap!r}\n" + SEED
        data = json.loads(server.manage("shell", "-c", seed).strip().splitlines()[-1])
        server.start(workers=args.workers)
        if args.wrk:
            costs(server, data)
        rows = []
        for mode in modes:
            rows.append(measure(server, data, args, mode))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # as each one finishes
        return rows
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--mode", choices=["poll", "live", "both"], default="both")
    parser.add_argument("--tap", choices=["stage", "comment", "vote"], default="stage")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--taps", type=int, default=15)
    parser.add_argument(
        "--poll-seconds",
        type=float,
        default=None,
        help="the slow poll's pace: 3 s (the stage panel, the comments), 2 s (the board)",
    )
    parser.add_argument("--live-ms", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a tap may take")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds before the 1st tap")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-wrk", dest="wrk", action="store_false", help="skip the per-request cost table"
    )
    args = parser.parse_args()
    if args.poll_seconds is None:
        args.poll_seconds = 2.0 if args.tap == "vote" else 3.0
    modes = ["poll", "live"] if args.mode == "both" else [args.mode]
    if args.tap == "vote" and args.taps * len(modes) > args.phones:
        parser.error("a vote tap is one phone's first vote: at most --phones taps in all")
    rows = run(args, modes)
    print(f"# push benchmark: {args.tap} taps, {args.phones} phones, {args.db}, gunicorn -w {args.workers} "
          f"gthread x4, {platform.python_version()}, {os.cpu_count()} cores")  # fmt: skip
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
