"""A task page's queries: a fixed number, whatever the case has gathered.

The claim page (our page at the task's assign URL) and the execute page (the step's form) of the bureau's
decision build the case's context once, read the case and the task once (the viewset's guard loads them for
its access check and hands them on), decide once whether the user may claim, and take the user's object
permissions from the load the menu's queue counter shares. A second build of the context, a re-read of the
process or the task, or a query per document, signature or audit event makes a count here larger.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from audit.services import audit_record, signature_sign
from workflows.cases.services import case_documents_add
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import DocumentType

from .conftest import scan

pytestmark = pytest.mark.django_db

# The officer's page of the decision step, an oversight read (its record.read event written in the request;
# the user read with their profile, permissions.backends.ModelPermissionBackend.get_user).
CLAIM_PAGE_QUERIES = 24
EXECUTE_PAGE_QUERIES = 24
MANY = 12


def measure(client: Any, url: str) -> tuple[int, dict[str, int]]:
    """(queries, how many documents, signatures and events the page shows) of one GET of ``url``; the first GET
    warms the session."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    shown = {name: len(response.context[name]) for name in ("documents", "signatures", "events")}
    return len(captured), shown


def decision_case(driver: Any, world: Any) -> tuple[Any, Task]:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    task = driver.open_task(case, F.decide)
    assert task is not None and task.status == "NEW"
    return case, task


def grow(case: Any, world: Any) -> None:
    """MANY more documents, signatures by others and audit events on the case."""
    case_documents_add(
        case=case,
        documents=[
            {
                "file": scan(f"extra-{n}.pdf"),
                "doc_type": DocumentType.REFERRAL_LETTER,
                "number": f"R-{n}",
                "issuer": "County hospital",
                "issued_on": dt.date(2026, 1, 1),
            }
            for n in range(MANY)
        ],
        user=world.clerk,
    )
    for n in range(MANY):
        signer = (world.expert1, world.expert2, world.expert3)[n % 3]
        signature_sign(signer=signer, meaning="reviewed", obj=case, content=case.signature_content(), step=f"note_{n}")
        audit_record(actor=world.director, action="record.read", obj=case)


def pages(case: Any, task: Task) -> dict[str, str]:
    return {
        "claim": F.decide.reverse("assign", args=[case.pk, task.pk]),
        "execute": F.decide.reverse("execute", args=[case.pk, task.pk]),
    }


def test_the_decision_steps_claim_and_execute_pages_cost_a_fixed_number_of_queries(driver: Any, world: Any) -> None:
    case, task = decision_case(driver, world)
    officer = driver.client(world.officer)
    urls = pages(case, task)

    claim, claim_shown = measure(officer, urls["claim"])
    assert claim == CLAIM_PAGE_QUERIES, claim
    driver.claim(world.officer, task)
    execute, execute_shown = measure(officer, urls["execute"])
    assert execute == EXECUTE_PAGE_QUERIES, execute
    # The pages show the case (its documents, signatures and trail), and the officer's reads were logged.
    for shown in (claim_shown, execute_shown):
        assert shown["documents"] >= 1 and shown["signatures"] >= 1 and shown["events"] >= 1, shown
    reads = AuditEvent.objects.filter(action="record.read", actor=world.officer, object_id=str(case.pk))
    assert reads.count() == 4


def test_a_task_page_costs_the_same_with_many_documents_signatures_and_events(driver: Any, world: Any) -> None:
    few_case, few_task = decision_case(driver, world)
    many_case, many_task = decision_case(driver, world)
    grow(many_case, world)
    officer = driver.client(world.officer)
    counts: dict[str, list[tuple[int, dict[str, int]]]] = {"claim": [], "execute": []}
    for case, task in ((few_case, few_task), (many_case, many_task)):
        counts["claim"].append(measure(officer, pages(case, task)["claim"]))
        driver.claim(world.officer, Task.objects.get(pk=task.pk))
        counts["execute"].append(measure(officer, pages(case, task)["execute"]))
    for name, ((few, few_shown), (many, many_shown)) in counts.items():
        for kind in ("documents", "signatures", "events"):
            assert many_shown[kind] >= few_shown[kind] + MANY, (name, kind, few_shown, many_shown)
        assert few == many, f"{name}: {few} queries with {few_shown}, {many} with {many_shown}"
