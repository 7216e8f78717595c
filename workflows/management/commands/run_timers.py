from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.urls import get_resolver
from viewflow.workflow.timers import fire_due_conditions, fire_due_start_timers, fire_due_timers

from workflows.sweeps import sweeps_run


class Command(BaseCommand):
    help = (
        "The timer dispatcher: fire due workflow timers (deadlines, expiries, escalations) every few seconds. "
        "Run one per deployment as its own process (Procfile: timers)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between sweeps (default 10)")
        parser.add_argument("--once", action="store_true", help="sweep once and exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        if interval <= 0:
            self.stderr.write("--interval must be positive")
            raise SystemExit(2)
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # Steps build their links with flow_task.reverse(), which raises NoReverseMatch
        # until this process has loaded the URLconf (web processes do on their first request).
        get_resolver().url_patterns  # noqa: B018
        self.stdout.write(f"timer dispatcher: sweeping every {interval:g}s")
        while not stopping:
            close_old_connections()
            fired, started, conditions = fire_due_timers(), fire_due_start_timers(), fire_due_conditions()
            swept = sweeps_run()
            if fired or started or conditions or swept or once:
                self.stdout.write(
                    f"{fired} timer(s) fired, {started} process(es) started, {conditions} condition(s), "
                    f"{swept} record(s) swept"
                )
            if once:
                break
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
        self.stdout.write("timer dispatcher stopped")
