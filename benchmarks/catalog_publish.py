"""Publishing a 500-KPI release with all its exports (DESIGN.md §8: < 30 s in a worker).

    .venv/bin/python benchmarks/catalog_publish.py                 # SQLite
    .venv/bin/python benchmarks/catalog_publish.py --db postgres   # PostgreSQL on 127.0.0.1
    .venv/bin/python benchmarks/catalog_publish.py --kpis 100

Seeds a workshop in the approve stage with --kpis approved KPIs (each with training notes in
English, two goal links and two audience links over 4 audiences, so 4 per-audience packs are
built too), then times the publish task's body (``release_build``, what the worker runs) in a
fresh process: the release, its entries, the changelog, and the exports (PDF pack, 4
per-audience PDF packs, CSV, JSON, Markdown). Also times the request side (``release_publish``:
the claim row and the outbox row) which must return at once. With 60 KPIs or more, part of
the PDF chapters is laid out by a second process (catalog/exports/pdfpack.py): its CPU time is printed
on its own row (the wall clock is the figure the budget is about).
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import make_server

SEED = """
import json, datetime
from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.approval.models import Approval, TrainingNotes
from kpiworkshop.kpis.models import Category, Proposal, ProposalState, Revision
from kpiworkshop.mapping.models import Audience, AudienceLink, BusinessGoal, GoalLink
from kpiworkshop.workshops.models import Participant, Stage, Workshop, new_guest_key

org = Organisation.objects.create(name="Bench", slug="bench")
w = Workshop.objects.create(organisation=org, title="Bench", stage=Stage.APPROVE)
fac = Participant.objects.create(workshop=w, guest_key=new_guest_key(), display_name="Fran", role=Role.FACILITATOR)
lead = Participant.objects.create(workshop=w, guest_key=new_guest_key(), display_name="Lia", role=Role.LEADERSHIP)
author = Participant.objects.create(workshop=w, guest_key=new_guest_key(), display_name="Mara", role=Role.MANAGER)
goals = [BusinessGoal.objects.create(organisation=org, name=f"Goal {i}", key=f"g{i}") for i in range(4)]
auds = [Audience.objects.create(organisation=org, name=f"Audience {i}", key=f"a{i}") for i in range(4)]
cats = [c.value for c in Category]
text = "A sentence or two on what this KPI measures and why it matters to customers. " * 3
props = Proposal.objects.bulk_create([Proposal(workshop=w, author=author, state=ProposalState.APPROVED) for _ in range(N)])
revs = Revision.objects.bulk_create([
    Revision(proposal=p, number=1, author=author, name=f"KPI {i:03d}", measures=text, why=text,
             category=cats[i % 4], numerator="Contacts solved", denominator="All contacts", unit="%",
             direction="higher", target="80%", channels=["voice", "chat"], gaming_risks=text)
    for i, p in enumerate(props)])
for p, r in zip(props, revs):
    p.current_revision = r
Proposal.objects.bulk_update(props, ["current_revision"])
Approval.objects.bulk_create([Approval(proposal=p, revision=r, approver=lead, decision="approve", reason="Agreed.") for p, r in zip(props, revs)])
TrainingNotes.objects.bulk_create([TrainingNotes(proposal=p, language="en", how_to_read=text, when_it_moves=text, pitfalls=text, worked_example=text) for p in props])
GoalLink.objects.bulk_create([GoalLink(proposal=p, goal=goals[(i + k) % 4], strength="primary" if k == 0 else "secondary", created_by=fac) for i, p in enumerate(props) for k in range(2)])
AudienceLink.objects.bulk_create([AudienceLink(proposal=p, audience=auds[(i + k) % 4], relation="sees" if k else "acts", created_by=fac) for i, p in enumerate(props) for k in range(2)])
print(json.dumps({"workshop": w.pk, "facilitator": fac.pk}))
"""

REQUEST = """
import json, time, datetime
from kpiworkshop.catalog import services
from kpiworkshop.core import outbox
from kpiworkshop.workshops.models import Participant, Workshop
# No wake-up here: with no broker it would run the build in this process after the commit;
# the timed build below plays the worker.
outbox.outbox_wake = lambda **kwargs: True
w = Workshop.objects.get(pk=W)
fac = Participant.objects.get(pk=F)
t = time.perf_counter()
job = services.release_publish(actor=fac, workshop=w, language="en", effective_date=datetime.date(2026, 1, 1))
request_s = time.perf_counter() - t
print(json.dumps({"job": job.pk, "request_s": request_s}))
"""

BUILD = """
import json, resource, time
from kpiworkshop.catalog import services
from kpiworkshop.catalog.models import Export
def children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
t = time.perf_counter()
c = time.process_time()
k = children()
release = services.release_build(job_id=J)
total = time.perf_counter() - t
cpu = time.process_time() - c
child = children() - k
print(json.dumps({"build_s": total, "cpu_s": cpu, "child_cpu_s": child,
                  "entries": release.entries.count(),
                  "exports": [[x.format, x.audience, x.size] for x in Export.objects.filter(release=release)]}))
"""


def _load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--kpis", type=int, default=500)
    args = parser.parse_args()
    # No static files: publishing serves none (collecting them took minutes on a loaded machine).
    server = make_server(args.db, static=False)
    server.env["KPIW_MEDIA_ROOT"] = str(Path(server.tmp) / "media")
    try:
        seed = json.loads(
            server.manage("shell", "-c", f"N = {args.kpis}\n" + SEED).splitlines()[-1]
        )
        req = json.loads(
            server.manage(
                "shell", "-c", f"W = {seed['workshop']}\nF = {seed['facilitator']}\n" + REQUEST
            ).splitlines()[-1]
        )
        out = json.loads(
            server.manage("shell", "-c", f"J = {req['job']}\n" + BUILD).splitlines()[-1]
        )
        print(
            f"\n{args.db}, {args.kpis} KPIs, Python {platform.python_version()}, "
            f"load average {_load()} on {os.cpu_count()} cores\n\n"
            f"| step | seconds |\n|---|---:|\n"
            f"| request (claim row + outbox row) | {req['request_s']:.3f} |\n"
            f"| build in the worker (release, {out['entries']} entries, changelog, "
            f"{len(out['exports'])} exports), wall clock | {out['build_s']:.1f} |\n"
            f"| the same, CPU time of the worker process | {out['cpu_s']:.1f} |\n"
            f"| CPU time of its PDF layout process (catalog/exports/pdfpack.py) | "
            f"{out['child_cpu_s']:.1f} |\n"
        )
        for fmt, audience, size in out["exports"]:
            print(f"- {fmt} {audience or '(whole)'}: {size / 1024:.0f} KB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
