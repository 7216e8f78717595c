"""Every path through the termination flow, through real URLs, as the right personas."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.timers import fire_due_timers

from audit.models import AuditEvent, Signature
from tests.scenes import procedure_sweeps_run
from workflows.models import Notification
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage

from .conftest import resident_id

pytestmark = pytest.mark.django_db

RECORD = {
    "procedure_method": "medical_induction",
    "physician_name": "Dr Example",
    "physician_licence": "110990101000101",
    "drugs": "Mifepristone; B20261101\nMisoprostol; M-7781",
    "fetal_sex": "female",
    "complications": "",
}


def record_data(**overrides: Any) -> dict:
    return {"resident_id": resident_id(), "procedure_date": timezone.localdate().isoformat(), **RECORD, **overrides}


def actions(case: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="termination.terminationcase", object_id=str(case.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def kinds_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_personal_pathway_goes_from_submission_to_completed_procedure(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    assert case.stage == Stage.FACILITY_REVIEW
    assert case.resident_id_masked == "3401**********" + resident_id()[-4:]
    assert "task.available" in kinds_for(world.director)

    response = driver.act(world.director, case, F.review, {"decision": "forward"})
    assert response.status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.BUREAU_REVIEW and case.decision_due_at is not None
    assert "task.available" in kinds_for(world.officer) and "task.available" in kinds_for(world.officer2)

    response = driver.act(world.officer, case, F.decide, {"decision": "approve"})
    assert response.status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.APPROVED
    assert case.certificate_number == f"{world.county_a.code}-{timezone.localdate().year}-000001"
    assert "process.approved" in kinds_for(world.clerk)
    assert "task.taken" in kinds_for(world.officer2)

    response = driver.act(world.clerk, case, F.record_procedure, record_data())
    assert response.status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.COMPLETED
    assert case.process_ptr.status == "DONE"
    assert case.drugs == [{"name": "Mifepristone", "batch": "B20261101"}, {"name": "Misoprostol", "batch": "M-7781"}]
    meanings = list(Signature.objects.filter(object_id=str(case.pk)).values_list("meaning", flat=True))
    assert meanings == ["reviewed", "approved", "recorded"]
    assert actions(case) == [
        "termination.submit",
        "task.claim",
        "signature.reviewed",
        "termination.review",
        "task.claim",
        "signature.approved",
        "termination.decide",
        "termination.certificate_issue",
        "task.claim",
        "signature.recorded",
        "termination.record_procedure",
    ]


def test_medical_pathway_needs_three_distinct_experts_before_the_director(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="sex_linked")
    assert case.stage == Stage.PANEL
    assert Task.objects.filter(process_id=case.pk, flow_task=F.give_opinion, status="NEW").count() == 3
    for expert in (world.expert1, world.expert2):
        assert driver.act(expert, case, F.give_opinion, {"agrees": "yes", "reason": "Confirmed"}).status_code == 302
    assert driver.open_task(case, F.review) is None
    # expert1 cannot take the third seat: the panel's experts are distinct people.
    third = driver.open_task(case, F.give_opinion)
    assert driver.claim(world.expert1, third).status_code == 403
    assert driver.act(world.expert3, case, F.give_opinion, {"agrees": "yes", "reason": "Confirmed"}).status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.FACILITY_REVIEW and not case.panel_dissent
    assert driver.open_task(case, F.review) is not None


def test_a_dissenting_expert_goes_on_to_the_director_with_the_dissent_shown(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="maternal")
    driver.act(world.expert1, case, F.give_opinion, {"agrees": "yes", "reason": "Confirmed"})
    driver.act(world.expert2, case, F.give_opinion, {"agrees": "no", "reason": "Not serious enough"})
    driver.act(world.expert3, case, F.give_opinion, {"agrees": "yes", "reason": "Confirmed"})
    case = driver.refresh(case)
    assert case.panel_dissent
    task = driver.open_task(case, F.review)
    driver.claim(world.director, task)
    page = driver.client(world.director).get(F.review.reverse("execute", args=[case.pk, task.pk]))
    assert page.status_code == 200
    assert "Dissent: the medical grounds are not met" in page.content.decode()
    assert "Not serious enough" in page.content.decode()


def test_return_and_amend_brings_the_case_back_and_marks_earlier_signatures(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    response = driver.act(world.officer, case, F.decide, {"decision": "return", "reason": "Divorce judgment unclear"})
    assert response.status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.RETURNED and "process.returned" in kinds_for(world.clerk)

    amend = {
        "patient_name": "测试 Patient",
        "resident_id": resident_id(),
        "marital_status": "divorced",
        "gestational_weeks": "18",
        "gestational_days": "3",
        "lmp_date": (timezone.localdate() - dt.timedelta(days=18 * 7 + 3)).isoformat(),
        "pathway": "divorced",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "10",
    }
    refused = driver.act(world.clerk, case, F.amend, amend, sign=False)
    assert refused.status_code == 200 and driver.refresh(case).revision == 1  # a reason is required
    response = driver.act(
        world.clerk, case, F.amend, {**amend, "reason": "Gestation corrected by ultrasound"}, sign=False
    )
    assert response.status_code == 302
    case = driver.refresh(case)
    assert case.revision == 2 and case.stage == Stage.FACILITY_REVIEW
    assert AuditEvent.objects.filter(action="termination.amend", reason="Gestation corrected by ultrasound").exists()

    page = driver.client(world.director).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert "INVALID" in page and "The record changed after signing" in page
    # The same director reviews again after the amendment (a repeated step, not a second role).
    assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
    assert driver.refresh(case).stage == Stage.BUREAU_REVIEW


def test_director_rejection_ends_the_case_with_the_reason(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="widowed")
    refused = driver.act(world.director, case, F.review, {"decision": "reject"})
    assert refused.status_code == 200 and driver.refresh(case).stage == Stage.FACILITY_REVIEW
    driver.act(world.director, case, F.review, {"decision": "reject", "reason": "Papers forged"})
    case = driver.refresh(case)
    assert case.stage == Stage.REJECTED and case.process_ptr.status == "DONE"
    assert "process.rejected" in kinds_for(world.clerk)


def test_bureau_rejection_ends_the_case(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="widowed")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "reject", "reason": "Outside the rules"})
    case = driver.refresh(case)
    assert case.stage == Stage.REJECTED and case.certificate_number is None


def test_clerk_withdraws_with_a_reason_before_the_bureau_decides(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="unmarried")
    client = driver.client(world.clerk)
    url = F.instance.reverse("withdraw", args=[case.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "The patient changed her mind"})
    assert response.status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.WITHDRAWN and case.process_ptr.status == "CANCELED"
    assert not Task.objects.filter(process_id=case.pk, status__in=["NEW", "ASSIGNED"]).exists()
    assert AuditEvent.objects.filter(action="termination.withdraw", reason="The patient changed her mind").exists()


def test_a_decided_case_cannot_be_withdrawn(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="unmarried")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    response = driver.client(world.clerk).post(F.instance.reverse("withdraw", args=[case.pk]), {"reason": "Late"})
    assert response.status_code == 400
    assert driver.refresh(case).stage == Stage.APPROVED


def test_overdue_decision_escalates_to_the_bureau_director(driver: Any, world: Any, county_rules: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    with time_machine.travel(timezone.now() + dt.timedelta(days=county_rules.decision_deadline_days, hours=1)):
        assert fire_due_timers() == 1
        case = driver.refresh(case)
        assert case.escalated_at is not None
        assert driver.open_task(case, F.decide) is None  # the officer's task was withdrawn
        assert {"deadline.passed", "escalation.received", "task.available"} <= set(kinds_for(world.chief))
        # The officer cannot take the escalated task; the bureau director decides.
        task = driver.open_task(case, F.escalate)
        assert driver.claim(world.officer, task).status_code == 403
        assert driver.act(world.chief, case, F.escalate, {"decision": "approve"}).status_code == 302
    assert driver.refresh(case).stage == Stage.APPROVED


def test_the_bureau_is_reminded_once_a_day_before_the_decision_deadline(
    driver: Any, world: Any, county_rules: Any, monkeypatch: Any
) -> None:
    # The dispatcher recycles stale connections between sweeps; inside the test's transaction
    # that would close the connection under the test (Django's test client skips it the same way).
    monkeypatch.setattr("workflows.dispatcher.close_old_connections", lambda: None)
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    due = driver.refresh(case).decision_due_at
    with time_machine.travel(due - dt.timedelta(hours=25)):
        assert procedure_sweeps_run("termination") == 0  # not yet near
    with time_machine.travel(due - dt.timedelta(hours=23)):
        out = io.StringIO()
        call_command("run_timers", "--once", stdout=out)  # the dispatcher runs the sweep
        assert "record(s) swept" in out.getvalue()  # every procedure's sweeps: counted below, termination's only
        assert procedure_sweeps_run("termination") == 0  # once per decision clock
    for officer in (world.officer, world.officer2):
        assert kinds_for(officer).count("deadline.approaching") == 1
    assert "deadline.approaching" not in kinds_for(world.clerk)
    assert AuditEvent.objects.filter(action="termination.deadline_reminder", object_id=str(case.pk)).count() == 1


def test_a_claimed_decision_reminds_only_its_holder(driver: Any, world: Any, county_rules: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.claim(world.officer, driver.open_task(case, F.decide))
    with time_machine.travel(driver.refresh(case).decision_due_at - dt.timedelta(hours=1)):
        assert procedure_sweeps_run("termination") == 1
    assert "deadline.approaching" in kinds_for(world.officer)
    assert "deadline.approaching" not in kinds_for(world.officer2)


def test_a_decision_in_time_disarms_the_deadline(driver: Any, world: Any, county_rules: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "reject", "reason": "No"})
    with time_machine.travel(timezone.now() + dt.timedelta(days=county_rules.decision_deadline_days + 1)):
        assert fire_due_timers() == 0
    assert driver.refresh(case).escalated_at is None


def test_certificate_expires_when_no_procedure_is_recorded_in_time(driver: Any, world: Any, county_rules: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    with time_machine.travel(timezone.now() + dt.timedelta(days=county_rules.certificate_validity_days, hours=1)):
        assert fire_due_timers() == 1
    case = driver.refresh(case)
    assert case.stage == Stage.EXPIRED and case.process_ptr.status == "DONE"
    assert driver.open_task(case, F.record_procedure) is None
    assert "process.expired" in kinds_for(world.clerk)


def test_emergency_goes_straight_to_the_bureau_and_is_flagged(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="maternal", emergency=True)
    assert case.stage == Stage.BUREAU_REVIEW and case.flagged_for_inspection
    assert driver.open_task(case, F.give_opinion) is None and driver.open_task(case, F.review) is None
    assert driver.act(world.officer, case, F.decide, {"decision": "approve"}).status_code == 302
    assert driver.refresh(case).stage == Stage.APPROVED


def test_emergency_without_a_justification_is_refused_and_nothing_is_saved(driver: Any, world: Any) -> None:
    from .conftest import request_data

    data = request_data(world, pathway="maternal", emergency=True, emergency_justification="")
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code == 200
    assert "An emergency case needs a justification" in response.content.decode()
    assert not Task.objects.exists()


def test_procedure_record_refuses_an_id_that_does_not_match(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    response = driver.act(world.clerk, case, F.record_procedure, record_data(resident_id=resident_id(serial=2)))
    assert response.status_code == 200
    assert "does not match the certificate" in response.content.decode()
    assert driver.refresh(case).stage == Stage.APPROVED
