"""The hash chain, its checkpoints and verify_audit: tamper injection, as a superuser would do it."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import chain
from audit.canonical import GENESIS_HASH
from audit.chain import checkpoints_read, row_hash, verify_chain
from audit.models import AuditEvent
from audit.services import audit_record, event_hash, event_payload

from .conftest import as_superuser_without_triggers, bulk_chain

pytestmark = pytest.mark.django_db


def verify_fails_at(sequence: int, *args: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", *args, stdout=out, stderr=StringIO())
    assert caught.value.returncode == 1
    assert f"first bad sequence {sequence} " in str(caught.value)
    return out.getvalue()


def verify_passes(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=StringIO())
    assert "Audit chain intact" in out.getvalue()
    return out.getvalue()


def test_each_event_hash_covers_its_content_and_the_previous_hash() -> None:
    first = audit_record(actor=None, action="test.one", changes={"a": [1, 2]})
    second = audit_record(actor=None, action="test.two")
    assert (first.sequence, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.sequence, second.prev_hash) == (2, first.hash)
    assert second.hash == event_hash(prev_hash=first.hash, payload=event_payload(second))
    assert second.hash != event_hash(prev_hash=GENESIS_HASH, payload=event_payload(second))
    for field, value in [("action", "test.other"), ("county_id", 99), ("facility_id", 5), ("reason", "x")]:
        setattr(second, field, value)
        assert event_hash(prev_hash=second.prev_hash, payload=event_payload(second)) != second.hash, field


def test_the_verifier_fast_path_hashes_exactly_like_audit_record() -> None:
    audit_record(actor=None, action="test.values", changes={"f": 0.1, "big": 1e20, "nul": "a\x00b", "zh": "王芳"})
    bulk_chain(3)
    for row in chain.event_rows():
        event = AuditEvent.objects.get(sequence=row[0])
        assert row_hash(row) == event.hash == event_hash(prev_hash=event.prev_hash, payload=event_payload(event))


def test_a_clean_chain_verifies_and_exits_zero() -> None:
    bulk_chain(50)
    audit_record(actor=None, action="test.after_bulk")
    output = verify_passes()
    assert "51 events" in output


def test_an_empty_chain_verifies() -> None:
    verify_passes()


def test_an_edited_event_is_named_by_its_sequence() -> None:
    bulk_chain(20)
    with as_superuser_without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'nothing happened' WHERE sequence = 13")
    output = verify_fails_at(13)
    assert "sequence 13: altered" in output


def test_an_edited_and_rehashed_event_breaks_the_link_to_the_next() -> None:
    events = bulk_chain(20)
    target = events[9]  # sequence 10
    target.reason = "rewritten"
    forged = event_hash(prev_hash=target.prev_hash, payload=event_payload(target))
    with as_superuser_without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = %s, hash = %s WHERE sequence = 10", ["rewritten", forged])
    output = verify_fails_at(11)
    assert "does not follow event 10" in output


def test_a_deleted_middle_event_is_named_by_its_sequence() -> None:
    bulk_chain(20)
    with as_superuser_without_triggers() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 7")
    output = verify_fails_at(7)
    assert "sequence 7: missing" in output


def test_two_reordered_events_are_named_by_the_first_sequence() -> None:
    bulk_chain(20)
    with as_superuser_without_triggers() as cursor:
        # Swap 5 and 9 through a free number, as the unique constraint demands.
        cursor.execute("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = 5")
        cursor.execute("UPDATE audit_auditevent SET sequence = 5 WHERE sequence = 9")
        cursor.execute("UPDATE audit_auditevent SET sequence = 9 WHERE sequence = -1")
    output = verify_fails_at(5)
    assert "sequence 5: altered" in output and "sequence 9: altered" in output


def test_a_cut_tail_is_found_against_the_checkpoint(tmp_path: Path) -> None:
    bulk_chain(30)
    checkpoint = tmp_path / "audit.checkpoints"
    call_command("audit_checkpoint", str(checkpoint), stdout=StringIO())
    with as_superuser_without_triggers() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence > 24")
    # Without the checkpoint the shorter chain is self-consistent: that is what the checkpoint is for.
    verify_passes()
    output = verify_fails_at(25, "--checkpoint", str(checkpoint))
    assert "sequence 25: truncated" in output and "recorded 30" in output


def test_a_chain_rebuilt_with_fresh_hashes_is_found_against_the_checkpoint(tmp_path: Path) -> None:
    bulk_chain(10)
    checkpoint = tmp_path / "audit.checkpoints"
    call_command("audit_checkpoint", str(checkpoint), stdout=StringIO())
    bulk_chain(10)
    call_command("audit_checkpoint", str(checkpoint), stdout=StringIO())
    # Rewrite event 15 and re-chain everything after it, hashes and all: internally consistent.
    with as_superuser_without_triggers() as cursor:
        prev = AuditEvent.objects.get(sequence=14).hash
        for event in AuditEvent.objects.filter(sequence__gte=15).order_by("sequence"):
            if event.sequence == 15:
                event.reason = "forged"
            event.prev_hash = prev
            event.hash = prev = event_hash(prev_hash=prev, payload=event_payload(event))
            cursor.execute(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE sequence = %s",
                [event.reason, event.prev_hash, event.hash, event.sequence],
            )
    verify_passes()
    output = verify_fails_at(11, "--checkpoint", str(checkpoint))
    assert "rebuilt somewhere from 11 to 20" in output


def test_checkpoint_appends_the_verified_head_with_utc_time(tmp_path: Path) -> None:
    events = bulk_chain(5)
    path = tmp_path / "head.jsonl"
    call_command("audit_checkpoint", str(path), stdout=StringIO())
    bulk_chain(2)
    call_command("audit_checkpoint", str(path), stdout=StringIO())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["sequence"] for line in lines] == [5, 7]
    assert lines[0]["hash"] == events[-1].hash
    assert all(line["at"].endswith("Z") for line in lines)
    assert [c.sequence for c in checkpoints_read(path)] == [5, 7]


def test_checkpoint_refuses_to_bless_a_broken_chain(tmp_path: Path) -> None:
    bulk_chain(5)
    with as_superuser_without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_name = 'someone else' WHERE sequence = 2")
    path = tmp_path / "head.jsonl"
    with pytest.raises(CommandError, match="broken at sequence 2"):
        call_command("audit_checkpoint", str(path), stdout=StringIO())
    assert not path.exists()


def test_a_malformed_checkpoint_file_is_an_error_not_a_pass(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"sequence": 1}\n')
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit", "--checkpoint", str(path), stdout=StringIO())
    assert caught.value.returncode == 2


def test_long_runs_show_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    from audit.management.commands import verify_audit

    monkeypatch.setattr(verify_audit, "PROGRESS_MIN_EVENTS", 10)
    monkeypatch.setattr(verify_audit, "PROGRESS_EVERY", 25)
    bulk_chain(100)
    err = StringIO()
    call_command("verify_audit", stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("verified 25 / 100 events (25%)")
    assert lines[-1].startswith("verified 100 / 100 events (100%)")


@pytest.mark.slow
def test_verifying_scales_linearly_in_a_constant_number_of_queries() -> None:
    bulk_chain(12_000)
    with CaptureQueriesContext(connection) as queries:
        result = verify_chain(chunk_size=5000)
    assert result.ok and result.checked == 12_000
    # One pass over the table (plus a count at most), not a query per event or per chunk of events.
    assert len(queries) <= 3, [q["sql"][:80] for q in queries]
