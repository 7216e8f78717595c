"""On PostgreSQL the trail and the signature register cannot be changed by the application."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEvent, Signature
from audit.services import audit_record, signature_sign
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TRIGGERS = {
    "audit_auditevent_append_only",
    "audit_auditevent_no_truncate",
    "audit_signature_append_only",
    "audit_signature_no_truncate",
}


def refused(sql: str, params: list[Any] | None = None) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL regflow.audit_strict = on")  # see the migration: TRUNCATE in test_* databases
        # Run the deferred foreign-key checks of this test's own inserts now, or TRUNCATE refuses for that reason.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params)


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'audit_%'")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def trail(world: World) -> tuple[AuditEvent, Signature]:
    signature = signature_sign(signer=world.officer, meaning="approved", obj=world.hospital_a, content={"a": 1})
    return audit_record(actor=world.officer, action="test.row"), signature


def test_update_delete_and_truncate_of_audit_events_fail(trail: Any) -> None:
    event, _signature = trail
    refused("UPDATE audit_auditevent SET reason = 'changed' WHERE id = %s", [event.pk])
    refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    refused("TRUNCATE audit_auditevent CASCADE")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="through the ORM")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_update_delete_and_truncate_of_signatures_fail(trail: Any) -> None:
    _event, signature = trail
    refused("UPDATE audit_signature SET meaning = 'rejected' WHERE id = %s", [signature.pk])
    refused("DELETE FROM audit_signature WHERE id = %s", [signature.pk])
    refused("TRUNCATE audit_signature CASCADE")  # other tables point at signatures
    assert Signature.objects.get(pk=signature.pk).meaning == "approved"


def test_the_migration_installs_the_triggers_and_removes_them_when_reversed(db: Any) -> None:
    assert installed_triggers() == TRIGGERS
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("audit", "0002_event_scope_columns")])
        assert installed_triggers() == set()
    finally:
        executor.loader.build_graph()
        executor.migrate([("audit", "0003_append_only_triggers")])
    assert installed_triggers() == TRIGGERS
