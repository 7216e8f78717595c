"""Verifying the hash chain, and checkpoints of its head kept outside the database.

``verify_chain`` walks every event in sequence order, once, with a constant
number of queries per few thousand events, and reports each break it finds:

- ``altered``: the event's content no longer matches its own hash (an edited
  row, or two rows whose sequence numbers were swapped);
- ``missing``: a gap in the sequence numbers (a deleted event);
- ``relinked``: the event's prev_hash is not the hash of the event before it:
  the event before it was rewritten together with its hash, so that earlier
  event is the one named;
- ``unsealed``: the event's seal (an HMAC of its hash under a key kept outside
  the database, settings.AUDIT_CHAIN_KEYS) does not match, names a key we do
  not hold, or is missing after sealing began: the event was rewritten and
  re-hashed by someone without the key. Events from before seals existed
  (migration 0004) carry none; they are vouched for by the first sealed event,
  whose hash covers theirs, so the last event must always be sealed
  (``manage.py audit_seal`` seals an old chain's head once, at upgrade);
- ``truncated``: a checkpoint names a sequence beyond the current head;
- ``rewritten``: a checkpoint's hash differs from the event at its sequence
  (the chain was rebuilt from some point on, hashes and all).

The first bad sequence number is the smallest one named by any problem: after
an edit and re-hash of event N, that is N (its seal fails, and the link from
N+1 names N too).
Checkpoints are JSON lines ``{"sequence": n, "hash": "...", "at": "...Z"}``
appended by ``manage.py audit_checkpoint``.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from .canonical import AUDIT_DOMAIN, GENESIS_HASH, sha256_hex
from .models import AuditEvent
from .services import event_hash, event_seal, seal_keys

PAYLOAD_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "county_id",
    "facility_id",
    "changes",
    "reason",
    "request_id",
    "client_address",
)
ROW_FIELDS = (*PAYLOAD_FIELDS, "prev_hash", "hash", "seal_key", "seal")
_PREV, _HASH, _SEAL_KEY, _SEAL = (len(PAYLOAD_FIELDS) + i for i in range(4))
CHUNK_SIZE = 5000


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: str
    at: str = ""

    def as_json(self) -> str:
        return json.dumps({"sequence": self.sequence, "hash": self.hash, "at": self.at}, sort_keys=True)


@dataclass(frozen=True)
class Problem:
    sequence: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"sequence {self.sequence}: {self.kind}: {self.detail}"


@dataclass
class VerifyResult:
    checked: int = 0
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_sequence(self) -> int | None:
        return min((p.sequence for p in self.problems), default=None)


class CheckpointFileError(ValueError):
    pass


def checkpoints_read(path: str | Path) -> list[Checkpoint]:
    """Every checkpoint in the file, in file order. A malformed line is an error, not skipped."""
    result = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                checkpoint = Checkpoint(sequence=int(data["sequence"]), hash=str(data["hash"]), at=str(data["at"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise CheckpointFileError(f"{path}, line {number}: not a checkpoint ({exc})") from None
            if checkpoint.sequence < 0 or len(checkpoint.hash) != 64:
                raise CheckpointFileError(f"{path}, line {number}: not a checkpoint")
            result.append(checkpoint)
    return result


def checkpoint_append(path: str | Path, checkpoint: Checkpoint) -> None:
    """Append one line and flush it to disk before returning."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(checkpoint.as_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def checkpoint_now(*, sequence: int, hash: str) -> Checkpoint:
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Checkpoint(sequence=sequence, hash=hash, at=at)


def row_hash(row: tuple[Any, ...]) -> str:
    """Recompute the hash of a row of ROW_FIELDS exactly as audit_record computed it.

    A fast path of ``event_hash(prev_hash=..., payload=event_payload(event))``:
    audit_record stores ``changes`` already normalised, so what the database
    gives back is plain JSON that ``normalise`` would return unchanged, and only
    the time needs converting. tests/audit/test_chain.py holds the two equal.
    """
    payload = dict(zip(PAYLOAD_FIELDS, row[: len(PAYLOAD_FIELDS)], strict=True))
    occurred_at = payload["occurred_at"]
    if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        return event_hash(prev_hash=row[_PREV], payload=payload)  # let normalise complain or cope
    payload["occurred_at"] = occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_hex(AUDIT_DOMAIN, row[_PREV], body)


