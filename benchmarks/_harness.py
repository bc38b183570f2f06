"""Shared benchmark harness: a throwaway database, a real gunicorn, a keep-alive load generator.

Public tools only (gunicorn, the standard library). Figures are reported as ratios to the trivial
view served by the same server in the same run, because absolute numbers drift on a shared
machine and ratios do not (DESIGN.md §8).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


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

    def manage(self, *args: str, input_text: str | None = None) -> str:
        out = subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout

    def start(self, workers: int = 2) -> None:
        cmd = [
            PY, "-m", "gunicorn", "kpiworkshop.wsgi", "-b", f"127.0.0.1:{self.port}",
            "-w", str(workers), "--worker-class", "gthread", "--threads", "4",
            "--keep-alive", "30", "--log-level", "warning",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/bench/trivial")
                if conn.getresponse().status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def make_server(db: str) -> Server:
    """A server on a fresh database: ``sqlite`` (a temp file) or ``postgres`` (a database
    named kpiw_bench on $BENCH_PG, default postgres://postgres@127.0.0.1:5432)."""
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
        name = os.environ.get("BENCH_DB", "kpiw_bench")
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True
        )
        subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        env["DATABASE_URL"] = f"{base}/{name}"
    else:
        raise SystemExit(f"unknown database {db!r}")
    server = Server(env=env, port=free_port(), tmp=tmp)
    server.manage("migrate", "--noinput", "-v0")
    return server


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def add(self, latencies: list[float], errors: int, statuses: dict[int, int]) -> None:
        """Merge one thread's figures (called under the caller's lock)."""
        self.latencies.extend(latencies)
        self.errors += errors
        for k, v in statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(p / 100 * len(data)))] * 1000

    @property
    def p50(self) -> float:
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


def run_threads(n: int, target, result: Result) -> Result:
    """Start ``target(i)`` for i in 0..n-1 in threads, wait for all, time the whole."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.monotonic() - t0
    return result


def table(results: list[Result], baseline: Result) -> str:
    lines = [
        "| endpoint | req/s | ratio to trivial | p50 ms | p95 ms | p99 ms | errors | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = baseline.rps / r.rps if r.rps else float("inf")
        lines.append(
            f"| {r.name} | {r.rps:,.0f} | 1/{ratio:.1f} | {r.p50:.1f} | {r.pct(95):.1f} "
            f"| {r.pct(99):.1f} | {r.errors} | {dict(sorted(r.statuses.items()))} |"
        )
    return "\n".join(lines)
