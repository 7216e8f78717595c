"""The hash chain, its checkpoints and verify_audit: tamper injection, as a superuser would do it."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import chain
from audit.canonical import GENESIS_HASH
from audit.chain import checkpoints_read, row_hash, verify_chain
from audit.models import AuditEvent
from audit.services import audit_record, event_hash, event_payload, event_seal, seal_key_id

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


def rehash(sequence: int, reason: str) -> None:
    """Edit one event and give it the hash that matches, as someone with the tables but not the seal key would."""
    target = AuditEvent.objects.get(sequence=sequence)
    target.reason = reason
    forged = event_hash(prev_hash=target.prev_hash, payload=event_payload(target))
    with as_superuser_without_triggers() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = %s, hash = %s WHERE sequence = %s", [reason, forged, sequence]
        )


def test_an_edited_and_rehashed_event_is_named_by_its_own_sequence() -> None:
    bulk_chain(20)
    rehash(10, "rewritten")
    output = verify_fails_at(10)
    assert "sequence 10: unsealed: its seal does not match its hash" in output
    assert "sequence 10: relinked: event 11 does not follow it" in output
    assert "sequence 11" not in output


def test_an_edited_and_rehashed_event_before_seals_existed_is_named_by_its_own_sequence() -> None:
    bulk_chain(20, sealed=False)
    call_command("audit_seal", stdout=StringIO())
    rehash(10, "rewritten")
    output = verify_fails_at(10)
    assert "sequence 10: relinked: event 11 does not follow it" in output


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
    # The seals of 15 to 20 cover the old hashes: found without any checkpoint.
    output = verify_fails_at(15)
    assert "sequence 15: unsealed" in output
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


# --- Seals: a keyed chain, checked without any checkpoint ----------------------------------------


def rebuild_from(sequence: int, *, reason: str, seal: Any = None) -> None:
    """Rewrite event ``sequence`` and re-chain everything after it; ``seal(hash)`` gives (key id, seal) or None."""
    with as_superuser_without_triggers() as cursor:
        prev = AuditEvent.objects.get(sequence=sequence - 1).hash if sequence > 1 else GENESIS_HASH
        for event in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
            if event.sequence == sequence:
                event.reason = reason
            event.prev_hash = prev
            event.hash = prev = event_hash(prev_hash=prev, payload=event_payload(event))
            event.seal_key, event.seal = seal(event.hash) if seal else (event.seal_key, event.seal)
            cursor.execute(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s, seal_key = %s, seal = %s "
                "WHERE sequence = %s",
                [event.reason, event.prev_hash, event.hash, event.seal_key, event.seal, event.sequence],
            )


def test_every_event_is_sealed_with_the_current_key(settings: Any) -> None:
    settings.AUDIT_CHAIN_KEYS = ["k" * 40, "old" * 20]
    event = audit_record(actor=None, action="test.one")
    assert event.seal_key == seal_key_id("k" * 40)
    assert event.seal == event_seal(hash=event.hash, key=b"k" * 40)
    assert AuditEvent.objects.get(pk=event.pk).seal == event.seal


def test_a_chain_rebuilt_and_resealed_with_a_guessed_key_is_found_without_a_checkpoint() -> None:
    bulk_chain(20)
    guessed = b"not-the-key-kept-outside-the-database"
    rebuild_from(12, reason="forged", seal=lambda h: (seal_key_id(guessed.decode()), event_seal(hash=h, key=guessed)))
    output = verify_fails_at(12)
    assert "sequence 12: unsealed: sealed with key" in output


def test_a_chain_rebuilt_with_the_seal_key_copied_over_is_found_without_a_checkpoint() -> None:
    bulk_chain(20)
    current = seal_key_id(settings_keys()[0])
    rebuild_from(12, reason="forged", seal=lambda h: (current, "0" * 64))
    assert "sequence 12: unsealed: its seal does not match" in verify_fails_at(12)


def test_seals_stripped_from_the_middle_on_are_found() -> None:
    bulk_chain(20)
    rebuild_from(12, reason="forged", seal=lambda h: ("", ""))
    assert "sequence 12: unsealed: no seal, after sealing began" in verify_fails_at(12)


def test_a_chain_with_every_seal_stripped_is_found() -> None:
    bulk_chain(20)
    rebuild_from(5, reason="forged", seal=lambda h: ("", ""))
    with as_superuser_without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seal = '', seal_key = ''")
    assert "no event is sealed" in verify_fails_at(1)


def test_an_old_chain_verifies_once_its_head_is_sealed_and_not_before() -> None:
    """The upgrade path: events from before seals existed carry none; one sealed event vouches for them all."""
    bulk_chain(30, sealed=False)
    assert "seal its head once with manage.py audit_seal" in verify_fails_at(1)
    out = StringIO()
    call_command("audit_seal", stdout=out)
    assert "Sealed the chain up to event 30 with event 31" in out.getvalue()
    call_command("audit_seal", stdout=out)  # idempotent
    assert AuditEvent.objects.count() == 31 and AuditEvent.objects.get(sequence=31).action == "audit.sealed"
    verify_passes()
    audit_record(actor=None, action="test.after_upgrade")
    verify_passes()
    # Rebuilding the old, unsealed part from event 7 on breaks the seal of the first sealed event, which
    # covers it; where in the unsealed part the rebuild began, only a checkpoint from that time can tell.
    rebuild_from(7, reason="forged", seal=None)
    assert "sequence 31: unsealed: its seal does not match" in verify_fails_at(31)


def test_keys_rotate_by_putting_the_new_key_first_and_keeping_the_old(settings: Any) -> None:
    old, new = "old-key-" + "o" * 40, "new-key-" + "n" * 40
    settings.AUDIT_CHAIN_KEYS = [old]
    bulk_chain(5)
    settings.AUDIT_CHAIN_KEYS = [new, old]
    audit_record(actor=None, action="test.after_rotation")
    keys_used = list(AuditEvent.objects.order_by("sequence").values_list("seal_key", flat=True))
    assert keys_used == [seal_key_id(old)] * 5 + [seal_key_id(new)]
    verify_passes()
    settings.AUDIT_CHAIN_KEYS = [new]  # the old key dropped: its seals can no longer be checked, and that shows
    assert "which is not in AUDIT_CHAIN_KEYS" in verify_fails_at(1)


def test_the_record_timeline_marks_a_rehashed_last_event_by_its_seal() -> None:
    """The head has no successor whose link could give it away: only its seal does."""
    from audit.selectors import events_check

    bulk_chain(20)
    rehash(20, "rewritten")
    events = list(AuditEvent.objects.filter(sequence__in=[19, 20]).order_by("sequence"))
    assert events_check(events).bad_sequences == [20]


def settings_keys() -> list[str]:
    from django.conf import settings

    return list(settings.AUDIT_CHAIN_KEYS)
