"""What the verifier reports, in detail: each problem's sequence, kind and text, the checkpoint file read back
field by field, and the hashing fast path and its fallback (the survivors of the `chain` mutation run,
docs/mutation.md)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import chain
from audit.canonical import GENESIS_HASH
from audit.chain import (
    Checkpoint,
    CheckpointFileError,
    Problem,
    checkpoint_append,
    checkpoints_read,
    event_rows,
    row_hash,
    verify_chain,
)
from audit.models import AuditEvent
from audit.services import event_hash, event_payload

from .conftest import as_superuser_without_triggers, bulk_chain

pytestmark = pytest.mark.django_db


def delete(*sequences: int) -> None:
    with as_superuser_without_triggers() as cursor:
        for sequence in sequences:
            cursor.execute("DELETE FROM audit_auditevent WHERE sequence = %s", [sequence])


# --- Each problem's report ------------------------------------------------------------------------


def test_a_gap_names_the_deleted_events_one_or_a_range() -> None:
    bulk_chain(20)
    delete(7, 12, 13, 14)
    missing = [p for p in verify_chain().problems if p.kind == "missing"]
    assert missing == [
        Problem(7, "missing", "event(s) 7 are gone (deleted)"),
        Problem(12, "missing", "event(s) 12 to 14 are gone (deleted)"),
    ]


def test_a_gap_of_two_events_is_a_range() -> None:
    bulk_chain(10)
    delete(4, 5)
    assert [str(p) for p in verify_chain().problems if p.kind == "missing"] == [
        "sequence 4: missing: event(s) 4 to 5 are gone (deleted)"
    ]


def test_an_edited_event_is_reported_as_altered_with_its_reason() -> None:
    bulk_chain(5)
    with as_superuser_without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'nothing happened' WHERE sequence = 3")
    assert verify_chain().problems == [Problem(3, "altered", "content does not match its hash (edited or renumbered)")]


def test_a_chain_without_any_seal_is_one_unsealed_problem_at_its_first_event() -> None:
    bulk_chain(4, sealed=False)
    assert verify_chain().problems == [
        Problem(
            1,
            "unsealed",
            "no event is sealed, so nothing vouches for the chain (seal its head once with manage.py audit_seal)",
        )
    ]


# --- Checkpoints against the chain ----------------------------------------------------------------


def test_a_checkpoint_that_differs_before_any_good_one_names_the_rebuild_from_the_first_event() -> None:
    events = bulk_chain(10)
    forged = Checkpoint(sequence=6, hash="f" * 64, at="2026-03-02T00:00:00Z")
    result = verify_chain(checkpoints=[forged, Checkpoint(sequence=9, hash=events[8].hash)])
    assert result.problems == [
        Problem(
            1,
            "rewritten",
            "event 6 differs from the checkpoint of 2026-03-02T00:00:00Z: the chain was rebuilt somewhere from 1 to 6",
        )
    ]


def test_a_checkpoint_that_differs_after_a_good_one_names_the_rebuild_from_the_event_after_the_good_one() -> None:
    events = bulk_chain(10)
    checkpoints = [Checkpoint(sequence=4, hash=events[3].hash), Checkpoint(sequence=8, hash="e" * 64, at="then")]
    assert [(p.sequence, p.kind) for p in verify_chain(checkpoints=checkpoints).problems] == [(5, "rewritten")]


def test_a_checkpoint_whose_event_is_gone_does_not_stop_the_later_checkpoints_being_compared() -> None:
    events = bulk_chain(10)
    delete(5)
    checkpoints = [Checkpoint(sequence=5, hash=events[4].hash), Checkpoint(sequence=8, hash="e" * 64, at="then")]
    problems = verify_chain(checkpoints=checkpoints).problems
    assert [(p.sequence, p.kind) for p in problems] == [(1, "rewritten"), (5, "missing")]


def test_the_checkpoint_of_an_empty_chain_is_read_back_and_compared_with_the_genesis_hash(tmp_path: Path) -> None:
    path = tmp_path / "head.jsonl"
    call_command("audit_checkpoint", str(path), stdout=StringIO())
    assert [(c.sequence, c.hash) for c in checkpoints_read(path)] == [(0, GENESIS_HASH)]
    bulk_chain(3)
    assert verify_chain(checkpoints=checkpoints_read(path)).ok
    assert [p.kind for p in verify_chain(checkpoints=[Checkpoint(sequence=0, hash="a" * 64)]).problems] == ["rewritten"]


# --- The checkpoint file --------------------------------------------------------------------------


def test_a_checkpoint_file_is_read_back_field_by_field_across_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "head.jsonl"
    first = Checkpoint(sequence=5, hash="a" * 64, at="2026-03-01T08:00:00Z")
    second = Checkpoint(sequence=9, hash="b" * 64, at="2026-03-02T08:00:00Z")
    checkpoint_append(path, first)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n   \n")
    checkpoint_append(path, second)
    assert checkpoints_read(path) == [first, second]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('{"sequence": 3, "hash": "' + "a" * 64 + '"}', "('at')"),  # the time is part of a checkpoint
        ('{"sequence": 3, "hash": "' + "a" * 63 + '", "at": "x"}', None),  # too short a hash
        ('{"sequence": -1, "hash": "' + "a" * 64 + '", "at": "x"}', None),
    ],
)
def test_a_malformed_checkpoint_names_the_file_and_its_line(tmp_path: Path, line: str, why: str | None) -> None:
    path = tmp_path / "head.jsonl"
    checkpoint_append(path, Checkpoint(sequence=1, hash="c" * 64, at="2026-03-01T08:00:00Z"))
    path.write_text(path.read_text() + line + "\n", encoding="utf-8")
    with pytest.raises(CheckpointFileError) as caught:
        checkpoints_read(path)
    message = f"{path}, line 2: not a checkpoint"
    assert str(caught.value) == (f"{message} {why}" if why else message)


# --- Reading and hashing the rows -----------------------------------------------------------------


def test_event_rows_reads_the_given_queryset_in_sequence_order() -> None:
    bulk_chain(6)
    rows = list(event_rows(AuditEvent.objects.filter(sequence__in=[5, 2, 4])))
    assert [row[0] for row in rows] == [2, 4, 5]


def test_rows_from_the_database_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """normalise and event_hash are the slow part of verifying millions of events; the database gives back
    aware datetimes, which row_hash converts itself."""
    bulk_chain(5)

    def slow_path(**kwargs: object) -> str:
        raise AssertionError("row_hash fell back to event_hash for a row from the database")

    monkeypatch.setattr(chain, "event_hash", slow_path)
    assert verify_chain().ok


def test_a_row_that_is_not_plain_falls_back_to_event_hash() -> None:
    """A time given as text (in the canonical form) hashes as the datetime it stands for; a naive time is refused
    by normalise rather than guessed at."""
    (event,) = bulk_chain(1)
    row = next(iter(event_rows()))
    as_text = list(row)
    as_text[1] = event.occurred_at.isoformat(timespec="microseconds")
    assert row_hash(tuple(as_text)) == row_hash(row) == event.hash
    assert row_hash(tuple(as_text)) == event_hash(prev_hash=event.prev_hash, payload=event_payload(event))
    naive = list(row)
    naive[1] = event.occurred_at.replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive datetimes cannot be hashed"):
        row_hash(tuple(naive))


def test_verifying_without_progress_does_not_count_the_table() -> None:
    """The count is a second pass over a table of millions of rows: only made to show progress."""
    bulk_chain(5)
    with CaptureQueriesContext(connection) as queries:
        assert verify_chain().ok
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
