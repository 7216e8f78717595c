"""Four-eyes refusals, and 404 for outsiders from another facility and another county."""

from __future__ import annotations

import re
from typing import Any

import pytest
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from permissions.roles import Role
from permissions.services import role_grant
from tests.conftest import make_person
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage, TerminationDocument

pytestmark = pytest.mark.django_db


def test_the_submitter_cannot_sign_the_bureau_decision_even_as_an_officer(driver: Any, world: Any) -> None:
    # The clerk also holds an officer role in county A: the submitter still never decides at the bureau.
    role_grant(actor=None, user=world.clerk, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    task = driver.open_task(case, F.decide)
    assert driver.claim(world.clerk, task).status_code == 403
    assert Task.objects.get(pk=task.pk).owner is None


def test_staff_of_the_submitting_facility_cannot_sign_the_bureau_decision(driver: Any, world: Any) -> None:
    facility_officer = make_person("dual", Role.FACILITY_CLERK, facility=world.hospital_a)
    role_grant(actor=None, user=facility_officer, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    task = driver.open_task(case, F.decide)
    assert driver.claim(facility_officer, task).status_code == 403
    assert driver.claim(world.officer, task).status_code == 302


def test_nobody_signs_twice_on_one_case(driver: Any, world: Any) -> None:
    # The director is also on the bureau: having reviewed, he may not decide.
    role_grant(actor=None, user=world.expert1, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    case = driver.submit(pathway="fetal_defect")
    driver.act(world.expert1, case, F.give_opinion, {"agrees": "yes", "reason": "ok"})
    driver.act(world.expert2, case, F.give_opinion, {"agrees": "yes", "reason": "ok"})
    driver.act(world.expert3, case, F.give_opinion, {"agrees": "yes", "reason": "ok"})
    driver.act(world.director, case, F.review, {"decision": "forward"})
    task = driver.open_task(case, F.decide)
    assert driver.claim(world.expert1, task).status_code == 403  # signed as an expert already


def test_an_expert_cannot_hold_two_panel_seats(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="fetal_genetic")
    first, second, _third = Task.objects.filter(process_id=case.pk, flow_task=F.give_opinion).order_by("pk")
    assert driver.claim(world.expert1, first).status_code == 302
    assert driver.claim(world.expert1, second).status_code == 403


def test_a_junior_physician_cannot_sit_on_the_panel(driver: Any, world: Any) -> None:
    junior = make_person("junior", Role.EXPERT, jurisdiction=world.county_a, rank="attending")
    case = driver.submit(pathway="fetal_genetic")
    seat = driver.open_task(case, F.give_opinion)
    assert driver.claim(junior, seat).status_code == 403
    assert not case.opinions.exists()


def test_a_wrong_signing_password_is_refused_and_audited(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    response = driver.act(world.director, case, F.review, {"decision": "forward", "password": "wrong"}, sign=False)
    assert response.status_code == 200
    assert "nothing was signed" in response.content.decode()
    assert driver.refresh(case).stage == Stage.FACILITY_REVIEW
    assert AuditEvent.objects.filter(action="signature.password_refused", actor_id=world.director.pk).exists()


def test_inspector_reads_the_case_but_cannot_claim_or_withdraw(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    client = driver.client(world.inspector)
    assert client.get(F.instance.reverse("process_detail", args=[case.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="record.read", actor_id=world.inspector.pk).exists()
    task = driver.open_task(case, F.review)
    assert driver.claim(world.inspector, task).status_code == 404  # no write scope: as if absent
    assert client.post(F.instance.reverse("withdraw", args=[case.pk]), {"reason": "x"}).status_code == 404
    assert driver.refresh(case).stage == Stage.FACILITY_REVIEW


@pytest.mark.parametrize("outsider", ["clerk_other", "clerk_b", "officer_b"])
def test_outsiders_get_404_on_every_case_url(driver: Any, world: Any, outsider: str) -> None:
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    document = TerminationDocument.objects.filter(case=case).first()
    client = driver.client(getattr(world, outsider))
    urls = [
        F.instance.reverse("process_detail", args=[case.pk]),
        F.instance.reverse("process_chart", args=[case.pk]),
        F.instance.reverse("document", args=[case.pk, document.pk]),
        F.instance.reverse("certificate", args=[case.pk]),
        F.review.reverse("index", args=[case.pk, task.pk]),
        F.review.reverse("detail", args=[case.pk, task.pk]),
        F.review.reverse("assign", args=[case.pk, task.pk]),
        F.review.reverse("execute", args=[case.pk, task.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(F.review.reverse("assign", args=[case.pk, task.pk]), {}).status_code == 404
    assert client.post(F.instance.reverse("withdraw", args=[case.pk]), {"reason": "x"}).status_code == 404
    listing = client.get(F.instance.reverse("index")).content.decode()
    assert f"#{case.pk}<" not in listing
    assert driver.refresh(case).stage == Stage.FACILITY_REVIEW


def test_a_task_url_with_another_cases_id_is_refused(driver: Any, world: Any) -> None:
    first = driver.submit(pathway="divorced")
    second = driver.submit(pathway="widowed")
    task = driver.open_task(second, F.review)
    # The director may see both cases; the mismatched pair is still refused.
    response = driver.client(world.director).post(F.review.reverse("assign", args=[first.pk, task.pk]), {})
    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).owner is None


def test_only_the_bureau_sees_the_queue_task_and_the_clerk_sees_none(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    queue_url = F.instance.reverse("queue")
    assert f"#{case.pk}<" in driver.client(world.officer).get(queue_url).content.decode()
    assert f"#{case.pk}<" not in driver.client(world.clerk).get(queue_url).content.decode()
    assert f"#{case.pk}<" not in driver.client(world.officer_b).get(queue_url).content.decode()


def test_fetal_sex_is_hidden_from_the_expert_panel(driver: Any, world: Any) -> None:
    from .test_paths import record_data

    case = driver.submit(pathway="fetal_defect")
    for expert in (world.expert1, world.expert2, world.expert3):
        driver.act(expert, case, F.give_opinion, {"agrees": "yes", "reason": "ok"})
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    driver.act(world.clerk, case, F.record_procedure, record_data(fetal_sex="male"))
    url = F.instance.reverse("process_detail", args=[case.pk])
    assert "Not shown to your role" in driver.client(world.expert1).get(url).content.decode()
    for user in (world.clerk, world.officer, world.inspector):
        page = driver.client(user).get(url).content.decode()
        assert "Not shown to your role" not in page and ">Male<" in page


def test_a_task_url_naming_another_step_is_refused(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    decide = driver.open_task(case, F.decide)
    # The decide task, reached through the escalation step's URL: 404, and nothing is claimed.
    response = driver.client(world.officer).post(F.escalate.reverse("assign", args=[case.pk, decide.pk]), {})
    assert response.status_code == 404
    assert Task.objects.get(pk=decide.pk).owner is None


def test_an_inspector_cannot_bulk_claim(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    response = driver.client(world.inspector).post(F.instance.reverse("tasks_assign"), {"tasks": [task.pk]})
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).owner is None


def test_a_busy_case_gets_a_try_again_message_not_a_server_error(driver: Any, world: Any, monkeypatch: Any) -> None:
    from contextlib import contextmanager

    from viewflow.workflow.exceptions import FlowLockFailed

    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    driver.claim(world.director, task)

    @contextmanager
    def always_busy(flow_class: Any, process_pk: int) -> Any:
        raise FlowLockFailed("held by another request")
        yield

    monkeypatch.setattr(F, "lock_impl", always_busy)
    url = F.review.reverse("execute", args=[case.pk, task.pk])
    response = driver.client(world.director).post(url, {"decision": "forward", "password": "x"}, follow=True)
    assert response.redirect_chain[0] == (url, 302)
    assert "Someone else is working on this case right now" in response.content.decode()
    assert driver.refresh(case).stage == Stage.FACILITY_REVIEW


def test_a_hidden_case_and_an_absent_one_get_the_same_page(driver: Any, world: Any) -> None:
    """An outsider cannot tell a case of another facility from a number that was never used."""
    case = driver.submit()
    outsider = driver.client(world.users["clerk_b"])
    hidden = outsider.get(f"/procedures/termination/{case.pk}/")
    absent = outsider.get(f"/procedures/termination/{case.pk + 1000}/")
    assert hidden.status_code == absent.status_code == 404

    def without_tokens(response: Any) -> str:
        return re.sub(r'value="[^"]*"', 'value=""', response.content.decode())

    assert without_tokens(hidden) == without_tokens(absent)
    assert "<title>Page not found - Regflow</title>" in hidden.content.decode()
