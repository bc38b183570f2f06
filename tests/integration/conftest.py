"""A private redis-server for the fault tests: started on a spare port, stopped by its PID.

These tests belong to the worker group that `.ci/run` runs (`make worker-test`, which sets
CELERY_BROKER_URL); elsewhere they are skipped, and so they are where /usr/bin/redis-server is
missing.
"""

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PORTS = range(6390, 6400)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process without persistence: a restart loses every queued message,
    as a crashed Redis without a disk would."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        log = (self.workdir / f"redis-{self.port}.log").open("a")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _ping(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on {self.port}")
            time.sleep(0.05)

    def pause(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel but nothing answers, the way a
        hung or unreachable-by-firewall Redis behaves (worse than a refused connection)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()  # by its own PID: never anyone else's Redis
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("fault tests run in the worker group: .ci/run (make worker-test)")
    if not Path(REDIS_SERVER).exists():
        pytest.skip("needs the redis-server binary (Debian package redis-server)")
    port = next((p for p in PORTS if _port_free(p)), None)
    if port is None:
        pytest.skip("no spare port in 6390-6399 for a private redis-server")
    server = RedisServer(port, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def reset_broker_connections(app) -> None:
    """Forget pooled broker connections, so the next publish connects to the current URL."""
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
