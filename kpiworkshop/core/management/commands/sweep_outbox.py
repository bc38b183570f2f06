"""Run the outbox sweep once, or every few seconds, for deployments without Celery beat."""

import time

from django.core.management.base import BaseCommand

from kpiworkshop.core.heartbeat import heartbeat_record
from kpiworkshop.core.outbox import outbox_counts, outbox_sweep
from kpiworkshop.core.tasks import heartbeat


class Command(BaseCommand):
    help = (
        "Wake (or with --run, run here) every outbox item that is due and not claimed: work "
        "queued while the broker was down, or whose worker died. Safe to run anywhere, any "
        "number of times: row claims decide who does each item."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--run",
            action="store_true",
            help="Run the items in this process instead of sending wake-ups to the workers "
            "(for when no worker is running).",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=None,
            help="Leave items younger than this many seconds to their own wake-up "
            "(default: KPIW_OUTBOX_SWEEP_GRACE_SECONDS).",
        )
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Keep sweeping, every this many seconds (Ctrl+C to stop).",
        )

    def handle(self, *args, run: bool, grace: float | None, every: float, **options):
        while True:
            handled = outbox_sweep(run=run, grace_seconds=grace)
            counts = outbox_counts()
            self.stdout.write(
                f"{'ran' if run else 'woke'} {handled}; pending {counts['pending']}, "
                f"claimed {counts['claimed']}, out of attempts {counts['stuck']}"
            )
            if not every:
                return
            # Standing in for beat: its heartbeat, and the workers' (core/heartbeat.py).
            heartbeat_record(name="beat")
            try:
                heartbeat.apply_async(expires=max(every, 15), retry=False)
            except Exception as exc:
                self.stderr.write(f"could not send the worker heartbeat: {exc}")
            time.sleep(every)
