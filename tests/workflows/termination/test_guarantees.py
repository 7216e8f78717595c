"""Guarantees that once slipped through: each test here failed with its regression applied by hand (issue #17).

Every test drives the real flow through its URLs as personas, or calls a public service, and
checks the one rule it names, so that no other rule refuses in its place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task

from audit.models import AuditEvent, Signature
from audit.services import signature_is_valid
from documents.services import blob_store
from permissions.models import Profile
from permissions.roles import Role
from permissions.services import role_grant, role_revoke
from tests.conftest import make_person
from tests.factories import PASSWORD
from workflows.models import Notification
from workflows.nodes import task_url
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage, TerminationCase, TerminationDocument
from workflows.termination.services import termination_deadline_reminders_send

from .conftest import PDF, resident_id, scan

pytestmark = pytest.mark.django_db

AGREE = {"agrees": "yes", "reason": "Confirmed"}
RECORD = {
    "procedure_method": "medical_induction",
    "physician_name": "Dr Example",
    "physician_licence": "110990101000101",
    "drugs": "Mifepristone; B20261101",
    "fetal_sex": "female",
    "complications": "",
}


def record_data(**overrides: Any) -> dict:
    return {"resident_id": resident_id(), "procedure_date": timezone.localdate().isoformat(), **RECORD, **overrides}


def amend_data(**overrides: Any) -> dict[str, Any]:
    """The amendment form with the values request_data submitted (a divorced case), and no new scans."""
    weeks, days = 18, 2
    data = {
        "patient_name": "测试 Patient",
        "resident_id": resident_id(),
        "marital_status": "divorced",
        "gestational_weeks": str(weeks),
        "gestational_days": str(days),
        "lmp_date": (timezone.localdate() - dt.timedelta(days=weeks * 7 + days)).isoformat(),
        "pathway": "divorced",
        "emergency_justification": "",
        "reason": "Answering the questions",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


def approved_case(driver: Any, world: Any) -> TerminationCase:
    case = driver.submit(pathway="divorced")
    assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
    assert driver.act(world.officer, case, F.decide, {"decision": "approve"}).status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.APPROVED
    return case


def announced(user: Any, case: Any, node: Any) -> int:
    """How many tasks of ``node`` on the case were announced to the user."""
    urls = [task_url(t) for t in Task.objects.filter(process_id=case.pk, flow_task=node)]
    return Notification.objects.filter(recipient=user, kind="task.available", url__in=urls).count()


def refusal(node: Any, user: Any, case: Any) -> str | None:
    task = Task.objects.filter(process_id=case.pk, flow_task=node, status__in=["NEW", "ASSIGNED"]).first()
    assert task is not None, node.name
    return node.four_eyes_refusal(user, task)


# --- Four-eyes: whoever entered or amended the case ------------------------------------


@pytest.mark.parametrize("amender", ["clerk", "director"])
def test_whoever_amended_the_case_may_not_review_it(driver: Any, world: Any, amender: str) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "return", "reason": "Which court?"})
    response = driver.act(getattr(world, amender), case, F.amend, amend_data(), sign=False)
    assert response.status_code == 302, response.content.decode()[:2000]
    task = driver.open_task(case, F.review)
    if amender == "director":
        assert refusal(F.review, world.director, case) == "entered_the_case"
        assert driver.claim(world.director, task).status_code == 403
        assert (
            announced(world.director, case, F.review) == 1
        )  # the first review only: never the one after their amendment
        director2 = make_person("director2", Role.FACILITY_DIRECTOR, facility=world.hospital_a)
        assert driver.claim(director2, task).status_code == 302
    else:  # the director only returned the case: reviewing it again is theirs
        assert refusal(F.review, world.director, case) is None
        assert announced(world.director, case, F.review) == 2
        assert driver.claim(world.director, task).status_code == 302


def test_an_amender_who_became_a_bureau_officer_may_not_decide(driver: Any, world: Any) -> None:
    """Only the amender rule refuses: the clerk left the facility, so the facility-staff rule does not apply."""
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "return", "reason": "Which court?"})
    director2 = make_person("director2", Role.FACILITY_DIRECTOR, facility=world.hospital_a)
    amender = make_person("amender", Role.FACILITY_CLERK, facility=world.hospital_a)
    assert driver.act(amender, case, F.amend, amend_data(), sign=False).status_code == 302
    assert driver.act(director2, case, F.review, {"decision": "forward"}).status_code == 302
    for assignment in amender.role_assignments.filter(revoked_at__isnull=True):
        role_revoke(actor=None, assignment=assignment, reason="moved to the bureau")
    role_grant(actor=None, user=amender, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    assert refusal(F.decide, amender, case) == "entered_the_case"
    assert refusal(F.decide, world.officer, case) is None
    assert driver.claim(amender, driver.open_task(case, F.decide)).status_code == 403


# --- Four-eyes: the submitter, at each step on its own -------------------------------------


def test_a_submitting_director_may_not_review_their_own_request(driver: Any, world: Any) -> None:
    director2 = make_person("director2", Role.FACILITY_DIRECTOR, facility=world.hospital_a)
    case = driver.submit(world.director, pathway="divorced")
    assert refusal(F.review, world.director, case) == "entered_the_case"
    assert driver.claim(world.director, driver.open_task(case, F.review)).status_code == 403
    assert refusal(F.review, director2, case) is None
    assert announced(director2, case, F.review) == 1 and announced(world.director, case, F.review) == 0


def test_a_submitting_clerk_who_sits_on_the_panel_may_not_give_an_opinion(driver: Any, world: Any) -> None:
    doctor = make_person(
        "doctor", Role.FACILITY_CLERK, facility=world.hospital_a, rank=Profile.Rank.DEPUTY_CHIEF
    )  # a senior physician who also files requests
    role_grant(actor=None, user=doctor, role=Role.EXPERT, jurisdiction=world.county_a)
    case = driver.submit(doctor, pathway="maternal")
    assert refusal(F.give_opinion, doctor, case) == "entered_the_case"
    assert refusal(F.give_opinion, world.expert1, case) is None
    assert driver.claim(doctor, driver.open_task(case, F.give_opinion)).status_code == 403
    assert announced(doctor, case, F.give_opinion) == 0 and announced(world.expert1, case, F.give_opinion) == 3


def test_a_submitter_who_became_a_bureau_officer_may_not_decide(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
    for assignment in world.clerk.role_assignments.filter(revoked_at__isnull=True):
        role_revoke(actor=None, assignment=assignment, reason="moved to the bureau")
    role_grant(actor=None, user=world.clerk, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    assert refusal(F.decide, world.clerk, case) == "entered_the_case"
    assert driver.claim(world.clerk, driver.open_task(case, F.decide)).status_code == 403


def test_the_submitter_may_record_the_procedure(driver: Any, world: Any) -> None:
    """Recording is not an approval: the clerk who filed the request records what was done."""
    case = approved_case(driver, world)
    assert refusal(F.record_procedure, world.clerk, case) is None
    assert driver.act(world.clerk, case, F.record_procedure, record_data()).status_code == 302


# --- Task announcements go only to who four-eyes lets claim ---------------------------------


def test_a_fresh_panel_is_announced_to_new_experts_only(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="sex_linked")
    for expert in (world.expert1, world.expert2, world.expert3):
        assert driver.act(expert, case, F.give_opinion, AGREE).status_code == 302
    driver.act(world.director, case, F.review, {"decision": "return", "reason": "Please check the dates"})
    newcomer = make_person("expert4", Role.EXPERT, jurisdiction=world.county_a, rank=Profile.Rank.DEPUTY_CHIEF)
    before = {e.pk: announced(e, case, F.give_opinion) for e in (world.expert1, world.expert2, world.expert3)}
    response = driver.act(
        world.clerk, case, F.amend, amend_data(pathway="sex_linked", gestational_days="4"), sign=False
    )
    assert response.status_code == 302
    assert driver.refresh(case).stage == Stage.PANEL
    # The earlier panel signed this step already (a seat is not repeatable): no announcement for them.
    assert {e.pk: announced(e, case, F.give_opinion) for e in (world.expert1, world.expert2, world.expert3)} == before
    assert announced(newcomer, case, F.give_opinion) == 3


# --- The procedure: within the certificate's validity, on or after its issue ---------------


def test_a_procedure_on_an_expired_certificate_is_refused_before_the_expiry_timer_fires(
    driver: Any, world: Any
) -> None:
    case = approved_case(driver, world)
    with time_machine.travel(case.certificate_valid_until + dt.timedelta(minutes=1)):
        response = driver.act(world.clerk, case, F.record_procedure, record_data())
        assert response.status_code == 200
        assert "The certificate has expired." in response.content.decode()
    case = driver.refresh(case)
    assert case.stage == Stage.APPROVED and case.procedure_date is None
    assert not Signature.objects.filter(object_id=str(case.pk), meaning="recorded").exists()


def test_a_procedure_at_the_last_moment_of_validity_is_recorded(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    with time_machine.travel(case.certificate_valid_until, tick=False):
        response = driver.act(world.clerk, case, F.record_procedure, record_data())
        assert response.status_code == 302
    assert driver.refresh(case).stage == Stage.COMPLETED


def test_a_procedure_dated_before_the_certificate_was_issued_is_refused(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    issued = timezone.localtime(case.certificate_issued_at).date()
    day_before = (issued - dt.timedelta(days=1)).isoformat()
    response = driver.act(world.clerk, case, F.record_procedure, record_data(procedure_date=day_before))
    assert response.status_code == 200
    assert "between the certificate" in response.content.decode()
    assert driver.refresh(case).stage == Stage.APPROVED
    # The issue day itself is allowed.
    response = driver.act(world.clerk, case, F.record_procedure, record_data(procedure_date=issued.isoformat()))
    assert response.status_code == 302
    assert driver.refresh(case).procedure_date == issued


# --- The bureau's deadline reminder is re-armed with each new decision clock ------------------


def test_an_amendment_restarts_the_decision_clock_and_rearms_its_reminder(
    driver: Any, world: Any, county_rules: Any
) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    case = driver.refresh(case)
    reminded = Notification.objects.filter(kind="deadline.approaching", object_id=str(case.pk))
    with time_machine.travel(case.decision_due_at - dt.timedelta(hours=2)):
        assert termination_deadline_reminders_send() == 1
        assert termination_deadline_reminders_send() == 0  # once per clock
        first = reminded.count()
        assert first >= 1
        response = driver.act(world.officer, case, F.decide, {"decision": "return", "reason": "Missing a page"})
        assert response.status_code == 302
        assert driver.act(world.clerk, case, F.amend, amend_data(), sign=False).status_code == 302
        assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
        case = driver.refresh(case)
        assert case.decision_reminded_at is None
    with time_machine.travel(case.decision_due_at - dt.timedelta(hours=2)):
        assert termination_deadline_reminders_send() == 1
    reminders = AuditEvent.objects.filter(object_id=str(case.pk), action="termination.deadline_reminder")
    assert reminders.count() == 2
    assert reminded.count() == 2 * first


# --- What a real case's signature binds ---------------------------------------------------

CASE_CHANGES: dict[str, Any] = {
    "patient_name": "Another Patient",
    "resident_id_digest": "0" * 64,
    "marital_status": "widowed",
    "gestational_weeks": 19,
    "gestational_days": 5,
    "lmp_date": dt.date(2020, 1, 1),
    "pathway": "widowed",
    "emergency": True,
    "emergency_justification": "Added afterwards",
    "revision": 7,
}
DOCUMENT_CHANGES: dict[str, Any] = {
    "doc_type": "other",
    "number": "FORGED-1",
    "issuer": "Somebody else",
    "issued_on": dt.date(2020, 1, 1),
    "is_original": True,
    "sha256": "another scan",
}


def signed_case(driver: Any, world: Any) -> tuple[TerminationCase, Signature]:
    case = driver.submit(pathway="divorced")
    assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
    case = driver.refresh(case)
    signature = Signature.objects.get(object_id=str(case.pk), meaning="reviewed")
    assert signature_is_valid(signature=signature, obj=case, content=case.signature_content())
    return case, signature


@pytest.mark.parametrize("field", sorted(CASE_CHANGES))
def test_a_signature_no_longer_verifies_once_a_bound_fact_of_the_case_changes(
    driver: Any, world: Any, field: str
) -> None:
    case, signature = signed_case(driver, world)
    if field == "revision":
        TerminationCase.objects.filter(pk=case.pk).update(revision=CASE_CHANGES[field])
    else:
        setattr(case, field, CASE_CHANGES[field])
        case.save()
    case = driver.refresh(case)
    assert not signature_is_valid(signature=signature, obj=case, content=case.signature_content())


def test_a_signature_no_longer_verifies_once_the_case_moves_to_another_facility(driver: Any, world: Any) -> None:
    case, signature = signed_case(driver, world)
    TerminationCase.objects.filter(pk=case.pk).update(facility=world.centre_a)
    case = driver.refresh(case)
    assert not signature_is_valid(signature=signature, obj=case, content=case.signature_content())


@pytest.mark.parametrize("field", sorted(DOCUMENT_CHANGES))
def test_a_signature_no_longer_verifies_once_a_signed_document_changes(driver: Any, world: Any, field: str) -> None:
    case, signature = signed_case(driver, world)
    document = case.documents.order_by("pk").last()
    change = {field: DOCUMENT_CHANGES[field]}
    if field == "sha256":  # the scan itself replaced (the row keeps naming the blob it holds)
        blob = blob_store(upload=scan(content=PDF + b"% altered\n"))
        change = {"sha256": blob.sha256, "blob_id": blob.sha256}
    TerminationDocument.objects.filter(pk=document.pk).update(**change)
    assert not signature_is_valid(signature=signature, obj=case, content=case.signature_content())


def test_a_signature_no_longer_verifies_once_a_document_is_withdrawn_or_added(driver: Any, world: Any) -> None:
    case, signature = signed_case(driver, world)
    document = case.documents.order_by("pk").last()
    TerminationDocument.objects.filter(pk=document.pk).update(withdrawn_at=timezone.now())
    assert not signature_is_valid(signature=signature, obj=case, content=case.signature_content())
    TerminationDocument.objects.filter(pk=document.pk).update(withdrawn_at=None)
    assert signature_is_valid(signature=signature, obj=case, content=case.signature_content())
    document.pk = document.id = None
    document._state.adding = True
    document.save()  # a copy filed in the same revision
    assert not signature_is_valid(signature=signature, obj=case, content=case.signature_content())


def test_a_signature_still_verifies_after_a_later_revisions_document_is_added(driver: Any, world: Any) -> None:
    """What the signer saw is what binds: scans of a later revision are not part of it."""
    case, signature = signed_case(driver, world)
    document = case.documents.order_by("pk").last()
    document.pk = document.id = None
    document._state.adding = True
    document.revision = case.revision + 1
    document.save()
    assert signature_is_valid(signature=signature, obj=case, content=case.signature_content())


# --- Encryption at rest --------------------------------------------------------------------


def test_every_patient_identifier_is_stored_as_ciphertext(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    assert driver.act(world.clerk, case, F.record_procedure, record_data(fetal_sex="male")).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT patient_name, resident_id, fetal_sex FROM termination_terminationcase WHERE process_ptr_id = %s",
            [case.pk],
        )
        raw_name, raw_id, raw_sex = cursor.fetchone()
    for raw, plain in [(raw_name, "测试 Patient"), (raw_id, resident_id()), (raw_sex, "male")]:
        assert raw and plain not in raw and "测试" not in raw and "Patient" not in raw
        assert raw.startswith("gAAAA")  # a Fernet token
    case = driver.refresh(case)
    assert (case.patient_name, case.resident_id, case.fetal_sex) == ("测试 Patient", resident_id(), "male")


# --- Re-entering the password to sign ------------------------------------------------------


@pytest.mark.parametrize("password", ["", "wrong password"])
def test_signing_with_an_empty_or_wrong_password_is_refused_audited_and_signs_nothing(
    driver: Any, world: Any, password: str
) -> None:
    case = driver.submit(pathway="divorced")
    response = driver.act(world.director, case, F.review, {"decision": "forward", "password": password}, sign=False)
    assert response.status_code == 200
    assert "The password is wrong: nothing was signed." in response.content.decode()
    refused = AuditEvent.objects.filter(action="signature.password_refused", actor=world.director)
    assert refused.count() == 1 and refused.get().object_id == str(case.pk)
    assert not Signature.objects.filter(object_id=str(case.pk)).exists()
    assert driver.refresh(case).stage == Stage.FACILITY_REVIEW


def test_signing_with_the_right_password_signs(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    data = {"decision": "forward", "password": PASSWORD}
    assert driver.act(world.director, case, F.review, data, sign=False).status_code == 302
    assert Signature.objects.filter(object_id=str(case.pk), signer=world.director, meaning="reviewed").exists()
    assert not AuditEvent.objects.filter(action="signature.password_refused").exists()


# --- The read log ---------------------------------------------------------------------------


def reads(user: Any, case: Any) -> int:
    return AuditEvent.objects.filter(
        action="record.read", actor=user, object_type="termination.terminationcase", object_id=str(case.pk)
    ).count()


@pytest.mark.parametrize(("persona", "logged"), [("officer", 1), ("chief", 1), ("inspector", 1), ("clerk", 0)])
def test_opening_a_case_is_logged_for_oversight_roles_only(driver: Any, world: Any, persona: str, logged: int) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    user = getattr(world, persona)
    response = driver.client(user).get(F.instance.reverse("process_detail", args=[case.pk]))
    assert response.status_code == 200
    assert reads(user, case) == logged
    assert reads(world.director, case) == 0  # the facility's own staff, acting on their case
