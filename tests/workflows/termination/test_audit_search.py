"""The inspector finds a case's trail by its case number or by the certificate it issued, and only in their county."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent

from .test_pages import approved_case

pytestmark = pytest.mark.django_db


def found(client: Any, **params: Any) -> list[AuditEvent]:
    response = client.get(reverse("audit:search"), params)
    assert response.status_code == 200
    return list(response.context["events"])


@pytest.fixture
def two_cases(driver: Any, world: Any) -> tuple[Any, Any]:
    return approved_case(driver, world), approved_case(driver, world)


def test_the_inspector_finds_a_cases_trail_by_its_number(driver: Any, world: Any, two_cases: Any) -> None:
    first, _second = two_cases
    client = driver.client(world.inspector)
    for number in (str(first.pk), f"#{first.pk}", f" #{first.pk} "):
        events = found(client, case=number)
        assert events and {(e.object_type, e.object_id) for e in events} == {
            ("termination.terminationcase", str(first.pk))
        }
    assert {e.action for e in found(client, case=first.pk)} >= {"termination.submit", "termination.certificate_issue"}


def test_the_inspector_finds_a_cases_trail_by_its_certificate_number(driver: Any, world: Any, two_cases: Any) -> None:
    first, second = two_cases
    client = driver.client(world.inspector)
    events = found(client, certificate=second.certificate_number)
    assert events and {e.object_id for e in events} == {str(second.pk)}
    assert {e.object_id for e in found(client, certificate=second.certificate_number.lower())} == {str(second.pk)}
    assert found(client, certificate="990101-1999-000001") == []
    # With other filters, all must hold.
    assert found(client, certificate=second.certificate_number, case=first.pk) == []


def test_a_case_or_certificate_of_another_county_finds_nothing(driver: Any, world: Any, two_cases: Any) -> None:
    first, _second = two_cases
    client = driver.client(world.officer_b)  # bureau of county B: sees county B's trail only
    assert found(client, certificate=first.certificate_number) == []
    assert found(client, case=first.pk) == []


def test_a_malformed_case_number_is_refused_clearly(driver: Any, world: Any) -> None:
    response = driver.client(world.inspector).get(reverse("audit:search"), {"case": "eleven"})
    assert response.status_code == 200 and list(response.context["events"]) == []
    assert "Enter a case number such as 11." in response.content.decode()


def test_the_search_by_certificate_runs_a_fixed_number_of_queries(driver: Any, world: Any, two_cases: Any) -> None:
    first, second = two_cases
    client = driver.client(world.inspector)
    counts = []
    for case in (first, second):
        with CaptureQueriesContext(connection) as captured:
            found(client, certificate=case.certificate_number)
        counts.append(len(captured))
    approved_case(driver, world)  # more cases and events: the same queries
    with CaptureQueriesContext(connection) as captured:
        found(client, certificate=first.certificate_number)
    assert counts[0] == counts[1] == len(captured)
    lookups = [q["sql"] for q in captured.captured_queries if "certificate_number" in q["sql"]]
    assert len(lookups) == 1  # one lookup of the certificate, then the events by their (type, id) index


@pytest.mark.parametrize("by", ["case", "certificate"])
def test_the_case_and_certificate_predicates_use_the_events_record_index(two_cases: Any, by: str) -> None:
    from audit.selectors import case_events, certificate_events

    first, _second = two_cases
    events = (
        case_events(AuditEvent.objects.all(), number=first.pk)
        if by == "case"
        else certificate_events(AuditEvent.objects.all(), number=first.certificate_number)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a few rows: make the planner show what it would do at scale
            cursor.execute("SET enable_seqscan = off")
        plan = events.explain()
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = on")
    assert "audit_object_idx" in plan, plan
