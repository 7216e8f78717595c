"""The hash chain covers every column of an event: an edit of any one of them, and only it, is found (issue #17)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory

from audit.chain import verify_chain
from audit.services import audit_record

from .conftest import as_superuser_without_triggers

pytestmark = pytest.mark.django_db

# Each covered column, and an SQL expression that changes its value in the middle event.
EDITS = {
    "occurred_at": "occurred_at + interval '1 second'",  # SQLite: see below
    "actor_id": "%(other_user)s",
    "actor_name": "'Someone Else'",
    "action": "'termination.review'",
    "object_type": "'permissions.jurisdiction'",
    "object_id": "'999'",
    "county_id": "%(other_county)s",
    "facility_id": "%(other_facility)s",
    "changes": """'{"decision": "approve"}'""",
    "reason": "'nothing happened'",
    "request_id": "'forged-request'",
    "client_address": "'203.0.113.99'",
}


def three_events(world: Any) -> None:
    request = RequestFactory().post("/sign/", REMOTE_ADDR="198.51.100.4")
    request.user = world.officer
    for n in range(3):
        audit_record(
            actor=world.officer,
            action="termination.decide",
            obj=world.hospital_a,
            changes={"decision": "return", "n": n},
            reason=f"Missing page {n}",
            request=request,
        )


@pytest.mark.parametrize("column", sorted(EDITS))
def test_editing_any_covered_column_breaks_the_chain_at_that_event(world: Any, column: str) -> None:
    three_events(world)
    assert verify_chain().problems == []
    edit = EDITS[column] % {
        "other_user": world.clerk.pk,
        "other_county": world.county_b.pk,
        "other_facility": world.hospital_b.pk,
    }
    if column == "occurred_at" and connection.vendor == "sqlite":
        edit = "strftime('%Y-%m-%d %H:%M:%f', occurred_at, '+1 second')"
    with as_superuser_without_triggers() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {column} = {edit} WHERE sequence = 2")  # noqa: S608
    problems = verify_chain().problems
    assert [(p.sequence, p.kind) for p in problems] == [(2, "altered")], problems
