"""Helpers for the audit tests: a signable record, bulk chains, and tampering as a superuser would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from audit.canonical import GENESIS_HASH
from audit.models import AuditEvent
from audit.services import event_hash, event_payload, event_seal_now
from permissions.models import Facility


@pytest.fixture
def signable(monkeypatch: pytest.MonkeyPatch) -> type[Facility]:
    """Facilities stand in for a procedure's record: they get the two methods a case model provides.

    The termination case is being written alongside; the audit layer only relies on
    signature_content() and audit_scope(), so any model that has them will do.
    """

    def signature_content(self: Facility) -> dict[str, Any]:
        return {"name": self.name, "mch_licence": self.mch_licence_number, "kind": self.kind}

    def audit_scope(self: Facility) -> tuple[int | None, int | None]:
        return self.county_id, self.pk

    monkeypatch.setattr(Facility, "signature_content", signature_content, raising=False)
    monkeypatch.setattr(Facility, "audit_scope", audit_scope, raising=False)
    return Facility


def bulk_chain(
    n: int, *, county_id: int | None = None, start_sequence: int | None = None, sealed: bool = True
) -> list[AuditEvent]:
    """Append n valid events quickly (hashes and seals computed exactly as audit_record does).

    ``sealed=False`` writes them as events from before seals existed (audit migration 0004).
    """
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev = head if head else (0, GENESIS_HASH)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    events = []
    for i in range(1, n + 1):
        event = AuditEvent(
            sequence=sequence + i,
            occurred_at=start + timedelta(seconds=sequence + i),
            actor_name="张三",
            action="test.bulk",
            object_type="test.thing",
            object_id=str(i % 7),
            county_id=county_id,
            changes={"n": i, "stage": ["draft", "submitted"]},
            prev_hash=prev,
        )
        event.hash = prev = event_hash(prev_hash=prev, payload=event_payload(event))
        if sealed:
            event.seal_key, event.seal = event_seal_now(hash=event.hash)
        events.append(event)
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return events


@contextmanager
def as_superuser_without_triggers() -> Iterator[Any]:
    """What an attacker with database superuser rights can do: write past the append-only trigger.

    On PostgreSQL, session_replication_role = replica stops ordinary triggers from
    firing (it needs superuser, which the tests connect as). SQLite has no trigger.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")
