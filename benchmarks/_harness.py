"""Shared benchmark harness: a throwaway database, a real gunicorn, a keep-alive load generator.

Public tools only (gunicorn, the standard library). Figures are reported as ratios to the trivial
view served by the same server in the same run, because absolute numbers drift on a shared
machine and ratios do not (DESIGN.md §8).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
CORES = os.cpu_count() or 1


def require_wrk() -> str:
    """The path of Debian's ``wrk``, or exit with how to install it (``make bench-setup``)."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "wrk (the compiled HTTP load generator) is not installed: run `make bench-setup` "
            "(sudo apt-get install -y wrk), or pass --generator python."
        )
    return path


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_of(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    env: dict
    port: int
    proc: subprocess.Popen | None = None
    tmp: str = ""
    #: The source tree it runs (this checkout, or another commit's for ``ab_pages.py``).
    root: Path = ROOT

    def manage(self, *args: str, input_text: str | None = None) -> str:
        out = subprocess.run(
            [PY, "manage.py", *args],
            cwd=self.root,
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout

    def analyze(self) -> None:
        """On PostgreSQL, gather the statistics its autovacuum would gather on a live server
        after a burst of writes (it analyses a table once a tenth of it has changed, within
        a minute); without them it plans from the statistics of before the burst, or from
        default guesses. A benchmark's server may run with autovacuum off."""
        if self.env.get("DATABASE_URL", "").startswith("postgres"):
            subprocess.run(["psql", self.env["DATABASE_URL"], "-qc", "ANALYZE"], check=True)

    def start(self, workers: int = 2) -> None:
        self.analyze()  # the seed has just written every table
        cmd = [
            PY, "-m", "gunicorn", "kpiworkshop.wsgi", "-b", f"127.0.0.1:{self.port}",
            "-w", str(workers), "--worker-class", "gthread", "--threads", "4",
            "--keep-alive", "30", "--log-level", "warning",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/bench/trivial")
                if conn.getresponse().status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def cpu_seconds(self) -> float:
        """CPU used so far by gunicorn's master and its (living) workers."""
        if not self.proc:
            return 0.0
        pids = [self.proc.pid, *_children_of(self.proc.pid)]
        return sum(_process_cpu(p) for p in pids)

    def worker_cpu(self) -> dict[int, float]:
        """CPU seconds used so far by each living worker process, by pid."""
        if not self.proc:
            return {}
        return {pid: _process_cpu(pid) for pid in _children_of(self.proc.pid)}

    def stop(self) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def make_server(
    db: str, *, static: bool = True, root: Path = ROOT, name: str | None = None
) -> Server:
    """A server on a fresh database: ``sqlite`` (a temp file) or ``postgres`` (a database
    named ``name``, else $BENCH_DB, else kpiw_bench, on $BENCH_PG, default
    postgres://postgres@127.0.0.1:5432), running the source tree at ``root``."""
    tmp = tempfile.mkdtemp(prefix="kpiw-bench-")
    env = os.environ.copy()
    for var in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG"):
        env.pop(var, None)
    env |= {
        "DJANGO_SETTINGS_MODULE": "kpiworkshop.settings",
        "DJANGO_DEBUG": "0",
        "KPIW_LOG_LEVEL": "WARNING",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
    }
    if db == "sqlite":
        env["KPIW_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
    elif db == "postgres":
        base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
        # BENCH_DB: a database of your own when several people benchmark on one server.
        name = name or os.environ.get("BENCH_DB", "kpiw_bench")
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True
        )
        subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        env["DATABASE_URL"] = f"{base}/{name}"
    else:
        raise SystemExit(f"unknown database {db!r}")
    # Static files as production serves them: hashed names, compressed (gzip and brotli)
    # copies, cache-forever headers (docs/operations.md).
    # ``static=False``: for a benchmark that loads only fragments and endpoints, which link no
    # static file (collecting and compressing them takes minutes on a loaded machine).
    env["KPIW_MANIFEST_STATIC"] = "1" if static else "0"
    env["KPIW_STATIC_ROOT"] = str(Path(tmp) / "static")
    server = Server(env=env, port=free_port(), tmp=tmp, root=Path(root))
    server.manage("migrate", "--noinput", "-v0")
    if static:
        server.manage("collectstatic", "--noinput", "-v0")
    return server


def page_weight(port: int, path: str, headers: dict | None = None) -> dict:
    """What a browser transfers for one page: the HTML (compressed as the server sends it to a
    browser that accepts gzip and brotli) and every stylesheet, script and image it links from
    /static/, each once. Returns sizes in bytes and the static files' Cache-Control."""
    import re

    accept = {"Accept-Encoding": "br, gzip"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=(headers or {}) | accept)
    resp = conn.getresponse()
    html_sent = resp.read()
    encoding = resp.getheader("Content-Encoding", "")
    conn.request("GET", path, headers=headers or {})
    raw = conn.getresponse().read()
    assets = sorted(set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', raw)))
    static_sent, cache_control = 0, set()
    for asset in assets:
        conn.request("GET", asset.decode(), headers=accept)
        r = conn.getresponse()
        static_sent += len(r.read())
        cache_control.add(r.getheader("Cache-Control", ""))
    conn.close()
    return {
        "html_raw": len(raw),
        "html_sent": len(html_sent),
        "encoding": encoding or "identity",
        "static_sent": static_sent,
        "assets": len(assets),
        "cache_control": "; ".join(sorted(cache_control)),
    }


def weight_table(rows: list[tuple[str, dict]]) -> str:
    lines = [
        "| page | HTML KB | HTML sent KB | CSS+JS+images sent KB (files) | first load KB "
        "| later loads KB | static Cache-Control |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, w in rows:
        lines.append(
            f"| {name} | {w['html_raw'] / 1024:.1f} | {w['html_sent'] / 1024:.1f} "
            f"({w['encoding']}) | {w['static_sent'] / 1024:.1f} ({w['assets']}) "
            f"| {(w['html_sent'] + w['static_sent']) / 1024:.1f} | {w['html_sent'] / 1024:.1f} "
            f"| {w['cache_control']} |"
        )
    return "\n".join(lines)


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    generator: str = "python threads"
    #: CPU seconds used by the load generator and by the server during the run.
    generator_cpu: float = 0.0
    server_cpu: float = 0.0
    #: Set by wrk, which reports its own count and percentiles (ms) instead of every latency.
    count: int | None = None
    percentiles: dict[float, float] = field(default_factory=dict)
    bytes: int = 0
    #: The busiest gunicorn worker's share of the server's work during the run (1/workers when
    #: the work was spread evenly, 1.0 when one worker served every connection).
    worker_share: float = 0.0
    #: Runs measured again because one worker served (nearly) every connection.
    retried: int = 0

    def add(self, latencies: list[float], errors: int, statuses: dict[int, int]) -> None:
        """Merge one thread's figures (called under the caller's lock)."""
        self.latencies.extend(latencies)
        self.errors += errors
        for k, v in statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v

    @property
    def rps(self) -> float:
        n = self.count if self.count is not None else len(self.latencies)
        return n / self.elapsed if self.elapsed else 0.0

    @property
    def generator_share(self) -> float:
        """The generator's CPU as a share of the machine's cores over the run (0-1)."""
        return self.generator_cpu / (self.elapsed * CORES) if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if p in self.percentiles:
            return self.percentiles[p]
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(p / 100 * len(data)))] * 1000

    @property
    def p50(self) -> float:
        if 50 in self.percentiles:
            return self.percentiles[50]
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


def load(
    port: int,
    name: str,
    make_request,
    *,
    concurrency: int = 8,
    duration: float = 5.0,
    max_requests: int = 200_000,
) -> Result:
    """Run ``make_request(i) -> (method, path, body, headers)`` from ``concurrency`` threads,
    each with its own keep-alive connection, for ``duration`` seconds (bounded)."""
    result = Result(name)
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    counter = iter(range(max_requests))

    def worker(thread_no: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[float] = []
        errors = 0
        statuses: dict[int, int] = {}
        while time.monotonic() < stop_at:
            try:
                i = next(counter)
            except StopIteration:
                break
            method, path, body, headers = make_request(i, thread_no)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            local.append(time.perf_counter() - t0)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            if resp.status >= 500:
                errors += 1
        with lock:
            result.add(local, errors, statuses)

    return run_threads(concurrency, worker, result)


def wrk_load(
    port: int,
    name: str,
    path: str,
    headers: dict | None = None,
    *,
    cookies: list[str] | None = None,
    concurrency: int = 8,
    duration: float = 5.0,
    threads: int = 1,
    server: Server | None = None,
) -> Result:
    """Load one GET endpoint with ``wrk`` (compiled, epoll): ``concurrency`` keep-alive
    connections on ``threads`` generator threads for ``duration`` seconds. ``cookies`` (one
    Cookie header value each) are taken in turn by the requests, so many devices are simulated.
    Records the generator's CPU (its rusage) and the server's (from /proc)."""
    wrk = require_wrk()
    cmd = [wrk, "-t", str(threads), "-c", str(concurrency), "-d", f"{duration:g}s",
           "--timeout", "30s", "-s", str(WRK_SCRIPT)]  # fmt: skip
    # As a browser asks: the server compresses pages (GZipMiddleware), which costs CPU too.
    for key, value in ({"Accept-Encoding": "gzip"} | (headers or {})).items():
        cmd += ["-H", f"{key}: {value}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    env = os.environ.copy()
    with tempfile.NamedTemporaryFile("w", suffix=".cookies", delete=False) as fh:
        fh.write("\n".join(cookies or []))
        env["WRK_COOKIES"] = fh.name if cookies else ""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server.cpu_seconds() if server else 0.0
    workers_before = server.worker_cpu() if server else {}
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    finally:
        os.unlink(fh.name)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    statuses = {int(k): v for k, v in data["statuses"].items()}
    result = Result(name, generator="wrk")
    result.count = data["requests"]
    result.elapsed = data["duration_us"] / 1e6
    result.bytes = data["bytes"]
    result.percentiles = {50: data["p50"] / 1000, 95: data["p95"] / 1000, 99: data["p99"] / 1000}
    result.statuses = statuses
    result.errors = data["errors"] + sum(v for k, v in statuses.items() if k >= 500)
    result.generator_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result.server_cpu = (server.cpu_seconds() - server_before) if server else 0.0
    if server:
        used = [cpu - workers_before.get(pid, 0.0) for pid, cpu in server.worker_cpu().items()]
        # One worker (``--workers 1``) is always "lopsided": there is nothing to compare.
        result.worker_share = max(used) / sum(used) if len(used) > 1 and sum(used) > 0 else 0.0
    return result


#: A run whose busiest worker did more than this share of the work was served by one worker.
LOPSIDED = 0.8


def balanced(run: Callable[[], Result], *, attempts: int = 3) -> Result:
    """``run()`` again (up to ``attempts`` times in all) while one gunicorn worker served
    (nearly) every connection. wrk opens its keep-alive connections at once and both workers
    race to accept them: now and then one worker takes all eight and the run measures one
    core, not two. That was most of the ×3 between two runs of the same page (issue 18): the
    trivial view measured about 4,000 or about 1,450 req/s on a quiet machine, nothing between.
    The result says how many runs were measured again (``retried``)."""
    for attempt in range(attempts):
        result = run()
        result.retried = attempt
        if result.worker_share <= LOPSIDED:
            break
    return result


def run_threads(n: int, target, result: Result) -> Result:
    """Start ``target(i)`` for i in 0..n-1 in threads, wait for all, time the whole."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    cpu0 = time.process_time()
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.monotonic() - t0
    result.generator_cpu = time.process_time() - cpu0
    return result


def table(results: list[Result], baseline: Result, baselines: list[Result] | None = None) -> str:
    """The Markdown table. ``baselines`` (one per row): the trivial view measured just before
    that row, for a ratio that a busy shared machine does not skew; else ``baseline``."""
    lines = [
        "| endpoint | req/s | ratio to trivial | p50 ms | p95 ms | p99 ms | errors | statuses "
        f"| generator (CPU of {CORES} cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for i, r in enumerate(results):
        ratio = ratio_of(r, baselines[i] if baselines else baseline)
        lines.append(
            f"| {r.name} | {r.rps:,.0f} | 1/{ratio:.1f} | {r.p50:.1f} | {r.pct(95):.1f} "
            f"| {r.pct(99):.1f} | {r.errors} | {dict(sorted(r.statuses.items()))} "
            f"| {r.generator} ({100 * r.generator_share:.0f}%) |"
        )
    return "\n".join(lines)


def ratio_of(result: Result, baseline: Result) -> float:
    """How many times slower than ``baseline`` (the trivial view) ``result`` served: the x of
    "1/x" (infinite if it served nothing)."""
    return baseline.rps / result.rps if result.rps else math.inf


def median_spread(values: Sequence[float]) -> tuple[float, float, float]:
    """The median of ``values`` and their spread: ``(median, lowest, highest)``."""
    if not values:
        raise ValueError("no runs")
    return statistics.median(values), min(values), max(values)


def _finite(x: float) -> float | None:
    return round(x, 3) if math.isfinite(x) else None


@dataclass
class Repeated:
    """One endpoint measured in several runs, each run paired with the trivial view measured
    just before it. Each run's ratio is to its own trivial view; what is reported is the median
    over the runs and their spread (min–max), because one run on a shared machine decides
    nothing (issue 18: the same page moved ×3 between runs)."""

    name: str
    #: (the endpoint's run, the trivial view's run just before it), in the order measured.
    runs: list[tuple[Result, Result]] = field(default_factory=list)

    def add(self, result: Result, baseline: Result) -> None:
        self.runs.append((result, baseline))

    @property
    def ratios(self) -> list[float]:
        """Each run's x of "1/x" (to its own trivial view)."""
        return [ratio_of(r, b) for r, b in self.runs]

    @property
    def ratio(self) -> tuple[float, float, float]:
        return median_spread(self.ratios)

    @property
    def rps(self) -> tuple[float, float, float]:
        return median_spread([r.rps for r, _b in self.runs])

    def pct(self, p: float) -> float:
        """The median over the runs of each run's ``p``-th latency percentile (ms)."""
        return statistics.median(r.pct(p) for r, _b in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r, _b in self.runs)

    @property
    def statuses(self) -> dict[int, int]:
        total: dict[int, int] = {}
        for r, _b in self.runs:
            for code, n in r.statuses.items():
                total[code] = total.get(code, 0) + n
        return dict(sorted(total.items()))

    def as_json(self) -> dict:
        """The median, the spread and every run's figures (for ``--json``)."""
        ratio, rps = self.ratio, self.rps
        return {
            "name": self.name,
            "median": {"ratio": _finite(ratio[0]), "rps": _finite(rps[0]),
                       "p50_ms": _finite(self.pct(50)), "p95_ms": _finite(self.pct(95)),
                       "p99_ms": _finite(self.pct(99))},
            "spread": {"ratio": [_finite(ratio[1]), _finite(ratio[2])],
                       "rps": [_finite(rps[1]), _finite(rps[2])]},
            "runs": [
                {"rps": _finite(r.rps), "ratio": _finite(ratio_of(r, b)),
                 "trivial_rps": _finite(b.rps), "p50_ms": _finite(r.p50),
                 "p95_ms": _finite(r.pct(95)), "p99_ms": _finite(r.pct(99)),
                 "errors": r.errors, "statuses": {str(k): v for k, v in sorted(r.statuses.items())},
                 "seconds": _finite(r.elapsed), "generator": r.generator,
                 "generator_cpu_share": _finite(r.generator_share),
                 "server_cpu_s": _finite(r.server_cpu),
                 "worker_share": _finite(r.worker_share), "trivial_worker_share":
                 _finite(b.worker_share), "retried": r.retried, "trivial_retried": b.retried}
                for r, b in self.runs
            ],
        }  # fmt: skip


def measure_rounds(
    endpoints: Sequence,
    measure: Callable[[object], Result],
    trivial: Callable[[], Result],
    *,
    runs: int = 3,
    name: Callable[[object], str] = lambda e: e[0],
) -> list[Repeated]:
    """Measure every endpoint ``runs`` times, each time just after ``trivial()`` (its pair for
    the ratio). The runs go in rounds, every endpoint once per round, so a passing burst of
    load on the machine falls on one run of several endpoints rather than on every run of one.
    """
    rows = [Repeated(name(e)) for e in endpoints]
    for _round in range(runs):
        for row, endpoint in zip(rows, endpoints, strict=True):
            baseline = trivial()
            row.add(measure(endpoint), baseline)
    return rows


def _spread(median: float, lo: float, hi: float, fmt, many: bool) -> str:
    return f"{fmt(median)} ({fmt(lo)}–{fmt(hi)})" if many else fmt(median)


def repeated_table(rows: list[Repeated]) -> str:
    """The Markdown table of several runs: req/s and the ratio to the trivial view as the
    median with the spread (min–max) across runs in brackets; the latency percentiles as the
    median of the runs'; errors and statuses summed over the runs; the generator's highest CPU
    share of any run."""
    runs = max((len(r.runs) for r in rows), default=1)
    lines = [
        f"| endpoint | req/s, median of {runs} (min–max) | ratio to trivial, median (min–max) "
        "| p50 ms | p95 ms | p99 ms | errors | statuses "
        f"| generator (max CPU of {CORES} cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        many = len(row.runs) > 1
        rps = _spread(*row.rps, lambda x: f"{x:,.0f}", many)
        ratio = _spread(*row.ratio, lambda x: f"1/{x:.1f}", many)
        gen = max(row.runs, key=lambda rb: rb[0].generator_share)[0]
        lines.append(
            f"| {row.name} | {rps} | {ratio} | {row.pct(50):.1f} | {row.pct(95):.1f} "
            f"| {row.pct(99):.1f} | {row.errors} | {row.statuses} "
            f"| {gen.generator} ({100 * gen.generator_share:.0f}%) |"
        )
    return "\n".join(lines)


def tree_of(spec: str, tmp: Path) -> Path:
    """A directory holding the source at ``spec`` (a directory, or a commit of this repo)."""
    if Path(spec).is_dir():
        return Path(spec).resolve()
    rev = subprocess.run(
        ["git", "rev-parse", "--verify", f"{spec}^{{commit}}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    out = tmp / rev[:12]
    out.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "compiletranslations"],
        cwd=out, capture_output=True, check=True,
    )  # fmt: skip
    return out
