"""The application's database role owns nothing: it cannot get past the audit trail's trigger.

These run on PostgreSQL only, inside the test's transaction: CREATE ROLE, the grants and
SET LOCAL ROLE all roll back with it, so nothing is left in the cluster.
"""

from __future__ import annotations

import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.chain import verify_chain
from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def app_role(db: Any) -> str:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    role = f"regflow_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("grant_app_role", role, stdout=StringIO())
    return role


def as_role(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')


def refused(statement: str) -> str:
    """Run one statement in a savepoint; the database's refusal, or fail if it went through."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as exc:
        return str(exc)
    raise AssertionError(f"the application role could run: {statement}")


@pytest.mark.parametrize("table", ["audit_auditevent", "audit_signature"])
def test_the_application_role_cannot_touch_the_audit_tables_past_insert(app_role: str, table: str) -> None:
    # The table names are the two constants of the parametrisation, not input.
    audit_record(actor=None, action="test.before")
    as_role(app_role)
    assert "must be owner" in refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    assert "must be owner" in refused(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS nothing")
    assert "permission denied" in refused(f"UPDATE {table} SET id = id")  # noqa: S608
    assert "permission denied" in refused(f"DELETE FROM {table}")  # noqa: S608
    assert "permission denied" in refused(f"TRUNCATE {table}")
    assert "permission denied" in refused("SET session_replication_role = replica")
    assert "must be owner" in refused("DROP FUNCTION regflow_audit_append_only() CASCADE")


def test_the_application_role_appends_to_the_trail_and_it_verifies(app_role: str) -> None:
    as_role(app_role)
    audit_record(actor=None, action="test.one")
    audit_record(actor=None, action="test.two")
    assert AuditEvent.objects.count() == 2
    assert verify_chain().ok
    assert "permission denied" in refused("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())")


def test_the_application_runs_under_its_role(app_role: str, world: World, client: Any, password: str) -> None:
    """Login (sessions, django-axes), reads and an audited change, all as the role that owns nothing."""
    from tests.workflows.termination.conftest import Driver
    from workflows.termination.flows import TerminationFlow as F

    as_role(app_role)
    assert client.post("/accounts/login/", {"username": "clerk", "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "clerk", "password": password}).status_code == 302
    driver = Driver(world)
    case = driver.submit()
    response = driver.act(world.director, case, F.review, {"decision": "forward"})
    assert response.status_code == 302
    assert driver.client(world.officer).get(F.instance.reverse("process_detail", args=[case.pk])).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role


def test_a_role_that_owns_tables_is_refused(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="owns tables"):
        call_command("grant_app_role", owner, stdout=StringIO())
