from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from documents.services import storage_verify

PROGRESS_EVERY = 100


class Command(BaseCommand):
    help = (
        "Check every stored document content against its SHA-256, and every document record against the content it "
        "names. Exits 0 only when all verify; otherwise names each bad one and exits 1."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-progress", action="store_true", help="no progress lines (they go to stderr)")

    def handle(self, *args: Any, no_progress: bool, **options: Any) -> None:
        show_progress = not no_progress and options.get("verbosity", 1) >= 1
        started = time.monotonic()
        self._checked = 0
        problems = []
        for problem in storage_verify(progress=self._progress if show_progress else self._count):
            problems.append(problem)
            self.stdout.write(self.style.ERROR(str(problem)))
        elapsed = time.monotonic() - started
        summary = f"{self._checked:,} stored contents checked in {elapsed:.2f} s"
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"Storage intact: {summary}"))
            return
        self.stdout.write(summary)
        raise CommandError(f"storage damaged: {len(problems)} problem(s)", returncode=1)

    def _count(self, done: int, total: int) -> None:
        self._checked = done

    def _progress(self, done: int, total: int) -> None:
        self._checked = done
        if done % PROGRESS_EVERY and done != total:
            return
        end = "\n" if done >= total or not sys.stderr.isatty() else "\r"
        self.stderr.write(f"verified {done:,} / {total:,} stored contents ({100 * done // total}%)", ending=end)
