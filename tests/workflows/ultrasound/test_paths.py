"""Every path through the ultrasound registry, through real URLs, as the right personas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from audit.models import AuditEvent, Signature
from tests.scenes import procedure_sweeps_run
from workflows.models import Notification
from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import CaseKind, DeviceStatus, OnsiteCheck, Stage, UltrasoundCase, UltrasoundDevice

from .conftest import CHECKLIST_OK, filing_data, operators_data

pytestmark = pytest.mark.django_db


def actions(case: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="ultrasound.ultrasoundcase", object_id=str(case.pk))
        .exclude(action__startswith="record.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def kinds_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_a_device_goes_from_filing_to_registration_with_a_numbered_certificate(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.file()
    device = case.device
    assert (case.kind, case.stage, device.status) == (CaseKind.REGISTRATION, Stage.UNDERTAKING, DeviceStatus.FILED)
    assert device.days_late == 0 and not device.flagged_for_inspection
    assert "task.available" in kinds_for(w.director)

    assert driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"}).status_code == 302
    assert driver.refresh(case).stage == Stage.BUREAU_REVIEW
    review = {"decision": "check", "supervisor": str(w.supervisor.pk), "reason": ""}
    assert driver.act(w.officer, case, F.review, review, sign=False).status_code == 302
    task = driver.open_task(case, F.onsite_check)
    assert task.owner == w.supervisor  # the officer's choice, told to the supervisor alone
    assert "task.assigned" in kinds_for(w.supervisor)
    assert driver.act(w.supervisor, case, F.onsite_check, CHECKLIST_OK).status_code == 302
    assert driver.refresh(case).stage == Stage.BUREAU_DECISION
    assert driver.act(w.officer, case, F.decide, {"decision": "approve"}).status_code == 302

    case = driver.refresh(case)
    device = UltrasoundDevice.objects.get(pk=case.device_id)
    assert case.stage == Stage.APPROVED and case.process_ptr.status == "DONE"
    assert device.status == DeviceStatus.REGISTERED
    assert device.registration_number == f"{w.county_a.code}-{timezone.localdate().year}-000001"
    assert device.certificate_token and device.pledges_due_on is not None
    assert OnsiteCheck.objects.get(case=case).passed
    meanings = list(Signature.objects.filter(object_id=str(case.pk)).values_list("meaning", flat=True))
    assert meanings == ["undertaking", "inspected", "approved"]
    assert [a for a in actions(case) if not a.startswith(("signature.", "task."))] == [
        "ultrasound.file",
        "ultrasound.sign_undertaking",
        "ultrasound.review",
        "ultrasound.onsite_check",
        "ultrasound.decide",
        "ultrasound.apply",
    ]
    assert "process.approved" in kinds_for(w.clerk)
    # The registry shows it with its number; the certificate carries a QR code to the public page.
    page = driver.client(w.officer).get(F.instance.reverse("registry") + f"?county={w.county_a.pk}")
    assert device.registration_number in page.content.decode()
    certificate = driver.client(w.clerk).get(F.instance.reverse("certificate", args=[device.pk]))
    assert certificate.status_code == 200 and "<svg" in certificate.content.decode()
    verify = reverse("certificate_verify", args=["ultrasound", device.registration_number, device.certificate_token])
    assert verify in certificate.content.decode()
    public = Client().get(verify)  # anyone who scans it, signed in or not
    assert public.status_code == 200 and "Registered" in public.content.decode()
    assert "Operator One" not in public.content.decode() and device.serial_number not in public.content.decode()
    forged = reverse("certificate_verify", args=["ultrasound", device.registration_number, "x" * 32])
    assert Client().get(forged).status_code == 404


def test_a_late_filing_is_refused_without_an_explanation_and_marked_late_with_one(
    driver: Any, us_world: Any, county_rules: Any
) -> None:
    w = us_world
    late_by = 7
    days_ago = county_rules.device_filing_deadline_days + late_by
    client = driver.client(w.clerk)
    response = client.post(F.file.reverse("execute"), filing_data(w, purchased_days_ago=days_ago))
    assert response.status_code == 200
    assert f"{late_by} days late" in response.content.decode()
    assert not UltrasoundDevice.objects.exists() and not UltrasoundCase.objects.exists()

    data = filing_data(w, purchased_days_ago=days_ago, late_explanation="The invoice came late.")
    assert client.post(F.file.reverse("execute"), data).status_code == 302
    device = UltrasoundDevice.objects.get()
    assert device.days_late == late_by and device.flagged_for_inspection
    assert device.late_explanation == "The invoice came late."
    event = AuditEvent.objects.get(action="ultrasound.file")
    assert event.changes["days_late"] == late_by
    registry = driver.client(w.inspector).get(F.instance.reverse("registry") + f"?county={w.county_a.pk}&late=on")
    assert device.serial_number in registry.content.decode()


def test_a_serial_already_registered_in_another_county_is_refused_with_a_clear_error(
    driver: Any, us_world: Any
) -> None:
    w = us_world
    driver.register(serial="SN-777")
    data = filing_data(w, serial="sn-777", facility=str(w.hospital_b.pk), manufacturer="MINDRAY")
    response = driver.client(w.clerk_b).post(F.file.reverse("execute"), data)
    assert response.status_code == 200
    assert "already filed or registered" in response.content.decode()
    assert UltrasoundDevice.objects.count() == 1 and UltrasoundCase.objects.count() == 1


def test_registration_number_is_kept_across_amendments_and_never_reused(driver: Any, us_world: Any) -> None:
    w = us_world
    first = driver.register(serial="SN-1")
    device = first.device
    number = UltrasoundDevice.objects.get(pk=device.pk).registration_number
    response = driver.file_amendment(device, kind="relocation", room="Room 9", responsible_person="Dr Li",
                                     explanation="New clinic building")  # fmt: skip
    assert response.status_code == 302
    relocation = UltrasoundCase.objects.get(kind=CaseKind.RELOCATION)
    driver.through(relocation, supervisor=w.supervisor)
    device = UltrasoundDevice.objects.get(pk=device.pk)
    assert (device.room, device.responsible_person, device.registration_number) == ("Room 9", "Dr Li", number)

    assert driver.file_amendment(device, kind="scrap", explanation="Beyond repair").status_code == 302
    driver.through(UltrasoundCase.objects.get(kind=CaseKind.SCRAP))
    device = UltrasoundDevice.objects.get(pk=device.pk)
    assert device.status == DeviceStatus.SCRAPPED and device.registration_number == number
    # The serial is free again; the next registration gets the next number, never the old one.
    second = driver.register(serial="SN-1")
    assert second.device.registration_number.endswith("-000002")
    page = driver.client(w.officer).get(F.instance.reverse("device", args=[device.pk]))
    body = page.content.decode()
    assert f"#{first.pk}<" in body and f"#{relocation.pk}<" in body


def test_a_relocation_cannot_skip_the_on_site_check(driver: Any, us_world: Any) -> None:
    w = us_world
    device = driver.register().device
    driver.file_amendment(device, kind="relocation", room="Room 2", responsible_person="Dr Li", explanation="Moved")
    case = UltrasoundCase.objects.get(kind=CaseKind.RELOCATION)
    driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"})
    response = driver.act(w.officer, case, F.review, {"decision": "no_check"}, sign=False)
    assert response.status_code == 200
    assert driver.refresh(case).stage == Stage.BUREAU_REVIEW


def test_an_operator_change_replaces_the_operators_and_keeps_the_former_ones_dated(driver: Any, us_world: Any) -> None:
    device = driver.register().device
    new = operators_data([("Operator Two", "110990101000302"), ("Operator Three", "110990101000303")])
    response = driver.file_amendment(device, kind="operator_change", explanation="Staff change", **new)
    assert response.status_code == 302
    driver.through(UltrasoundCase.objects.get(kind=CaseKind.OPERATOR_CHANGE))
    device = UltrasoundDevice.objects.get(pk=device.pk)
    assert sorted(o.name for o in device.active_operators()) == ["Operator Three", "Operator Two"]
    assert device.operators.filter(name="Operator One", removed_at__isnull=False).exists()


def test_a_second_change_waits_until_the_first_is_decided(driver: Any, us_world: Any) -> None:
    device = driver.register().device
    assert driver.file_amendment(device, kind="decommission", explanation="Old").status_code == 302
    response = driver.file_amendment(device, kind="scrap", explanation="Broken")
    assert response.status_code == 200
    assert "Another change to this device is under way" in response.content.decode()
    assert UltrasoundCase.objects.filter(kind=CaseKind.SCRAP).count() == 0


def test_a_transfer_to_another_county_is_decided_by_both_bureaus_and_keeps_the_number(
    driver: Any, us_world: Any
) -> None:
    w = us_world
    device = driver.register().device
    number = UltrasoundDevice.objects.get(pk=device.pk).registration_number
    response = driver.file_amendment(
        device,
        kind="transfer",
        target_facility=str(w.hospital_b.pk),
        room="B room 1",
        responsible_person="Dr Zhao",
        explanation="Donated to Hospital B",
        **operators_data([("Operator B", "110990102000301")]),
    )
    assert response.status_code == 302
    case = UltrasoundCase.objects.get(kind=CaseKind.TRANSFER)
    assert case.target_county == w.county_b
    # Both bureaus see the handover while it is under way.
    case_url = F.instance.reverse("process_detail", args=[case.pk])
    for user in (w.officer, w.officer_b, w.clerk_b):
        assert driver.client(user).get(case_url).status_code == 200, user
    driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"})
    driver.act(w.officer, case, F.review, {"decision": "check", "supervisor": str(w.supervisor.pk)}, sign=False)
    driver.act(w.supervisor, case, F.onsite_check, CHECKLIST_OK)
    driver.act(w.officer, case, F.decide, {"decision": "approve"})
    case = driver.refresh(case)
    assert case.stage == Stage.RECEIVING_BUREAU
    task = driver.open_task(case, F.accept_transfer)
    assert driver.claim(w.officer, task).status_code == 403  # county A does not accept for county B
    assert "task.available" in kinds_for(w.officer_b)
    assert driver.act(w.officer_b, case, F.accept_transfer, {"decision": "approve"}).status_code == 302

    device = UltrasoundDevice.objects.get(pk=device.pk)
    assert (device.facility, device.county, device.registration_number) == (w.hospital_b, w.county_b, number)
    assert [o.name for o in device.active_operators()] == ["Operator B"]
    handover = AuditEvent.objects.get(action="ultrasound.handover")
    assert handover.county_id == w.county_b.pk
    assert AuditEvent.objects.filter(action="ultrasound.decide", county_id=w.county_a.pk).exists()
    # The device is now county B's; county A still sees its history.
    registry_b = driver.client(w.officer_b).get(F.instance.reverse("registry") + f"?county={w.county_b.pk}")
    assert number in registry_b.content.decode()
    device_url = F.instance.reverse("device", args=[device.pk])
    assert driver.client(w.clerk_b).get(device_url).status_code == 200
    assert driver.client(w.officer).get(device_url).status_code == 200


def test_a_transfer_the_receiving_county_refuses_leaves_the_device_where_it_was(driver: Any, us_world: Any) -> None:
    w = us_world
    device = driver.register().device
    driver.file_amendment(device, kind="transfer", target_facility=str(w.hospital_b.pk), room="B1",
                          responsible_person="Dr Zhao", explanation="Sale",
                          **operators_data([("Operator B", "110990102000301")]))  # fmt: skip
    case = UltrasoundCase.objects.get(kind=CaseKind.TRANSFER)
    driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"})
    driver.act(w.officer, case, F.review, {"decision": "check", "supervisor": str(w.supervisor.pk)}, sign=False)
    driver.act(w.supervisor, case, F.onsite_check, CHECKLIST_OK)
    driver.act(w.officer, case, F.decide, {"decision": "approve"})
    refusal = {"decision": "reject", "reason": "No licence for this device type"}
    assert driver.act(w.officer_b, case, F.accept_transfer, refusal).status_code == 302
    device = UltrasoundDevice.objects.get(pk=device.pk)
    assert (device.facility, device.status) == (w.hospital_a, DeviceStatus.REGISTERED)
    assert driver.refresh(case).stage == Stage.REFUSED


def test_a_refused_filing_frees_the_serial(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.file(serial="SN-R")
    driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"})
    driver.act(w.officer, case, F.review, {"decision": "check", "supervisor": str(w.supervisor.pk)}, sign=False)
    checklist = {**CHECKLIST_OK, "serial_matches": ""}
    response = driver.act(w.supervisor, case, F.onsite_check, checklist)
    assert response.status_code == 200  # a failed item needs findings
    driver.act(w.supervisor, case, F.onsite_check, {**checklist, "findings": "The plate says SN-R2"})
    assert driver.act(w.officer, case, F.decide, {"decision": "reject"}).status_code == 200  # a reason is required
    driver.act(w.officer, case, F.decide, {"decision": "reject", "reason": "Serial mismatch"})
    assert UltrasoundDevice.objects.get(pk=case.device_id).status == DeviceStatus.REFUSED
    assert driver.file(serial="SN-R").device.status == DeviceStatus.FILED


def test_a_returned_filing_is_corrected_and_signed_again(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.file(serial="SN-OLD")
    driver.act(w.director, case, F.sign_undertaking, {"decision": "return", "reason": "Wrong serial"})
    assert driver.refresh(case).stage == Stage.RETURNED
    data = {**filing_data(w, serial="SN-NEW"), "explanation": "Serial corrected"}
    data.pop("undertaking")
    data.pop("facility")
    assert driver.act(w.clerk, case, F.amend, data, sign=False).status_code == 302
    case = driver.refresh(case)
    assert (case.stage, case.revision, case.device.serial_number) == (Stage.UNDERTAKING, 2, "SN-NEW")
    assert driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"}).status_code == 302


def test_the_facility_withdraws_a_filing_and_the_serial_is_free(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.file(serial="SN-W")
    url = F.instance.reverse("withdraw", args=[case.pk])
    assert driver.client(w.clerk).post(url, {"reason": ""}).status_code == 400
    assert driver.client(w.clerk).post(url, {"reason": "Order cancelled"}).status_code == 302
    assert driver.refresh(case).stage == Stage.WITHDRAWN
    assert UltrasoundDevice.objects.get(pk=case.device_id).status == DeviceStatus.WITHDRAWN
    assert driver.file(serial="SN-W").pk != case.pk


def test_an_overdue_decision_escalates_to_the_bureau_director(driver: Any, us_world: Any, county_rules: Any) -> None:
    w = us_world
    case = driver.file()
    driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"})
    driver.act(w.officer, case, F.review, {"decision": "check", "supervisor": str(w.supervisor.pk)}, sign=False)
    driver.act(w.supervisor, case, F.onsite_check, CHECKLIST_OK)
    with time_machine.travel(timezone.now() + dt.timedelta(days=county_rules.device_decision_deadline_days, hours=1)):
        assert fire_due_timers() == 1
        assert driver.refresh(case).escalated_at is not None
        assert {"deadline.passed", "escalation.received"} <= set(kinds_for(w.chief))
        assert driver.claim(w.officer, driver.open_task(case, F.escalate)).status_code == 403
        assert driver.act(w.chief, case, F.escalate, {"decision": "approve"}).status_code == 302
    assert UltrasoundDevice.objects.get(pk=case.device_id).status == DeviceStatus.REGISTERED


def test_pledges_are_renewed_every_year_and_overdue_renewals_escalate_once(driver: Any, us_world: Any) -> None:
    w = us_world
    device = driver.register().device
    due = UltrasoundDevice.objects.get(pk=device.pk).pledges_due_on
    with time_machine.travel(due - dt.timedelta(days=40)):
        assert procedure_sweeps_run("ultrasound") == 0
    with time_machine.travel(due - dt.timedelta(days=20)):
        assert procedure_sweeps_run("ultrasound") == 1  # the renewal task opens
        assert procedure_sweeps_run("ultrasound") == 0
    renewal = UltrasoundCase.objects.get(kind=CaseKind.PLEDGE_RENEWAL)
    assert renewal.stage == Stage.PLEDGE_RENEWAL and "task.available" in kinds_for(w.director)
    with time_machine.travel(due + dt.timedelta(days=2)):
        assert procedure_sweeps_run("ultrasound") == 1  # overdue: escalated to the bureau director, once
        assert procedure_sweeps_run("ultrasound") == 0
    assert "escalation.received" in kinds_for(w.chief)
    assert UltrasoundDevice.objects.get(pk=device.pk).flagged_for_inspection
    renewed_on = timezone.localdate()
    data = {"renewed_on": renewed_on.isoformat(), "pledges": driver_scan()}
    assert driver.act(w.director, renewal, F.renew_pledges, data).status_code == 302
    device = UltrasoundDevice.objects.get(pk=device.pk)
    assert device.pledges_due_on == renewed_on + dt.timedelta(days=365)
    assert driver.refresh(renewal).stage == Stage.RENEWED


def driver_scan() -> Any:
    from .conftest import scan

    return scan("pledges.pdf")


def test_an_unannounced_check_is_hidden_from_the_facility_until_it_is_recorded(driver: Any, us_world: Any) -> None:
    w = us_world
    device = driver.register().device
    data = {"device": str(device.pk), "supervisor": str(w.supervisor.pk)}
    told = len(kinds_for(w.clerk)) + len(kinds_for(w.director))
    assert driver.client(w.clerk).post(F.schedule_check.reverse("execute"), data).status_code == 403
    assert driver.client(w.officer).post(F.schedule_check.reverse("execute"), data).status_code == 302
    check = UltrasoundCase.objects.get(kind=CaseKind.UNANNOUNCED_CHECK)
    url = F.instance.reverse("process_detail", args=[check.pk])
    assert driver.client(w.clerk).get(url).status_code == 404
    assert len(kinds_for(w.clerk)) + len(kinds_for(w.director)) == told  # nobody at the facility is told
    failed = {**CHECKLIST_OK, "register_kept": "", "findings": "Register missing for May"}
    assert driver.act(w.supervisor, check, F.onsite_check, failed).status_code == 302
    assert driver.refresh(check).stage == Stage.CHECKED
    assert driver.client(w.clerk).get(url).status_code == 200
    assert UltrasoundDevice.objects.get(pk=device.pk).flagged_for_inspection


def test_bad_input_is_refused_with_errors_and_nothing_saved(driver: Any, us_world: Any) -> None:
    w = us_world
    client = driver.client(w.clerk)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    without_operators = {k: v for k, v in filing_data(w).items() if not k.startswith("operators-")}
    for data in (
        {"serial_number": "<script>"},
        {"purchase_date": future},
        {"purchase_date": "2026-13-45"},
        {"device_type": "x-ray"},
        {"facility": str(w.hospital_b.pk)},
        {"undertaking": ""},
    ):
        response = client.post(F.file.reverse("execute"), {**filing_data(w), **data})
        assert response.status_code == 200, data
    twins = operators_data([("Twin", "110990101000301"), ("Twin", "110990101000301")])
    for data in ({**without_operators, **operators_data([])}, {**without_operators, **twins}):
        response = client.post(F.file.reverse("execute"), data)
        assert response.status_code == 200
        assert "operator" in response.content.decode()
    assert not UltrasoundDevice.objects.exists() and not UltrasoundCase.objects.exists()
