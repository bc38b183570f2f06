"""SQLite gets the same tuning however it is configured (issue 17, item 17)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.db import connection
with connection.cursor() as c:
    c.execute("PRAGMA journal_mode"); mode = c.fetchone()[0]
    c.execute("PRAGMA busy_timeout"); busy = c.fetchone()[0]
    c.execute("PRAGMA foreign_keys"); fks = c.fetchone()[0]
print(json.dumps({"mode": mode, "busy": busy, "fks": fks,
                  "tx": connection.transaction_mode, "vendor": connection.vendor}))
"""


def _probe(tmp_path: Path, **env: str) -> dict:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KPIW_SQLITE_PATH"}
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "kpiworkshop.settings", "PYTHONPATH": str(ROOT)}
    environment |= env
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("how", ["default path", "DATABASE_URL"])
def test_sqlite_is_tuned_for_concurrent_writers_however_it_is_configured(tmp_path, how):
    db = tmp_path / "kpiw.sqlite3"
    env = (
        {"KPIW_SQLITE_PATH": str(db)}
        if how == "default path"
        else {"DATABASE_URL": f"sqlite:///{db}"}
    )
    state = _probe(tmp_path, **env)
    assert state == {"mode": "wal", "busy": 20000, "fks": 1, "tx": "IMMEDIATE", "vendor": "sqlite"}


CONCURRENT_WRITERS = """
import threading, time, django
django.setup()
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone
call_command("migrate", "-v0")
from kpiworkshop.core.models import Heartbeat
errors = []
barrier = threading.Barrier(20)
def work(i):
    try:
        barrier.wait()
        with transaction.atomic():
            list(Heartbeat.objects.all())  # read, then write: the lock upgrade that fails
            time.sleep(0.02)
            Heartbeat.objects.create(name=f"t{i}", seen_at=timezone.now())
    except Exception as exc:
        errors.append(str(exc))
    finally:
        connections.close_all()
threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(errors), sorted(set(errors)))
"""


def test_twenty_simultaneous_writers_on_sqlite_through_database_url_all_succeed(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KPIW_SQLITE_PATH"}
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "kpiworkshop.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'room.sqlite3'}",
    }
    out = subprocess.run(
        [sys.executable, "-c", CONCURRENT_WRITERS],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "0 []"
