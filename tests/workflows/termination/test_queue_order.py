"""The queue's order and its pages: one walk per step with a deadline, merged with the steps without one.

The queue page does not rank every task the user may take (a county's thousands of decisions at province
scale): it walks each dated step's cases in deadline order (``CaseViewset.queue_rows``) and merges the walks
with the undated tasks. These tests hold it to the ranking it replaces, the whole takeable set sorted by
(deadline, no deadline last; creation; id), page after page through the ``after`` cursor.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from permissions.access import cases_for_user
from permissions.roles import Role
from permissions.services import role_grant
from tests.conftest import make_person
from tests.factories import UserFactory
from workflows import viewsets
from workflows.cases.selectors import tasks_by_case_deadline
from workflows.takeability import takeable_tasks
from workflows.termination.flows import TerminationFlow as Flow
from workflows.termination.models import TerminationCase

from .scene import case_review, case_start
from .test_workspace import to_bureau

pytestmark = pytest.mark.django_db


def ranked(user: Any) -> list[int]:
    """The oracle: every task the user may take, ranked in one query by the deadline of its step."""
    deadline = Case(
        When(flow_task__in=[Flow.decide, Flow.escalate], then=F("process__terminationcase__decision_due_at")),
        When(flow_task=Flow.record_procedure, then=F("process__terminationcase__certificate_valid_until")),
        default=Value(None, output_field=DateTimeField()),
        output_field=DateTimeField(),
    )
    tasks = takeable_tasks(Flow, user, visible=cases_for_user(user, model=TerminationCase))
    tasks = tasks.annotate(due=Coalesce(deadline, Value(viewsets.FAR_FUTURE))).order_by("due", "created", "pk")
    return list(tasks.values_list("pk", flat=True))


def queue_pages(client: Any) -> list[list[int]]:
    """The task ids of each page of the queue, following its "next page" link to the end."""
    pages, url = [], Flow.instance.reverse("queue")
    while url:
        page = client.get(url).content.decode()
        pages.append([int(pk) for pk in re.findall(r'name="tasks" value="(\d+)"', page)])
        cursor = re.search(r'href="\?after=([0-9.]+)"', page)
        url = Flow.instance.reverse("queue") + f"?after={cursor.group(1)}" if cursor else ""
        assert len(pages) < 50, "the cursor does not advance"
    return pages


def test_the_queue_pages_merge_dated_and_undated_steps_in_the_order_of_the_whole_ranking(
    driver: Any, world: Any, monkeypatch: Any
) -> None:
    """A person who decides for county A's bureau, and reviews and records at Hospital B: decisions (dated by
    the decision clock, two pairs due at the same moment), reviews (no deadline) and a procedure to record
    (dated by the certificate) in one queue, paged two at a time."""
    director_b = make_person("director_b", Role.FACILITY_DIRECTOR, facility=world.hospital_b)
    mixed = make_person("mixed", Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    for role in (Role.FACILITY_DIRECTOR, Role.FACILITY_CLERK):
        role_grant(actor=UserFactory(is_superuser=True), user=mixed, role=role, facility=world.hospital_b)
    decisions = [to_bureau(driver, world, pathway="divorced") for _ in range(5)]
    at_b = {"user": world.clerk_b, "facility": str(world.hospital_b.pk)}
    reviews = [driver.submit(**at_b) for _ in range(3)]  # the last pages: one ends among them
    approved = driver.submit(**at_b)
    driver.act(director_b, approved, Flow.review, {"decision": "forward"})
    driver.act(world.officer_b, approved, Flow.decide, {"decision": "approve"})
    assert driver.open_task(approved, Flow.record_procedure) is not None
    soon = timezone.now() + dt.timedelta(days=1)
    dues = [soon, soon + dt.timedelta(days=20), soon, soon + dt.timedelta(days=2), soon + dt.timedelta(days=2)]
    for case, due in zip(decisions, dues, strict=True):
        TerminationCase.objects.filter(pk=case.pk).update(decision_due_at=due)

    expected = ranked(mixed)
    steps = Task.objects.filter(pk__in=expected).values_list("flow_task", flat=True)
    assert {str(step) for step in steps} >= {str(Flow.decide), str(Flow.review), str(Flow.record_procedure)}
    assert len(expected) == len(decisions) + len(reviews) + 1
    monkeypatch.setattr(viewsets.DeadlineQueueView, "paginate_by", 2)
    pages = queue_pages(driver.client(mixed))
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [2, 2, 2, 2, 1]


def test_the_walk_keeps_the_order_of_tasks_whose_cases_are_due_at_the_same_moment_across_its_batches(
    driver: Any, world: Any
) -> None:
    """Six decisions due at one moment, the later-created case's task created first: a batch of cases cut in
    the middle of the tie would show a later task before an earlier one. The walk reads every case of the
    batch's last deadline, so the order within the tie is the tasks' own."""
    cases = [to_bureau(driver, world, pathway="divorced") for _ in range(6)]
    due = timezone.now() + dt.timedelta(days=3)
    TerminationCase.objects.filter(pk__in=[case.pk for case in cases]).update(decision_due_at=due)
    start = timezone.now() - dt.timedelta(hours=1)
    for minutes, case in enumerate(reversed(cases)):  # the last case's decision was created first
        Task.objects.filter(process_id=case.pk, flow_task=Flow.decide).update(
            created=start + dt.timedelta(minutes=minutes)
        )
    tasks = takeable_tasks(Flow, world.officer).filter(flow_task=Flow.decide)
    open_cases = TerminationCase.objects.filter(stage=TerminationCase.DECISION_STAGE)
    newest_first = [case.pk for case in reversed(cases)]

    def walk(limit: int, after: Any = None) -> list[int]:
        rows = tasks_by_case_deadline(tasks, cases=open_cases, due_field="decision_due_at", limit=limit, after=after)
        return [task.process_id for task in rows]

    assert walk(1) == newest_first[:1]  # a batch of four cases, all due together: the tie is read whole
    assert walk(2) == newest_first[:2]
    assert walk(10) == newest_first
    first = tasks_by_case_deadline(tasks, cases=open_cases, due_field="decision_due_at", limit=2)
    last = first[-1]
    assert walk(10, after=(last.case_due, last.created, last.pk)) == newest_first[2:]


def test_an_escalated_decision_heads_the_bureau_directors_queue_as_overdue(driver: Any, world: Any) -> None:
    """An escalation waits on a deadline that has passed: it comes first, marked overdue, as on the workspace,
    not after every task without a deadline."""
    late, later = to_bureau(driver, world, pathway="divorced"), to_bureau(driver, world, pathway="divorced")
    dues = [late.decision_due_at, later.decision_due_at]
    assert dues[0] < dues[1]
    with time_machine.travel(dues[1] + dt.timedelta(hours=1)):
        assert fire_due_timers() == 2
        page = driver.client(world.chief).get(Flow.instance.reverse("queue")).content.decode()
    rows = re.findall(r'name="tasks" value="(\d+)".*?#(\d+)</a>.*?<td>(.*?)</td>\s*<td>(.*?)</td></tr>', page, re.S)
    assert [int(case) for _task, case, _due, _left in rows] == [late.pk, later.pk]
    shown = [timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") for moment in dues]
    assert [deadline[:16] for _task, _case, deadline, _left in rows] == shown
    assert all("Overdue" in left for _task, _case, _due, left in rows)


def test_an_officers_queue_of_decisions_costs_the_same_queries_at_one_row_and_at_fifty(driver: Any, world: Any) -> None:
    """The decisions' walk reads a batch of cases four times the page's rows: fifty decisions take no more
    queries than one (tests/workflows/termination/test_list_queries.py, for the queue's undated steps)."""
    client = driver.client(world.officer)
    url = Flow.instance.reverse("queue")
    counts = []
    made = 0
    for wanted in (1, 50):
        for serial in range(made, wanted):
            case = case_start(
                user=world.clerk, facility=world.hospital_a, pathway="divorced", name=f"P{serial}", serial=serial
            )
            case_review(case, world.director)
        made = wanted
        assert client.get(url).status_code == 200  # warm the session
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        counts.append((len(captured), len(re.findall(r'name="tasks"', page))))
    assert counts[0][1] == 1 and counts[1][1] == 50
    assert counts[0][0] == counts[1][0], counts
