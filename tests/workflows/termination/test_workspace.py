"""The workspace is each role's home: their work, most pressing first, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from permissions.roles import Role
from permissions.services import role_grant
from tests.factories import UserFactory
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import TerminationCase

from .conftest import resident_id

pytestmark = pytest.mark.django_db
HOME = "/workspace/"


def section(page: str, key: str) -> str:
    found = re.search(rf'<section class="regflow-card" id="{key}">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


def case_numbers(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r"Case #(\d+)</a>", html)]


def to_bureau(driver: Any, world: Any, **kwargs: Any) -> TerminationCase:
    case = driver.submit(**kwargs)
    if not kwargs.get("emergency"):  # emergencies go straight to the bureau
        driver.act(world.director, case, F.review, {"decision": "forward"})
    return driver.refresh(case)


def test_a_clerk_sees_new_request_and_the_facilitys_open_and_returned_cases(
    driver: Any, world: Any, login: Any
) -> None:
    returned = driver.submit(pathway="widowed")
    driver.act(world.director, returned, F.review, {"decision": "return", "reason": "Original needed"})
    waiting = driver.submit(pathway="divorced")
    page = login(world.clerk).get(HOME).content.decode()
    assert F.submit.reverse("execute") in page and "New request" in page
    assert case_numbers(section(page, "termination-returned")) == [returned.pk]
    assert case_numbers(section(page, "termination-open")) == [waiting.pk]
    assert "termination-decisions" not in page and "termination-flagged" not in page
    assert "<th>Role</th>" not in page  # not a table of roles


def test_a_clerk_of_another_county_sees_none_of_them(driver: Any, world: Any, login: Any) -> None:
    driver.submit(pathway="divorced")
    page = login(world.clerk_b).get(HOME).content.decode()
    assert case_numbers(page) == []


def test_the_director_and_the_experts_see_what_waits_for_them(driver: Any, world: Any, login: Any) -> None:
    personal = driver.submit(pathway="divorced")
    medical = driver.submit(pathway="maternal")
    director_page = login(world.director).get(HOME).content.decode()
    assert case_numbers(section(director_page, "termination-waiting")) == [personal.pk]
    assert "Facility review" in section(director_page, "termination-waiting")
    expert_page = login(world.expert1).get(HOME).content.decode()
    # Three panel seats, one row: an expert takes one seat.
    assert case_numbers(section(expert_page, "termination-waiting")) == [medical.pk]
    assert "Give an expert opinion" in section(expert_page, "termination-waiting")
    assert "New request" not in expert_page


def test_the_officer_sees_the_decisions_with_deadlines_overdue_first(driver: Any, world: Any, login: Any) -> None:
    later, overdue = to_bureau(driver, world), to_bureau(driver, world, pathway="widowed")
    TerminationCase.objects.filter(pk=overdue.pk).update(decision_due_at=timezone.now() - dt.timedelta(hours=3))
    TerminationCase.objects.filter(pk=later.pk).update(decision_due_at=timezone.now() + dt.timedelta(days=2, hours=5))
    page = login(world.officer).get(HOME).content.decode()
    decisions = section(page, "termination-decisions")
    assert case_numbers(decisions) == [overdue.pk, later.pk]
    assert "overdue by 3 hours" in decisions and "2 days 4 hours" in decisions
    assert "termination-waiting" not in page


def test_the_bureau_director_sees_the_escalations(driver: Any, world: Any, login: Any, county_rules: Any) -> None:
    case = to_bureau(driver, world)
    with time_machine.travel(timezone.now() + dt.timedelta(days=county_rules.decision_deadline_days, hours=1)):
        assert fire_due_timers() == 1
        page = login(world.chief).get(HOME).content.decode()
    escalations = section(page, "termination-escalations")
    assert case_numbers(escalations) == [case.pk] and "Escalated decision" in escalations


def test_the_inspector_sees_the_audit_search_and_flagged_cases(driver: Any, world: Any, login: Any) -> None:
    driver.submit(pathway="divorced")
    flagged = driver.submit(pathway="maternal", emergency=True)
    page = login(world.inspector).get(HOME).content.decode()
    assert 'href="/audit/' in page and "Search the audit trail" in page
    assert case_numbers(section(page, "termination-flagged")) == [flagged.pk]


def test_a_superuser_gets_a_link_to_the_admin(world: Any, login: Any) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    page = login(admin).get(HOME).content.decode()
    assert 'href="/admin/"' in page
    assert 'href="/admin/"' not in login(world.officer).get(HOME).content.decode()


def test_a_person_with_several_roles_sees_each_section(driver: Any, world: Any, login: Any) -> None:
    role_grant(actor=None, user=world.officer, role=Role.INSPECTOR, jurisdiction=world.county_a)
    flagged = driver.submit(pathway="maternal", emergency=True)
    page = login(world.officer).get(HOME).content.decode()
    assert case_numbers(section(page, "termination-decisions")) == [flagged.pk]  # emergencies go straight there
    assert case_numbers(section(page, "termination-flagged")) == [flagged.pk]


@pytest.mark.parametrize("persona", ["clerk", "director", "officer", "inspector"])
def test_the_workspace_costs_the_same_queries_at_one_row_and_at_several(
    driver: Any,
    world: Any,
    login: Any,
    persona: str,
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    to_bureau(driver, world, emergency=True)
    client = login(getattr(world, persona))
    client.get(HOME)  # warm the session and per-process caches
    with django_assert_max_num_queries(100) as one_row:
        assert client.get(HOME).status_code == 200
    at_one_row = len(one_row.captured_queries)  # read now: the next request empties the query log
    for pathway in ("widowed", "unmarried", "divorced"):
        to_bureau(driver, world, pathway=pathway, emergency=True)
        driver.submit(pathway=pathway)
    page = client.get(HOME).content.decode()
    assert len(case_numbers(page)) >= 4
    with django_assert_num_queries(at_one_row):
        client.get(HOME)


def test_a_long_list_is_cut_at_the_limit_and_links_to_all(
    driver: Any, world: Any, login: Any, monkeypatch: Any
) -> None:
    from workflows.termination import selectors

    monkeypatch.setattr(selectors, "SECTION_LIMIT", 2)
    cases = [driver.submit(pathway="divorced") for _ in range(3)]
    page = login(world.clerk).get(HOME).content.decode()
    open_section = section(page, "termination-open")
    assert case_numbers(open_section) == [cases[2].pk, cases[1].pk]  # newest first, cut at the limit
    assert "(3)" in open_section
    assert f'<a href="{F.instance.reverse("index")}">See all (3)</a>' in open_section


def test_a_director_who_returned_a_case_sees_it_again_after_the_amendment(driver: Any, world: Any, login: Any) -> None:
    """Facility review is a repeatable step: the director who returned a case reviews it again, as the queue allows."""
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "return", "reason": "Original needed"})
    amend = {
        "patient_name": "测试 Patient",
        "resident_id": resident_id(),
        "marital_status": "divorced",
        "gestational_weeks": "18",
        "gestational_days": "3",
        "lmp_date": (timezone.localdate() - dt.timedelta(days=18 * 7 + 3)).isoformat(),
        "pathway": "divorced",
        "reason": "Original attached",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "10",
    }
    assert driver.act(world.clerk, case, F.amend, amend, sign=False).status_code == 302
    assert driver.open_task(driver.refresh(case), F.review) is not None
    page = login(world.director).get(HOME).content.decode()
    assert case_numbers(section(page, "termination-waiting")) == [case.pk]


def test_the_decisions_walk_finds_the_earliest_deadlines_past_the_cases_refused_to_the_officer(
    driver: Any, world: Any, login: Any
) -> None:
    """The section walks the waiting cases by deadline a batch at a time (four per row shown, then twice as many):
    cases refused to the user at the front of the order make it read further, never skip or reorder a row."""
    from workflows.cases.selectors import case_tasks_waiting, tasks_by_case_deadline

    cases = [to_bureau(driver, world, pathway="divorced") for _ in range(12)]
    now = timezone.now()
    for hours, case in enumerate(reversed(cases)):  # the last submitted is due first
        TerminationCase.objects.filter(pk=case.pk).update(decision_due_at=now + dt.timedelta(hours=hours))
    waiting = case_tasks_waiting(flow_class=F, case_model=TerminationCase, user=world.officer)
    waiting = waiting.filter(flow_task=F.decide)
    open_cases = TerminationCase.objects.filter(stage=TerminationCase.DECISION_STAGE)
    by_deadline = [case.pk for case in reversed(cases)]
    refused = by_deadline[:9]  # the first batch (limit 2: 8 cases) and one more hold nothing for this user

    def walk(tasks: Any, limit: int) -> list[int]:
        rows = tasks_by_case_deadline(tasks, cases=open_cases, due_field="decision_due_at", limit=limit)
        return [task.process_id for task in rows]

    assert walk(waiting, 2) == by_deadline[:2]
    assert walk(waiting.exclude(process_id__in=refused), 2) == by_deadline[9:11]
    assert walk(waiting.exclude(process_id__in=refused), 10) == by_deadline[9:]
    assert walk(waiting.exclude(process_id__in=by_deadline), 2) == []
    # The page shows the same, in the same order.
    decisions = section(login(world.officer).get(HOME).content.decode(), "termination-decisions")
    assert case_numbers(decisions) == by_deadline[:10] and "(12)" in decisions


def test_a_long_queue_of_decisions_is_counted_up_to_the_cap(
    driver: Any, world: Any, login: Any, monkeypatch: Any
) -> None:
    """The decisions' total stops counting past the menu's cap ("99+"): a county's thousands of open decisions
    are not counted on every visit to the workspace."""
    from workflows import viewsets

    monkeypatch.setattr(viewsets, "MENU_COUNT_CAP", 2)
    for _ in range(3):
        to_bureau(driver, world, pathway="divorced")
    decisions = section(login(world.officer).get(HOME).content.decode(), "termination-decisions")
    assert len(case_numbers(decisions)) == 3
    assert "(2+)" in decisions and "See all (2+)" in decisions
