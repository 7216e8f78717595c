from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.chain import CheckpointFileError, checkpoints_read, verify_chain

MAX_PROBLEMS_SHOWN = 20
PROGRESS_MIN_EVENTS = 20_000  # shorter runs finish before anyone would look
PROGRESS_EVERY = 20_000


class Command(BaseCommand):
    help = (
        "Recompute the audit hash chain from the first event. Exits 0 only for a clean chain; otherwise names the "
        "first bad sequence number and exits 1. With --checkpoint, also compares the chain with the heads recorded "
        "by audit_checkpoint, which is how a cut-off tail is found."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--checkpoint", metavar="FILE", help="checkpoint file written by audit_checkpoint")
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress lines (they go to stderr on long runs)"
        )

    def handle(self, *args: Any, checkpoint: str | None, no_progress: bool, **options: Any) -> None:
        checkpoints = []
        if checkpoint:
            try:
                checkpoints = checkpoints_read(checkpoint)
            except (OSError, CheckpointFileError) as exc:
                raise CommandError(f"cannot read the checkpoint file: {exc}", returncode=2) from None
        started = time.monotonic()
        show_progress = not no_progress and options.get("verbosity", 1) >= 1
        result = verify_chain(
            checkpoints=checkpoints,
            progress=self._progress if show_progress else None,
            progress_every=PROGRESS_EVERY,
        )
        elapsed = time.monotonic() - started
        rate = result.checked / elapsed if elapsed > 0 else 0.0
        summary = (
            f"{result.checked:,} events in {elapsed:.2f} s ({rate:,.0f}/s); head {result.head_sequence} "
            f"{result.head_hash[:16]}…; {len(checkpoints)} checkpoint(s) compared"
        )
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {summary}"))
            return
        for problem in result.problems[:MAX_PROBLEMS_SHOWN]:
            self.stdout.write(self.style.ERROR(str(problem)))
        if len(result.problems) > MAX_PROBLEMS_SHOWN:
            self.stdout.write(f"… and {len(result.problems) - MAX_PROBLEMS_SHOWN} more")
        self.stdout.write(summary)
        raise CommandError(
            f"audit chain broken: first bad sequence {result.first_bad_sequence} ({len(result.problems)} problem(s))",
            returncode=1,
        )

    def _progress(self, done: int, total: int) -> None:
        if total < PROGRESS_MIN_EVENTS:
            return
        percent = 100 * done // total if total else 100
        end = "\n" if done >= total or not sys.stderr.isatty() else "\r"
        self.stderr.write(f"verified {done:,} / {total:,} events ({percent}%)", ending=end)
