from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.canonical import GENESIS_HASH
from audit.chain import CheckpointFileError, checkpoint_append, checkpoint_now, checkpoints_read, verify_chain
from audit.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Append the head of the audit chain (sequence, hash, UTC time) to FILE, a file kept outside the database "
        "(another disk, another machine, a write-once store). The chain is verified first, against the earlier "
        "checkpoints in FILE, so that a broken chain is never blessed; --no-verify skips that."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--no-verify", action="store_true", help="record the current head without verifying")

    def handle(self, *args: Any, file: str, no_verify: bool, **options: Any) -> None:
        path = Path(file)
        if no_verify:
            head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
            sequence, hash_ = head if head else (0, GENESIS_HASH)
        else:
            try:
                earlier = checkpoints_read(path) if path.exists() else []
            except (OSError, CheckpointFileError) as exc:
                raise CommandError(f"cannot read the checkpoint file: {exc}", returncode=2) from None
            result = verify_chain(checkpoints=earlier)
            if not result.ok:
                for problem in result.problems[:20]:
                    self.stdout.write(self.style.ERROR(str(problem)))
                raise CommandError(
                    f"not recording a checkpoint: the chain is broken at sequence {result.first_bad_sequence}",
                    returncode=1,
                )
            # The head that was verified, not whatever was appended since.
            sequence, hash_ = result.head_sequence, result.head_hash
        checkpoint = checkpoint_now(sequence=sequence, hash=hash_)
        try:
            checkpoint_append(path, checkpoint)
        except OSError as exc:
            raise CommandError(f"cannot write the checkpoint file: {exc}", returncode=2) from None
        self.stdout.write(self.style.SUCCESS(f"Checkpoint {checkpoint.at}: sequence {sequence}, hash {hash_}"))
