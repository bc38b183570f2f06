"""Throughput of the foundation's pages against the trivial view, on a real gunicorn.

    .venv/bin/python benchmarks/pages.py                 # SQLite
    .venv/bin/python benchmarks/pages.py --db postgres   # PostgreSQL on 127.0.0.1:5432

Seeds a workshop with --participants participants, 4 join codes and 100 proposals (with
comments and supporters), and a workshop in the Map stage with 100 mapped KPIs, 12 goals and
10 audiences, then loads each endpoint
for --duration seconds from --concurrency keep-alive connections, --runs times (default 3),
each time just after 2 s of the trivial view (that run's ratio is to it). Prints a Markdown
table for docs/benchmarks.md: req/s and the ratio to the trivial view as the median of the runs
with their spread (min–max), the median latency percentiles, errors. --json FILE also writes
every run's figures.

    .venv/bin/python benchmarks/pages.py --duration 1 --runs 2 --only "join link,healthz"
"""

import argparse
import json
import platform
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (
    balanced,
    load,
    make_server,
    measure_rounds,
    page_weight,
    repeated_table,
    require_wrk,
    weight_table,
    wrk_load,
)

SEED = """
import json
from django.core import signing
from django.test import Client
from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.workshops.models import Invitation, Participant, Workshop, new_guest_key
from kpiworkshop.workshops import services

org = Organisation.objects.create(name="Bench", slug="bench")
fac = User.objects.create_user("fac", password="x")
Membership.objects.create(user=fac, organisation=org, role=Role.FACILITATOR)
w = services.workshop_create(user=fac, organisation=org, title="Bench workshop")
roles = [Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR, Role.MANAGER]
Participant.objects.bulk_create([
    Participant(workshop=w, guest_key=new_guest_key(), display_name=f"P{i}", role=roles[i % 4])
    for i in range(N)
])
me = Participant.objects.filter(workshop=w, guest_key__isnull=False).first()
fp = Participant.objects.get(workshop=w, user=fac)
invs = [services.invitation_create(actor=fp, workshop=w, role=roles[i % 4]) for i in range(4)]
# The proposal board: 100 proposals with comments and supporters.
from kpiworkshop.kpis.models import Category, Comment, Proposal, Revision, Support
stances = ["supports", "concern", "question", None]
people = list(Participant.objects.filter(workshop=w, guest_key__isnull=False)[:20])
for i in range(100):
    p = Proposal.objects.create(workshop=w, author=people[i % len(people)])
    r = Revision.objects.create(proposal=p, number=1, author=p.author, name=f"KPI {i}",
                                measures="What it measures, in a couple of sentences. " * 3,
                                category=Category.CUSTOMER, channels=["chat", "voice"])
    p.current_revision = r
    p.save()
    Comment.objects.bulk_create([Comment(proposal=p, author=people[(i + k) % len(people)],
                                         stance=stances[k % 4], body="A comment") for k in range(3)])
    Support.objects.bulk_create([Support(proposal=p, participant=people[(i + k) % len(people)]) for k in range(2)])
# The Map stage: 100 shortlisted KPIs, 12 goals, 10 audiences, each KPI with a primary and a
# secondary goal, three audience links, two breakdowns, a comment on a link.
from kpiworkshop.mapping.models import (Audience, AudienceLink, BusinessGoal, GoalLink,
                                        LinkComment, ReportingBreakdown)
mw = services.workshop_create(user=fac, organisation=org, title="Bench map")
Workshop.objects.filter(pk=mw.pk).update(stage="map")
mfp = Participant.objects.get(workshop=mw, user=fac)
goals = [BusinessGoal.objects.create(organisation=org, name=f"Goal {i}", order=i) for i in range(12)]
auds = [Audience.objects.create(organisation=org, name=f"Audience {i}", order=i) for i in range(10)]
cats = ["technical", "economic", "customer", "employee"]
mps = []
for i in range(100):
    p = Proposal.objects.create(workshop=mw, author=mfp, state="shortlisted")
    mps.append(p)
    p.current_revision = Revision.objects.create(proposal=p, number=1, author=mfp, name=f"KPI {i}",
                                                 measures="What it measures.", category=cats[i % 4],
                                                 channels=["chat", "voice"], purposes=["steer"],
                                                 counter_metric_text="x" if i % 3 else "")
    p.save()
    g = GoalLink.objects.create(proposal=p, goal=goals[i % 12], strength="primary", created_by=mfp)
    GoalLink.objects.create(proposal=p, goal=goals[(i + 5) % 12], strength="secondary", created_by=mfp)
    for k, rel in enumerate(["sees", "acts", "accountable"]):
        AudienceLink.objects.create(proposal=p, audience=auds[(i + k) % 10], relation=rel,
                                    created_by=mfp)
    ReportingBreakdown.objects.create(proposal=p, dimension="channel", value="chat", created_by=mfp)
    ReportingBreakdown.objects.create(proposal=p, dimension="handler", value="chatbot", created_by=mfp)
    LinkComment.objects.create(goal_link=g, author=mfp, stance="concern", body="Hm")
# Where the room agrees (issue 20): a closed secret approval round over the 100 mapped KPIs,
# 40 voters in four groups, each saying yes to a different share of the KPIs.
from django.utils import timezone
from kpiworkshop.voting.models import Ballot, BallotItem, Criterion, Vote, Voter
voters = Participant.objects.bulk_create([
    Participant(workshop=mw, guest_key=new_guest_key(), display_name=f"V{i}", role=roles[i % 4])
    for i in range(40)
])
mkpis = list(Proposal.objects.filter(workshop=mw).order_by("pk"))
now = timezone.now()
b = Ballot.objects.create(workshop=mw, title="Bench round", method="approval", state="closed",
                          secret=True, visibility="after_close", opened_at=now, closed_at=now)
crit = Criterion.objects.create(ballot=b, position=0, label="Overall")
BallotItem.objects.bulk_create([BallotItem(ballot=b, proposal=p, position=i) for i, p in enumerate(mkpis)])
Voter.objects.bulk_create([Voter(ballot=b, participant=v, role=v.role) for v in voters])
Vote.objects.bulk_create([Vote(ballot=b, participant=v, proposal=p, criterion=crit, role=v.role,
                               value=int((i + k * (j % 4 + 1)) % 3 == 0))
                          for j, v in enumerate(voters) for k, p in enumerate(mkpis) for i in [j]])
# The KPI tree: each KPI after the first 12 drives (or is part of, or guards) an earlier one;
# two in three accepted, the rest proposed, each with two stances.
from kpiworkshop.mapping.models import TreeLink, TreeLinkStance
kinds = ["drives", "part_of", "guards"]
for i in range(12, 100):
    link = TreeLink.objects.create(workshop=mw, from_proposal=mps[i], to_proposal=mps[(i - 12) // 2],
                                   kind=kinds[i % 3], why="Why it moves it", proposed_by=mfp,
                                   state="accepted" if i % 3 else "proposed")
    TreeLinkStance.objects.create(link=link, participant=mfp, stance="support")
# The catalogue: release 1.0 of 100 KPIs and release 1.1 (the current one) of 100 KPIs, as the
# publish task writes them: 95 carried over (10 of them changed), 5 retired, 5 added. Each KPI
# has two of five audiences and one of four goals, so a filter to "agents" keeps 40 of 100.
import datetime, uuid
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
aud_names = {"agents": "Agents", "team_leaders": "Team leaders", "cc_managers": "Contact centre managers",
             "planning": "Planning", "digital": "Digital"}
aud_slugs = list(aud_names)
goal_slugs = ["loyalty", "cost", "quality", "engagement"]
uids = [uuid.uuid4() for _ in range(105)]
def entry(release, i, k, changed=False):
    measures = "What it measures, in a couple of sentences. " * 3
    return CatalogEntry(
        release=release, kpi_uid=uids[k], position=i, name=f"KPI {k}", category=cats[k % 4],
        definition={"measures": measures + ("Now per queue." if changed else ""),
                    "why": "Why it matters: **one** reason and another. " * 2,
                    "numerator": "Contacts resolved at first contact", "denominator": "All contacts",
                    "unit": "%", "target": "80", "thresholds": "Below 70: *act*."},
        internal_fields=["thresholds"] if k % 3 == 0 else [],
        channels=["chat", "voice"] if k % 2 else ["email"], pilot_until=None,
        training_notes={"en": {"how_to_read": "How to **read** it.", "when_it_moves": "Act.",
                               "pitfalls": "Gaming.", "worked_example": "An example."},
                        "it": {"how_to_read": "Come **leggerlo**.", "when_it_moves": "Agisci.",
                               "pitfalls": "Trucchi.", "worked_example": "Un esempio."}},
        audiences=[{"slug": s, "name": aud_names[s], "kind": kind}
                   for s, kind in ((aud_slugs[k % 5], "sees"), (aud_slugs[(k + 2) % 5], "acts"))],
        goals=[{"slug": goal_slugs[k % 4], "name": goal_slugs[k % 4].title(), "kind": "primary"}],
        decisions=[{"decision": "approve", "reason": "Clear", "approver": "Ann", "role": "manager",
                    "current": True}],
        search_text=f"kpi {k} what it measures " + aud_names[aud_slugs[k % 5]].lower())
crel0 = CatalogRelease.objects.create(organisation=org, major=1, minor=0, language="en", workshop=mw,
                                     effective_date=datetime.date(2026, 1, 1), published_by_name="Fran")
CatalogEntry.objects.bulk_create([entry(crel0, i, i) for i in range(100)])
crel = CatalogRelease.objects.create(organisation=org, major=1, minor=1, language="en", previous=crel0, workshop=mw,
                                    effective_date=datetime.date(2026, 6, 1), published_by_name="Fran",
                                    retired={str(uids[k]): "Replaced" for k in range(95, 100)})
CatalogEntry.objects.bulk_create([entry(crel, i, k, changed=k % 10 == 0)
                                  for i, k in enumerate([*range(95), *range(100, 105)])])
c = Client()
c.force_login(fac)
c.get(f"/w/{mw.pk}/map/")  # the first visit creates the default goals and audiences
guest = signing.get_cookie_signer(salt="kpiw_guest" + "kpiw.guest").sign(me.guest_key)
# An agent of the organisation: reads the catalogue as the room does (no review or value forms).
agent = User.objects.create_user("agent", password="x")
Membership.objects.create(user=agent, organisation=org, role=Role.AGENT)
a = Client()
a.force_login(agent)
print(json.dumps({"workshop": w.pk, "map": mw.pk, "audience": auds[1].pk, "version": w.state_version, "session": c.cookies["sessionid"].value,
                  "agent_session": a.cookies["sessionid"].value,
                  "kpi": str(uids[10]),
                  "guest": guest, "code": invs[0].code, "invitation": invs[0].pk}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per endpoint; the table shows their median"
    )
    parser.add_argument(
        "--only",
        default="",
        metavar="NAME[,NAME]",
        help="only the endpoints whose name contains one of these (case-insensitive; the "
        "trivial view always)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write every run's figures here")
    parser.add_argument(
        "--generator",
        choices=["wrk", "python"],
        default="wrk",
        help="wrk (compiled, default; `make bench-setup` installs it) or the Python threads",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.generator == "wrk":
        require_wrk()

    server = make_server(args.db)
    try:
        out = server.manage("shell", "-c", f"N = {args.participants}\n" + SEED)
        data = json.loads(out.strip().splitlines()[-1])
        server.start(workers=args.workers)
        w = data["workshop"]
        m = data["map"]
        fac = {"Cookie": f"sessionid={data['session']}"}
        guest = {"Cookie": f"kpiw_guest={data['guest']}"}
        htmx = {"HX-Request": "true"}
        endpoints = [
            ("trivial view", "/bench/trivial", {}),
            ("workshop page (facilitator)", f"/w/{w}/", fac),
            ("workshop page (guest)", f"/w/{w}/", guest),
            ("stage poll, unchanged (204)", f"/w/{w}/status/?v={data['version']}", guest | htmx),
            ("stage poll, changed", f"/w/{w}/status/?v=0", guest | htmx),
            ("proposal board (100 proposals, facilitator)", f"/w/{w}/proposals/", fac),
            ("proposal board (100 proposals, guest)", f"/w/{w}/proposals/", guest),
            ("join screen (projector)", f"/w/{w}/invitations/{data['invitation']}/screen/", fac),
            ("join link page", f"/j/{data['code']}/", {}),
            ("coverage view (100 KPIs, 12 goals, 10 audiences)", f"/w/{m}/map/coverage/", fac),
            (
                "coverage poll fragment (100 KPIs)",
                f"/w/{m}/map/coverage/",
                fac | htmx | {"HX-Target": "coverage"},
            ),
            ("audience view (100 KPIs)", f"/w/{m}/map/audiences/{data['audience']}/", fac),
            ("map page (first 20 of 100 KPIs)", f"/w/{m}/map/", fac),
            ("where the room agrees (100 KPIs, 4 groups)", f"/w/{m}/agreement/", fac),
            ("KPI tree page (100 KPIs, 88 links)", f"/w/{m}/map/tree/", fac),
            ("catalogue (100 KPIs, member)", "/o/bench/catalogue/", fac),
            (
                "catalogue filtered to an audience (member)",
                "/o/bench/catalogue/?audience=agents",
                fac,
            ),
            (
                "catalogue KPI page with its history (member)",
                f"/o/bench/catalogue/1.1/kpi/{data['kpi']}/",
                fac,
            ),
            (
                "catalogue KPI page with its history (agent)",
                f"/o/bench/catalogue/1.1/kpi/{data['kpi']}/",
                {"Cookie": f"sessionid={data['agent_session']}"},
            ),
            (
                "catalogue (100 KPIs, agent)",
                "/o/bench/catalogue/",
                {"Cookie": f"sessionid={data['agent_session']}"},
            ),
            ("catalogue releases list (member)", "/o/bench/catalogue/releases/", fac),
            (
                "catalogue diff of two releases (member)",
                "/o/bench/catalogue/diff/?a=1.0&b=1.1",
                fac,
            ),
            ("API: workshops", "/api/v1/workshops", fac),
            ("healthz", "/healthz", {}),
        ]
        wanted = [part.strip().lower() for part in args.only.split(",") if part.strip()]
        endpoints = [
            e
            for e in endpoints
            if e[0] == "trivial view" or not wanted or any(w in e[0].lower() for w in wanted)
        ]
        # Warm-up so every worker has imported everything and opened its connection.
        for _name, path, headers in endpoints:
            load(server.port, "warm", lambda i, t, p=path, h=headers: ("GET", p, None, h),
                 concurrency=2, duration=0.5)  # fmt: skip

        def measure(endpoint, duration=args.duration):
            name, path, headers = endpoint
            if args.generator == "wrk":
                # Measured again when one gunicorn worker took every connection (``balanced``).
                return balanced(lambda: wrk_load(
                    server.port, name, path, headers, concurrency=args.concurrency,
                    duration=duration, server=server))  # fmt: skip
            return load(server.port, name, lambda i, t: ("GET", path, None, headers),
                        concurrency=args.concurrency, duration=duration)  # fmt: skip

        # The trivial view again just before each run of each endpoint: the ratio compares
        # neighbours. The runs go in rounds (every endpoint once, then again).
        rows = measure_rounds(
            endpoints,
            measure,
            lambda: measure(("trivial view", "/bench/trivial", {}), duration=2),
            runs=args.runs,
        )
        print(
            f"\n{args.db}, generator {args.generator}, gunicorn {args.workers} workers × 4 "
            f"threads, {args.concurrency} "
            f"connections, {args.duration:g} s per endpoint and run, {args.runs} runs, "
            f"{args.participants} participants, Python {platform.python_version()}\n"
        )
        print(repeated_table(rows))
        print(
            f"\nEach of the {args.runs} runs' ratio is to the trivial view measured (2 s) just "
            "before that endpoint in that run; shown: the median of the runs, in brackets their "
            "spread (min–max). p50/p95/p99: the median of the runs'. Errors, statuses: all runs."
        )
        again = sum(r.retried + b.retried for row in rows for r, b in row.runs)
        print(
            f"Runs measured again because one of the {args.workers} gunicorn workers served "
            f"(nearly) every connection: {again}."
        )
        command = shlex.join(["benchmarks/pages.py", *sys.argv[1:]])
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "command": command,
                        "db": args.db,
                        "generator": args.generator,
                        "runs": args.runs,
                        "duration_s": args.duration,
                        "trivial_duration_s": 2,
                        "concurrency": args.concurrency,
                        "workers": args.workers,
                        "participants": args.participants,
                        "python": platform.python_version(),
                        "endpoints": [row.as_json() for row in rows],
                    },
                    indent=2,
                )
                + "\n"
            )
        weights = [
            ("join link page", page_weight(server.port, f"/j/{data['code']}/")),
            ("workshop page (guest)", page_weight(server.port, f"/w/{w}/", guest)),
            ("proposal board (guest)", page_weight(server.port, f"/w/{w}/proposals/", guest)),
            ("join screen (projector)", page_weight(server.port, f"/w/{w}/invitations/{data['invitation']}/screen/", fac)),
            ("catalogue (100 KPIs, member)", page_weight(server.port, "/o/bench/catalogue/", fac)),
            ("KPI tree page (100 KPIs, 88 links, facilitator)", page_weight(server.port, f"/w/{m}/map/tree/", fac)),
        ]  # fmt: skip
        print("\nPage weight (a browser accepting br and gzip):\n")
        print(weight_table(weights))
        print(f"\ncommand: {command}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
