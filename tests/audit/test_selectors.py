"""Reads for case pages: what they return and how many queries they cost (pinned)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.selectors import events_for_object, object_trail, signatures_for_object
from audit.services import audit_record, signature_sign
from tests.conftest import World

from .conftest import as_superuser_without_triggers

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(world: World, signable: Any) -> Any:
    hospital = world.hospital_a
    for persona in ["director", "officer", "chief"]:
        signature_sign(
            signer=getattr(world, persona), meaning="verified", obj=hospital, content=hospital.signature_content()
        )
        audit_record(actor=getattr(world, persona), action="test.step", obj=hospital, changes={"k": [1, 2]})
    audit_record(actor=world.officer_b, action="test.elsewhere", obj=world.hospital_b)
    return type(hospital).objects.get(pk=hospital.pk)


def test_signatures_for_object_cost_one_query_however_many_signatures(record: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        rows = signatures_for_object(record)
    assert len(queries) == 1  # the stand-in's signature_content() needs no query
    assert [s.printed_name for s in rows] == ["Director Printed", "Officer Printed", "Chief Printed"]
    assert all(s.valid is True for s in rows)


def test_events_for_object_cost_four_queries_and_link_each_signature(record: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        events = events_for_object(record)
    assert len(queries) == 4  # signatures, events, their neighbours, the head
    assert [e.action for e in events] == ["signature.verified", "test.step"] * 3
    assert all(e.intact for e in events)
    signed = [e for e in events if e.action == "signature.verified"]
    assert [e.signature.printed_name for e in signed] == ["Director Printed", "Officer Printed", "Chief Printed"]
    assert all(e.signature is None for e in events if e.action == "test.step")


def test_a_trail_filtered_to_a_county_leaves_out_events_recorded_elsewhere(world: World, record: Any) -> None:
    trail = object_trail(obj=record, county_ids={world.county_b.pk})
    assert trail.events == [] and len(trail.signatures) == 3


def test_the_trail_check_flags_an_event_whose_neighbour_was_deleted(record: Any) -> None:
    events = events_for_object(record)
    middle = events[2]
    with as_superuser_without_triggers() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = %s", [middle.sequence + 1])
    trail = object_trail(obj=record)
    assert middle.sequence in trail.check.bad_sequences and not trail.check.ok
