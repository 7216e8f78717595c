"""A case locked by another request answers "busy, try again" with nothing changed (PostgreSQL, issue #9).

The lock is held from a second connection (a thread) for as long as the test needs it: a barrier says it is
held, an event releases it. No sleeps: the flow lock's back-off is switched off, so the refusal is immediate.
"""

from __future__ import annotations

from typing import Any

import pytest
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from tests.pg import held_elsewhere
from workflows.locks import SavepointSelectForUpdateLock
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage
from workflows.viewsets import BUSY_MESSAGE

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_back_off(monkeypatch: Any) -> None:
    monkeypatch.setattr(SavepointSelectForUpdateLock, "pause", lambda self, attempt: None)


def bureau_case(driver: Any, world: Any) -> Any:
    case = driver.submit(pathway="divorced")
    assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
    return driver.refresh(case)


def test_withdrawing_a_case_the_bureau_is_deciding_answers_busy_and_changes_nothing(driver: Any, world: Any) -> None:
    case = bureau_case(driver, world)
    events = AuditEvent.objects.count()
    url = F.instance.reverse("withdraw", args=[case.pk])
    with held_elsewhere(F, case.pk):
        response = driver.client(world.clerk).post(url, {"reason": "Patient changed her mind"}, follow=True)
    assert response.redirect_chain == [(F.instance.reverse("process_detail", args=[case.pk]), 302)]
    assert str(BUSY_MESSAGE) in response.content.decode()
    case = driver.refresh(case)
    assert case.stage == Stage.BUREAU_REVIEW and case.ended_at is None
    assert AuditEvent.objects.count() == events
    assert Task.objects.filter(process_id=case.pk, flow_task=F.decide, status="NEW").exists()
    # Once the other request is done, the same withdrawal goes through.
    assert driver.client(world.clerk).post(url, {"reason": "Patient changed her mind"}).status_code == 302
    assert driver.refresh(case).stage == Stage.WITHDRAWN


def test_bulk_claim_skips_a_case_someone_else_holds_and_claims_the_rest(driver: Any, world: Any) -> None:
    busy, free = bureau_case(driver, world), bureau_case(driver, world)
    busy_task, free_task = driver.open_task(busy, F.decide), driver.open_task(free, F.decide)
    url = F.instance.reverse("tasks_assign")
    with held_elsewhere(F, busy.pk):
        response = driver.client(world.officer).post(url, {"tasks": [busy_task.pk, free_task.pk]}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[0][1] == 302
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["1 task(s) claimed.", str(BUSY_MESSAGE)]
    assert Task.objects.get(pk=busy_task.pk).owner is None
    assert Task.objects.get(pk=free_task.pk).owner == world.officer
    claims = AuditEvent.objects.filter(action="task.claim", changes__task__in=[busy_task.pk, free_task.pk])
    assert list(claims.values_list("object_id", flat=True)) == [str(free.pk)]
