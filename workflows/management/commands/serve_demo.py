from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the app with daphne and run the timer dispatcher beside it, until Ctrl-C (used by `make demo`)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--bind", default="127.0.0.1")

    def handle(self, *args: Any, port: int, bind: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("serve_demo is for the embedded demo (DEBUG=true); use the Procfile in production.")
        python = sys.executable
        children = [
            subprocess.Popen([python, "-m", "daphne", "-b", bind, "-p", str(port), "project.asgi:application"]),
            subprocess.Popen([python, "manage.py", "run_timers", "--interval", "5"]),
        ]
        self.stdout.write(f"Serving on http://{bind}:{port}/ with the timer dispatcher. Ctrl-C stops both.")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [child.args for child in children if child.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            raise CommandError(f"stopped because a process exited: {failed}")
