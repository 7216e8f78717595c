"""Task pages: ours in place of viewflow's generic ones; finished steps; claiming, releasing; no-store.

viewflow's task detail, assign and unassign pages rendered every field of the
case (the full resident ID, its digest, the certificate token, the patient's
name, the fetal sex) and logged no read. The scoped viewset now serves its own
page at those URLs for every procedure.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import NoReverseMatch
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from workflows.cases.flows import ADMIN_TASK_VIEWS
from workflows.cases.registry import procedures
from workflows.termination.flows import TerminationFlow as F

from .test_paths import record_data

pytestmark = pytest.mark.django_db


def completed_case(driver: Any, world: Any, **record: Any) -> Any:
    case = driver.submit(pathway="fetal_defect")
    for expert in (world.expert1, world.expert2, world.expert3):
        driver.act(expert, case, F.give_opinion, {"agrees": "yes", "reason": "grounds met"})
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    response = driver.act(world.clerk, case, F.record_procedure, record_data(**record), sign=True)
    assert response.status_code == 302, response.content.decode()[:2000]
    return driver.refresh(case)


def done_task(case: Any, node: Any) -> Task:
    return Task.objects.filter(process_id=case.pk, flow_task=node, status="DONE").order_by("pk").first()


def url(task: Task, action: str) -> str:
    return task.flow_task.reverse(action, args=[task.process_id, task.pk])


def reads(user: Any, case: Any) -> int:
    return AuditEvent.objects.filter(
        action="record.read", actor=user, object_type="termination.terminationcase", object_id=str(case.pk)
    ).count()


def test_task_detail_page_shows_the_summary_the_role_may_see_and_logs_the_read(driver: Any, world: Any) -> None:
    case = completed_case(driver, world, complications="Cervical tear, repaired", fetal_sex="male")
    task = done_task(case, F.give_opinion)
    before = reads(world.officer, case)
    page = driver.client(world.officer).get(url(task, "detail"))
    assert page.status_code == 200
    text = page.content.decode()
    # viewflow's generic table is gone: no full ID, no digest, no certificate token, no Python repr of the drugs.
    for secret in (case.resident_id, case.resident_id_digest, case.certificate_token, "{'name'"):
        assert secret not in text
    assert case.resident_id_masked in text and case.patient_name in text and "Male" in text
    assert reads(world.officer, case) == before + 1
    # The panel sees the case, never the name, fetal sex or complications.
    expert_text = driver.client(world.expert2).get(url(task, "detail")).content.decode()
    assert case.patient_name not in expert_text
    assert not re.search(r"\bMale\b", expert_text) and "Cervical tear" not in expert_text
    assert "Not shown to your role" in expert_text


@pytest.mark.parametrize("action", ["detail", "assign", "unassign"])
def test_no_task_url_renders_viewflow_generic_process_table(driver: Any, world: Any, action: str) -> None:
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    driver.claim(world.director, task)
    response = driver.client(world.director).get(url(task, action))
    body = response.content.decode()
    assert case.resident_id not in body and case.resident_id_digest not in body
    assert "vf-list__table" not in body  # viewflow's process_data table


def test_finished_step_link_says_who_completed_it_and_when(driver: Any, world: Any) -> None:
    case = completed_case(driver, world)
    task = done_task(case, F.decide)
    for action in ("execute", "assign", "unassign"):
        for person in (world.officer, world.officer2, world.clerk, world.inspector):
            response = driver.client(person).get(url(task, action))
            assert response.status_code == 200, (action, person.username, response.status_code)
            text = response.content.decode()
            assert "This step was completed by Officer Printed at" in text, text[:3000]
            assert F.instance.reverse("process_detail", args=[case.pk]) in text
        # Outsiders: as if the case did not exist.
        assert driver.client(world.officer_b).get(url(task, action)).status_code == 404
        assert driver.client(world.clerk_b).get(url(task, action)).status_code == 404


def test_finished_step_time_is_local_with_its_offset_and_translated(driver: Any, world: Any, settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    case = completed_case(driver, world)
    task = done_task(case, F.decide)
    client = driver.client(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    text = client.get(url(task, "execute")).content.decode()
    assert re.search(r"此步骤已由Officer Printed于\d{4}-\d\d-\d\d \d\d:\d\d \+0800完成", text), text[:3000]


def test_claiming_one_task_says_so_and_opens_it(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    client = driver.client(world.director)
    response = client.post(url(task, "assign"), {})
    assert response.status_code == 302 and response["Location"] == url(task, "execute")
    assert any("You claimed task" in str(m) for m in get_messages(response.wsgi_request))
    assert client.get(response["Location"]).status_code == 200


def test_bulk_claim_returns_to_the_queue_saying_how_many(driver: Any, world: Any) -> None:
    cases = [driver.submit(pathway="divorced") for _ in range(2)]
    for case in cases:
        driver.act(world.director, case, F.review, {"decision": "forward"})
    tasks = [driver.open_task(case, F.decide) for case in cases]
    client = driver.client(world.officer)
    response = client.post(F.instance.reverse("tasks_assign"), {"tasks": [t.pk for t in tasks]})
    assert response["Location"] == F.instance.reverse("queue")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 task(s) claimed."]


def test_claimed_task_can_be_released_from_its_page(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    client = driver.client(world.director)
    client.post(url(task, "assign"), {})
    page = client.get(url(task, "execute")).content.decode()
    assert f'action="{url(task, "unassign")}"' in page
    # Nobody else may release it.
    assert driver.client(world.clerk).post(url(task, "unassign"), {}).status_code == 403
    assert driver.client(world.inspector).post(url(task, "unassign"), {}).status_code == 404
    response = client.post(url(task, "unassign"), {})
    assert response.status_code == 302 and response["Location"] == F.instance.reverse("queue")
    assert any("back in the queue" in str(m) for m in get_messages(response.wsgi_request))
    task.refresh_from_db()
    assert task.status == "NEW" and task.owner_id is None
    assert AuditEvent.objects.filter(action="task.release", actor=world.director).count() == 1
    # Released, it is in the queue again and can be claimed.
    assert driver.claim(world.director, task).status_code == 302


def queue_counter(html: str) -> int:
    match = re.search(r"queue/\"[^>]*>.*?mdc-list-item__meta\">(\d+)<", html, re.S)
    assert match, "the menu shows no queue counter"
    return int(match.group(1))


def test_queue_counter_counts_exactly_the_rows_of_the_queue(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="fetal_defect")
    driver.claim(world.expert1, driver.open_task(case, F.give_opinion))
    # Two seats are still open; expert1 may not take a second one (four-eyes): viewflow counted them anyway.
    page = driver.client(world.expert1).get(F.instance.reverse("queue")).content.decode()
    rows = len(re.findall(r'name="tasks"', page))
    assert rows == 0
    assert queue_counter(page) == rows
    page = driver.client(world.expert2).get(F.instance.reverse("queue")).content.decode()
    assert queue_counter(page) == len(re.findall(r'name="tasks"', page)) == 2


@pytest.mark.parametrize("page", ["case", "certificate", "execute", "detail", "document"])
def test_pages_showing_a_patient_are_not_cached(driver: Any, world: Any, page: str) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    task = driver.open_task(case, F.record_procedure)
    driver.claim(world.clerk, task)
    urls = {
        "case": F.instance.reverse("process_detail", args=[case.pk]),
        "certificate": F.instance.reverse("certificate", args=[case.pk]),
        "execute": url(task, "execute"),
        "detail": url(task, "detail"),
        "document": F.instance.reverse("document", args=[case.pk, case.documents.first().pk]),
    }
    response = driver.client(world.clerk).get(urls[page])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_no_procedure_serves_viewflow_s_administrative_task_actions(driver: Any, world: Any) -> None:
    """Undo, revive and cancel would change a case outside its services (no audit, no signature): not served."""
    actions = [attribute.removesuffix("_view_class") for attribute in ADMIN_TASK_VIEWS]
    assert actions == ["undo", "revive", "cancel"]
    for registered in procedures():
        for node in registered.flow_class.instance.nodes():
            for action in actions:
                with pytest.raises(NoReverseMatch):
                    node.reverse(action, args=[1, 1])
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    assert driver.client(world.director).get(url(task, "detail")).status_code == 200
    for action in actions:
        path = url(task, "detail").replace("/detail/", f"/{action}/")
        for user in (world.director, world.officer):
            assert driver.client(user).get(path).status_code == 404
            assert driver.client(user).post(path).status_code == 404
    assert Task.objects.get(pk=task.pk).status == "NEW"
