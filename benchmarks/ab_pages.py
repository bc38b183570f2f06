"""Two source trees' pages side by side on gunicorn, interleaved: which change made a page faster.

    .venv/bin/python benchmarks/ab_pages.py b45e036                 # that commit against this checkout
    .venv/bin/python benchmarks/ab_pages.py b45e036 --db postgres --only "tree,catalogue"
    .venv/bin/python benchmarks/ab_pages.py OLD_DIR NEW_DIR          # two checked-out trees

``benchmarks/pages.py`` measures one tree; two of its runs taken minutes apart on a shared
machine moved the same page by a fifth (docs/benchmarks.md), more than most changes are worth.
Here both trees are served at once, each by its own gunicorn on its own fresh database seeded
with ``pages.py``'s data, and measured in turns: in each round, for each page, each side's
trivial view (2 s) then the page (--duration s), the side that goes first alternating from one
round to the next. A drift of the machine hits both sides alike. Prints each side's ratio to
its own trivial view (median of --rounds, spread in brackets) and the change.

A commit (anything ``git rev-parse`` takes) is exported with ``git archive`` to a temporary
directory and its translations compiled; it runs on this checkout's virtualenv.
"""

import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, balanced, make_server, require_wrk, tree_of, wrk_load
from pages import SEED


def endpoints(data: dict) -> list[tuple[str, str, str]]:
    """(name, path, who): who is ``member`` (the facilitator's session) or ``guest``."""
    w, m = data["workshop"], data["map"]
    return [
        ("workshop page (facilitator)", f"/w/{w}/", "member"),
        ("workshop page (guest)", f"/w/{w}/", "guest"),
        ("proposal board (100 proposals, facilitator)", f"/w/{w}/proposals/", "member"),
        ("join screen (projector)", f"/w/{w}/invitations/{data['invitation']}/screen/", "member"),
        ("coverage view (100 KPIs, 12 goals, 10 audiences)", f"/w/{m}/map/coverage/", "member"),
        ("map page (first 20 of 100 KPIs)", f"/w/{m}/map/", "member"),
        ("where the room agrees (100 KPIs, 4 groups)", f"/w/{m}/agreement/", "member"),
        ("KPI tree page (100 KPIs, 88 links)", f"/w/{m}/map/tree/", "member"),
        ("catalogue (100 KPIs, member)", "/o/bench/catalogue/", "member"),
        (
            "catalogue filtered to an audience (member)",
            "/o/bench/catalogue/?audience=agents",
            "member",
        ),
        (
            "catalogue KPI page with its history (member)",
            f"/o/bench/catalogue/1.1/kpi/{data['kpi']}/",
            "member",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="a commit, or a directory holding a source tree")
    parser.add_argument("after", nargs="?", default=str(ROOT), help="default: this checkout")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--only", default="", metavar="NAME[,NAME]")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    require_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="kpiw-ab-"))
    sides: dict[str, tuple] = {}
    try:
        for label, spec in (("before", args.before), ("after", args.after)):
            root = tree_of(spec, tmp)
            server = make_server(args.db, static=False, root=root, name=f"kpiw_ab_{label}")
            out = server.manage("shell", "-c", "N = 100\n" + SEED)
            data = json.loads(out.strip().splitlines()[-1])
            server.start(workers=2)
            sides[label] = (server, data)
        wanted = [part.strip().lower() for part in args.only.split(",") if part.strip()]
        names = [
            name
            for name, _path, _who in endpoints(sides["after"][1])
            if not wanted or any(w in name.lower() for w in wanted)
        ]

        def request(label: str, name: str) -> tuple[str, dict]:
            data = sides[label][1]
            path, who = {n: (p, w) for n, p, w in endpoints(data)}[name]
            cookie = f"sessionid={data['session']}" if who == "member" else (
                f"kpiw_guest={data['guest']}"
            )  # fmt: skip
            return path, {"Cookie": cookie}

        def measure(label: str, path: str, headers: dict, duration: float):
            server = sides[label][0]
            return balanced(lambda: wrk_load(
                server.port, path, path, headers, concurrency=8, duration=duration,
                server=server))  # fmt: skip

        for label in sides:  # warm-up: every worker imports everything, opens its connection
            for name in names:
                measure(label, *request(label, name), duration=1)
        ratios: dict[tuple[str, str], list[float]] = {
            (label, name): [] for label in sides for name in names
        }
        for r in range(args.rounds):
            for name in names:
                for label in ("before", "after") if r % 2 == 0 else ("after", "before"):
                    trivial = measure(label, "/bench/trivial", {}, 2)
                    page = measure(label, *request(label, name), duration=args.duration)
                    if page.errors or set(page.statuses) != {200}:
                        raise SystemExit(f"{label} {name}: {page.statuses}, {page.errors} errors")
                    ratios[(label, name)].append(trivial.rps / page.rps)
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    finally:
        for server, _data in sides.values():
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    command = shlex.join(["benchmarks/ab_pages.py", *sys.argv[1:]])
    print(
        f"\n{args.db}, {args.rounds} interleaved rounds, {args.duration:g} s per page and side "
        f"(each after 2 s of its trivial view); before: {args.before}, after: {args.after}\n"
    )
    print("| page | before, ratio (spread) | after, ratio (spread) | change |")
    print("|---|---:|---:|---:|")
    rows = []
    for name in names:
        b, a = ratios[("before", name)], ratios[("after", name)]
        mb, ma = statistics.median(b), statistics.median(a)
        rows.append({"name": name, "before": b, "after": a})
        print(
            f"| {name} | 1/{mb:.1f} (1/{min(b):.1f}–1/{max(b):.1f}) "
            f"| 1/{ma:.1f} (1/{min(a):.1f}–1/{max(a):.1f}) | {100 * (mb - ma) / mb:+.0f}% faster |"
        )
    print(f"\ncommand: {command}")
    if args.json:
        Path(args.json).write_text(json.dumps({"command": command, "db": args.db, "rows": rows}))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
