"""Exactly one winner when officers act on the same task at the same moment (PostgreSQL, real transactions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from viewflow.workflow.models import Task

from audit.models import AuditEvent, Signature
from tests.factories import PASSWORD
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Any]) -> list[int]:
    """Run the calls at the same moment, one thread (and one connection) each; return their status codes."""
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(index: int, call: Any) -> None:
        try:
            barrier.wait()
            results[index] = call().status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def bureau_case(driver: Any, world: Any) -> Any:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    return case


@pytest.mark.parametrize("attempt", range(3))
def test_four_simultaneous_approvals_of_one_task_give_one_signature_and_one_certificate(
    driver: Any, world: Any, attempt: int
) -> None:
    case = bureau_case(driver, world)
    task = driver.open_task(case, F.decide)
    assert driver.claim(world.officer, task).status_code == 302
    url = F.decide.reverse("execute", args=[case.pk, task.pk])
    clients = [driver.client(world.officer) for _ in range(4)]
    data = {"decision": "approve", "reason": "", "password": PASSWORD}
    codes = race([lambda c=c: c.post(url, data) for c in clients])

    assert sorted(codes).count(302) == 1, codes
    assert all(code in {302, 403} for code in codes), codes  # refusals, never a 500
    case = driver.refresh(case)
    assert case.stage == Stage.APPROVED and case.certificate_number.endswith("000001")
    assert Signature.objects.filter(object_id=str(case.pk), meaning="approved").count() == 1
    assert AuditEvent.objects.filter(object_id=str(case.pk), action="termination.decide").count() == 1
    assert Task.objects.filter(process_id=case.pk, flow_task=F.record_procedure).count() == 1


def test_two_officers_claiming_the_same_task_at_once_leaves_one_owner(driver: Any, world: Any) -> None:
    case = bureau_case(driver, world)
    task = driver.open_task(case, F.decide)
    url = F.decide.reverse("assign", args=[case.pk, task.pk])
    officers = [world.officer, world.officer2, world.chief]
    codes = race([lambda u=u: driver.client(u).post(url, {}) for u in officers])
    assert codes.count(302) == 1, codes
    assert all(code in {302, 403} for code in codes), codes
    task = Task.objects.get(pk=task.pk)
    assert task.status == "ASSIGNED" and task.owner in officers
    assert AuditEvent.objects.filter(object_id=str(case.pk), action="task.claim").count() == 2  # review + this one
