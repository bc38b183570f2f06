"""Where the time of a request goes, per endpoint, on the real request path.

    .venv/bin/python benchmarks/profiles.py [--db postgres] [--requests 200] [--top 0]

Seeds the same data as ``pages.py`` and ``voting.py`` into a throwaway database, then sends each
endpoint's request through Django's full handler (every middleware, the session, the locale,
the template engine and the ORM) ``--requests`` times under cProfile, after a warm-up, and
splits the time by where it is spent. Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import make_server
from pages import SEED as PAGES_SEED
from voting import SEED as VOTING_SEED

# First match wins: a function is charged to the first bucket whose marker is in its file name.
BUCKETS = [
    ("database driver", ("sqlite3", "psycopg", "/backends/")),
    ("ORM (query building, compiling, rows)", ("django/db/",)),
    ("template engine", ("django/template/", "template_partials", "crispy")),
    ("session + auth", ("django/contrib/sessions", "django/contrib/auth", "signing")),
    ("i18n + formats", ("django/utils/translation", "django/utils/formats", "gettext")),
    (
        "middleware + request/response",
        (
            "django/middleware",
            "django/core/handlers",
            "django/http",
            "django_htmx",
            "whitenoise",
            "django/contrib/messages",
        ),
    ),
    ("URL resolving", ("django/urls",)),
    ("cache", ("django/core/cache",)),
    ("our code", ("kpiworkshop/",)),
]


OTHER = "other (Python, stdlib)"


def bucket_of(filename: str) -> str:
    for name, markers in BUCKETS:
        if any(m in filename for m in markers):
            return name
    return OTHER


def breakdown(profile: cProfile.Profile) -> dict[str, float]:
    """Self time per bucket, in seconds. Time in builtins and the standard library is charged
    to the bucket of whoever called them (split by the time each caller spent in them), so
    ``re`` or ``str.join`` work done for the template engine counts as template time."""
    stats = pstats.Stats(profile).stats
    memo: dict = {}

    def owner(func, depth=0) -> dict[str, float]:
        """{bucket: share} for the time spent in ``func``."""
        if func in memo:
            return memo[func]
        b = bucket_of(func[0])
        if b != OTHER or depth > 6 or func not in stats:
            memo[func] = {b: 1.0}
            return memo[func]
        memo[func] = {OTHER: 1.0}  # guards recursion
        callers = stats[func][4]
        total = sum(v[2] for v in callers.values()) or sum(v[1] for v in callers.values())
        share: dict[str, float] = {}
        for caller, v in callers.items():
            weight = (v[2] if total and sum(x[2] for x in callers.values()) else v[1]) / (
                total or 1
            )
            for k, x in owner(caller, depth + 1).items():
                share[k] = share.get(k, 0.0) + weight * x
        memo[func] = share or {OTHER: 1.0}
        return memo[func]

    out: dict[str, float] = {}
    for func, (_cc, _nc, tottime, _ct, _callers) in stats.items():
        for k, x in owner(func).items():
            out[k] = out.get(k, 0.0) + tottime * x
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--only", default="", help="profile only endpoints whose name has this (several: a|b)"
    )
    parser.add_argument("--top", type=int, default=0, help="also print the N costliest functions")
    args = parser.parse_args()

    server = make_server(args.db)
    try:
        pages = json.loads(
            server.manage("shell", "-c", "N = 100\n" + PAGES_SEED).strip().splitlines()[-1]
        )
        # A second organisation and facilitator in the same database.
        vote_seed = "N = 200\nPROPOSALS = 20\nBUDGET = 5\n" + VOTING_SEED.replace(
            'name="Bench", slug="bench"', 'name="Bench 2", slug="bench-2"'
        ).replace('create_user("fac"', 'create_user("fac2"')
        voting = json.loads(server.manage("shell", "-c", vote_seed).strip().splitlines()[-1])
        os.environ.update(server.env)
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        w, wv, b = pages["workshop"], voting["workshop"], voting["ballot"]
        fac = {"HTTP_COOKIE": f"sessionid={pages['session']}"}
        vfac = {"HTTP_COOKIE": f"sessionid={voting['session']}"}
        guest = {"HTTP_COOKIE": f"kpiw_guest={pages['guest']}"}
        vguest = {"HTTP_COOKIE": f"kpiw_guest={voting['guests'][0]}"}
        csrf = "benchmarkcsrfsecret0123456789abc"
        endpoints = [
            ("trivial view", "get", "/bench/trivial", {}),
            ("workshop page (facilitator)", "get", f"/w/{w}/", fac),
            ("workshop page (guest)", "get", f"/w/{w}/", guest),
            ("proposal board (facilitator)", "get", f"/w/{w}/proposals/", fac),
            ("proposal board (guest)", "get", f"/w/{w}/proposals/", guest),
            (
                "join screen (projector)",
                "get",
                f"/w/{w}/invitations/{pages['invitation']}/screen/",
                fac,
            ),
            ("join link page", "get", f"/j/{pages['code']}/", {}),
            ("ballot page (phone)", "get", f"/w/{wv}/ballots/{b}/", vguest),
            ("ballot page (facilitator)", "get", f"/w/{wv}/ballots/{b}/", vfac),
            (
                "live results fragment",
                "get",
                f"/w/{wv}/ballots/{b}/board/?fragment=live",
                vguest | {"HTTP_HX_REQUEST": "true"},
            ),
            (
                "audience view (100 KPIs)",
                "get",
                f"/w/{pages['map']}/map/audiences/{pages['audience']}/",
                fac,
            ),
            ("map page (first 20 of 100 KPIs)", "get", f"/w/{pages['map']}/map/", fac),
            ("KPI tree page (100 KPIs, 88 links)", "get", f"/w/{pages['map']}/map/tree/", fac),
            (
                "coverage view (100 KPIs)",
                "get",
                f"/w/{pages['map']}/map/coverage/",
                fac,
            ),
            ("catalogue (100 KPIs, member)", "get", "/o/bench/catalogue/", fac),
            (
                "catalogue filtered to an audience (member)",
                "get",
                "/o/bench/catalogue/?audience=agents",
                fac,
            ),
            (
                "catalogue KPI page with its history (member)",
                "get",
                f"/o/bench/catalogue/1.1/kpi/{pages['kpi']}/",
                fac,
            ),
            ("catalogue releases list (member)", "get", "/o/bench/catalogue/releases/", fac),
            (
                "catalogue diff of two releases (member)",
                "get",
                "/o/bench/catalogue/diff/?a=1.0&b=1.1",
                fac,
            ),
        ]
        # The two polls every phone in the room sends (every 3 s), in their unchanged state.
        from kpiworkshop.voting.models import Ballot
        from kpiworkshop.voting.views import _phase_key
        from kpiworkshop.workshops.models import Workshop

        phase = _phase_key(Ballot.objects.get(pk=b))
        version = Workshop.objects.get(pk=w).state_version
        hx = {"HTTP_HX_REQUEST": "true"}
        endpoints += [
            (
                "ballot status poll (phone)",
                "get",
                f"/w/{wv}/ballots/{b}/status/?k={phase}",
                vguest | hx,
            ),
            ("workshop status poll (guest)", "get", f"/w/{w}/status/?v={version}", guest | hx),
        ]
        client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        rows = []
        wanted = [o for o in args.only.split("|") if o] or [""]
        endpoints = [
            e for e in endpoints if e[0] == "trivial view" or any(o in e[0] for o in wanted)
        ]
        for name, method, path, extra in endpoints:
            for _ in range(5):  # warm-up: imports, template compilation, connection
                client.generic(method.upper(), path, **extra)
            profile = cProfile.Profile()
            with CaptureQueriesContext(connection) as queries:
                resp = client.generic(method.upper(), path, **extra)
            nq = len(queries)
            t0 = time.perf_counter()
            profile.enable()
            for _ in range(args.requests):
                resp = client.generic(method.upper(), path, **extra)
            profile.disable()
            wall = (time.perf_counter() - t0) / args.requests * 1000
            parts = breakdown(profile)
            total = sum(parts.values()) or 1
            rows.append((name, resp.status_code, nq, len(resp.content), wall, parts, total))
            if args.top:
                print(f"\n### {name}")
                pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
        # The vote: a dot given and taken back, alternately (never over the budget).
        vote_path = f"/w/{wv}/ballots/{b}/vote/"
        headers = vguest | {"HTTP_HX_REQUEST": "true", "HTTP_X_CSRFTOKEN": csrf}
        headers["HTTP_COOKIE"] += f"; csrftoken={csrf}"
        pid = voting["proposals"][0]
        for i in range(5):
            client.post(vote_path, {"proposal": pid, "value": (i + 1) % 2}, **headers)
        with CaptureQueriesContext(connection) as queries:
            client.post(vote_path, {"proposal": pid, "value": 1}, **headers)
        nq = len(queries)
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        for i in range(args.requests):
            resp = client.post(vote_path, {"proposal": pid, "value": i % 2}, **headers)
        profile.disable()
        wall = (time.perf_counter() - t0) / args.requests * 1000
        parts = breakdown(profile)
        rows.append(
            (
                "vote (one dot)",
                resp.status_code,
                nq,
                len(resp.content),
                wall,
                parts,
                sum(parts.values()) or 1,
            )
        )

        names = [b for b, _m in BUCKETS] + [OTHER]
        print(
            f"\n{args.db}, {args.requests} requests each through the full Django handler "
            "(test client, cProfile on); self time per part, % of the request\n"
        )
        short = [
            "driver",
            "ORM",
            "templates",
            "session+auth",
            "i18n",
            "middleware",
            "URLs",
            "cache",
            "our code",
            "other",
        ]
        print(
            "| endpoint | status | queries | HTML KB | ms/request (profiled) | "
            + " | ".join(short)
            + " |"
        )
        print("|---|---:|---:|---:|---:|" + "---:|" * len(short))
        for name, status, nq, size, wall, parts, total in rows:
            cells = " | ".join(f"{100 * parts.get(n, 0) / total:.0f}" for n in names)
            print(f"| {name} | {status} | {nq} | {size / 1024:.1f} | {wall:.1f} | {cells} |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
