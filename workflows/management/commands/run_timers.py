from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.urls import get_resolver

from workflows.dispatcher import CONNECTION_ERRORS, Dispatcher, interruptible_sleep


class Command(BaseCommand):
    help = (
        "The timer dispatcher: fire due workflow timers (deadlines, expiries, escalations) every few seconds. "
        "Run one per deployment as its own process (Procfile: timers). It outlives database outages: it "
        "retries with back-off and logs once per outage."
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
        dispatcher = Dispatcher(
            interval=interval, report=self.stdout.write, sleep=interruptible_sleep(lambda: stopping)
        )
        if once:
            try:
                result = dispatcher.sweep_once()
            except CONNECTION_ERRORS as exc:
                raise CommandError(f"database unavailable: {exc}") from exc
            self.stdout.write(str(result))
            return
        self.stdout.write(f"timer dispatcher: sweeping every {interval:g}s")
        dispatcher.run()
        self.stdout.write("timer dispatcher stopped")