def seal_problem(*, hash: str, seal_key: str, seal: str, keys: dict[str, bytes]) -> str | None:
    """Why an event's seal does not vouch for its hash, or None when it does. An empty seal is not judged here."""
    key = keys.get(seal_key)
    if key is None:
        return f"sealed with key {seal_key!r}, which is not in AUDIT_CHAIN_KEYS (forged, or an old key was dropped)"
    if not hmac.compare_digest(event_seal(hash=hash, key=key), seal):
        return "its seal does not match its hash: rewritten and re-hashed without the seal key"
    return None


def event_rows(queryset: QuerySet[AuditEvent] | None = None, *, chunk_size: int = CHUNK_SIZE) -> Iterable[tuple]:
    qs = AuditEvent.objects.all() if queryset is None else queryset
    return qs.order_by("sequence").values_list(*ROW_FIELDS).iterator(chunk_size=chunk_size)


def verify_chain(
    *,
    checkpoints: Iterable[Checkpoint] = (),
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = CHUNK_SIZE * 4,
    chunk_size: int = CHUNK_SIZE,
) -> VerifyResult:
    """Recompute the whole chain from genesis and compare it with the checkpoints."""
    checkpoints = list(checkpoints)
    wanted = {c.sequence for c in checkpoints}
    hashes_at: dict[int, str] = {0: GENESIS_HASH}
    total = AuditEvent.objects.count() if progress else 0
    result = VerifyResult()
    problems = result.problems
    keys = seal_keys()
    expected, prev = 1, GENESIS_HASH
    sealing_began = False
    unsealed_since: int | None = None  # first event of the current run of unsealed events
    for row in event_rows(chunk_size=chunk_size):
        sequence, prev_hash, stored = row[0], row[_PREV], row[_HASH]
        gap = sequence != expected
        if gap:
            missing = f"{expected}" if sequence == expected + 1 else f"{expected} to {sequence - 1}"
            problems.append(Problem(expected, "missing", f"event(s) {missing} are gone (deleted)"))
        if row_hash(row) != stored:
            problems.append(Problem(sequence, "altered", "content does not match its hash (edited or renumbered)"))
        elif not gap and prev_hash != prev:
            # This event is intact and still names the hash its predecessor had when it was written:
            # the predecessor is the one that was rewritten.
            problems.append(
                Problem(
                    sequence - 1,
                    "relinked",
                    f"event {sequence} does not follow it: it was rewritten with a new hash",
                )
            )
        if row[_SEAL]:
            sealing_began, unsealed_since = True, None
            why = seal_problem(hash=stored, seal_key=row[_SEAL_KEY], seal=row[_SEAL], keys=keys)
            if why:
                problems.append(Problem(sequence, "unsealed", why))
        elif sealing_began:
            problems.append(Problem(sequence, "unsealed", "no seal, after sealing began: its seal was removed"))
        elif unsealed_since is None:
            unsealed_since = sequence
        if sequence in wanted:
            hashes_at[sequence] = stored
        expected, prev = sequence + 1, stored
        result.checked += 1
        if progress and result.checked % progress_every == 0:
            progress(result.checked, total)
    if unsealed_since is not None and not sealing_began:
        # Not one sealed event: an old chain nobody sealed yet, or every seal stripped. The last event must be sealed.
        problems.append(
            Problem(
                unsealed_since,
                "unsealed",
                "no event is sealed, so nothing vouches for the chain (seal its head once with manage.py audit_seal)",
            )
        )
    result.head_sequence, result.head_hash = expected - 1, prev
    if progress:
        progress(result.checked, max(total, result.checked))
    problems.extend(_checkpoint_problems(checkpoints, hashes_at, result.head_sequence))
    problems.sort(key=lambda p: p.sequence)
    return result


def _checkpoint_problems(checkpoints: list[Checkpoint], hashes_at: dict[int, str], head: int) -> list[Problem]:
    problems = []
    last_good: Checkpoint | None = None
    for checkpoint in sorted(checkpoints, key=lambda c: c.sequence):
        if checkpoint.sequence > head:
            problems.append(
                Problem(
                    head + 1,
                    "truncated",
                    f"the chain ends at {head} but the checkpoint of {checkpoint.at} recorded "
                    f"{checkpoint.sequence}: the events after {head} are gone",
                )
            )
            break
        stored = hashes_at.get(checkpoint.sequence)
        if stored is None:  # the event itself is gone: reported as missing already
            continue
        if stored != checkpoint.hash:
            since = last_good.sequence + 1 if last_good else 1
            problems.append(
                Problem(
                    since,
                    "rewritten",
                    f"event {checkpoint.sequence} differs from the checkpoint of {checkpoint.at}: "
                    f"the chain was rebuilt somewhere from {since} to {checkpoint.sequence}",
                )
            )
            break
        last_good = checkpoint
    return problems
