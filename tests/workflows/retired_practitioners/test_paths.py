"""Every path through the retired-practitioner registry, through real URLs, as the right personas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from viewflow.workflow.timers import fire_due_timers

from audit.models import AuditEvent, Signature
from tests.scenes import procedure_sweeps_run
from workflows.models import Notification
from workflows.retired_practitioners.flows import RetiredPractitionerFlow as F
from workflows.retired_practitioners.models import (
    Activity,
    CaseKind,
    PractitionerCase,
    PractitionerStatus,
    RetiredPractitioner,
    Stage,
)

from .conftest import follow_up_data, resident_id, scan

pytestmark = pytest.mark.django_db


def actions(case: Any) -> list[str]:
    return [
        a
        for a in AuditEvent.objects.filter(object_type="retired_practitioners.practitionercase", object_id=str(case.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
        if not a.startswith(("record.", "signature.", "task."))
    ]


def kinds_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_a_filing_is_signed_by_the_director_and_verified_by_the_home_county(driver: Any, rp_world: Any) -> None:
    w = rp_world
    case = driver.file()
    entry = case.practitioner
    assert (case.kind, case.stage, entry.status) == (CaseKind.FILING, Stage.SIGNING, PractitionerStatus.FILED)
    # Stored encrypted, matched by digest, shown masked.
    assert entry.resident_id == resident_id(1) and entry.resident_id_masked.count("*") == 10
    assert not entry.is_late and not entry.flagged
    assert "task.available" in kinds_for(w.director)

    assert driver.act(w.director, case, F.sign_filing, {"decision": "forward"}).status_code == 302
    assert driver.refresh(case).stage == Stage.VERIFICATION
    assert "task.available" in kinds_for(w.officer)
    assert driver.act(w.officer, case, F.verify, {"decision": "approve"}).status_code == 302

    case, entry = driver.refresh(case), RetiredPractitioner.objects.get(pk=entry.pk)
    assert case.stage == Stage.ON_FILE and case.process_ptr.status == "DONE"
    assert entry.status == PractitionerStatus.ON_FILE
    assert entry.follow_up_due_on == timezone.localdate() + dt.timedelta(days=365)
    assert list(Signature.objects.filter(object_id=str(case.pk)).values_list("meaning", flat=True)) == [
        "submitted",
        "verified",
    ]
    assert actions(case) == [
        "retired_practitioners.file",
        "retired_practitioners.sign_filing",
        "retired_practitioners.verify",
    ]
    assert case.documents.get().doc_type == "pledge"
    # No personal data in notifications: kinds, ids and links only.
    for notification in Notification.objects.all():
        assert entry.name not in str(notification.__dict__)
    # The case page shows the masked ID, never the full one.
    page = driver.client(w.officer).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert entry.resident_id_masked in page and entry.resident_id not in page


def test_the_home_county_verifies_a_practitioner_living_in_another_county(driver: Any, rp_world: Any) -> None:
    w = rp_world
    case = driver.file(home_township=str(w.town_b.pk))
    assert case.county == w.county_b and case.facility == w.hospital_a
    assert driver.act(w.director, case, F.sign_filing, {"decision": "forward"}).status_code == 302
    task = driver.open_task(case, F.verify)
    assert driver.claim(w.officer, task).status_code in {403, 404}  # county A's bureau is not the home county
    assert driver.client(w.officer).get(F.instance.reverse("process_detail", args=[case.pk])).status_code == 404
    assert driver.act(w.officer_b, case, F.verify, {"decision": "approve"}).status_code == 302
    assert RetiredPractitioner.objects.get(pk=case.practitioner_id).county == w.county_b


def test_a_late_filing_needs_an_explanation_and_is_flagged(driver: Any, rp_world: Any, county_rules: Any) -> None:
    late_by = county_rules.retirement_filing_deadline_days + 10
    response = driver.post_filing(retired_days_ago=late_by)
    assert response.status_code == 200 and "days late" in response.content.decode()
    assert not RetiredPractitioner.objects.exists() and not PractitionerCase.objects.exists()
    case = driver.file(retired_days_ago=late_by, late_explanation="The personnel office forgot")
    entry = case.practitioner
    assert entry.days_late == 10 and entry.flagged and entry.late_explanation == "The personnel office forgot"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"resident_id": "92010119600110001A"}, "17 digits"),
        ({"resident_id": resident_id(1)[:-1] + ("0" if resident_id(1)[-1] != "0" else "1")}, "check digit"),
        ({"activity": "reemployed"}, "re-employs"),
        ({"pledge": ""}, "required"),
        ({"contact": "call me"}, "telephone"),
    ],
)
def test_bad_filings_are_refused_with_a_clear_error_and_nothing_saved(
    driver: Any, rp_world: Any, overrides: dict, message: str
) -> None:
    response = driver.post_filing(**overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RetiredPractitioner.objects.exists() and not PractitionerCase.objects.exists()


def test_a_person_cannot_be_filed_twice(driver: Any, rp_world: Any) -> None:
    driver.file(serial=7)
    response = driver.post_filing(rp_world.clerk_b, serial=7, facility=str(rp_world.hospital_b.pk))
    assert response.status_code == 200 and "already on file" in response.content.decode()
    assert RetiredPractitioner.objects.count() == 1


def test_returns_go_back_to_the_clerk_and_the_amendment_is_signed_again(driver: Any, rp_world: Any) -> None:
    w = rp_world
    case = driver.file()
    response = driver.act(w.director, case, F.sign_filing, {"decision": "return", "reason": ""})
    assert response.status_code == 200 and driver.refresh(case).stage == Stage.SIGNING  # a return needs a reason
    assert (
        driver.act(w.director, case, F.sign_filing, {"decision": "return", "reason": "Wrong title"}).status_code == 302
    )
    assert driver.refresh(case).stage == Stage.RETURNED and "process.returned" in kinds_for(w.clerk)
    amend = {
        "name": "Practitioner 1",
        "former_department": "Obstetrics",
        "title": "chief",
        "physician_licence_number": "LIC-000001",
        "mch_certificate_number": "",
        "retirement_date": (timezone.localdate() - dt.timedelta(days=5)).isoformat(),
        "home_township": str(w.town_a.pk),
        "address": "1 Willow Lane",
        "contact": "0990-5551234",
        "activity": "none",
        "employer": "",
        "activity_note": "",
        "pledge_signed_on": timezone.localdate().isoformat(),
        "explanation": "Title corrected",
    }
    assert driver.act(w.clerk, case, F.amend, amend, sign=False).status_code == 302
    case = driver.refresh(case)
    assert case.revision == 2 and case.practitioner.title == "chief"
    assert driver.act(w.director, case, F.sign_filing, {"decision": "forward"}).status_code == 302
    assert (
        driver.act(w.officer, case, F.verify, {"decision": "return", "reason": "Pledge unreadable"}).status_code == 302
    )
    assert (
        driver.act(
            w.clerk, case, F.amend, {**amend, "explanation": "Rescanned", "pledge": scan()}, sign=False
        ).status_code
        == 302
    )
    assert driver.act(w.director, case, F.sign_filing, {"decision": "forward"}).status_code == 302
    assert driver.act(w.officer, case, F.verify, {"decision": "approve"}).status_code == 302
    assert RetiredPractitioner.objects.get().status == PractitionerStatus.ON_FILE
    assert driver.refresh(case).documents.count() == 2
    assert "retired_practitioners.amend" in actions(case)


def test_the_facility_may_withdraw_a_filing_not_yet_verified(driver: Any, rp_world: Any) -> None:
    w = rp_world
    case = driver.file()
    url = F.instance.reverse("withdraw", args=[case.pk])
    assert driver.client(w.clerk).post(url, {"reason": ""}).status_code == 400
    assert driver.client(w.clerk).post(url, {"reason": "Filed by mistake"}).status_code == 302
    assert driver.refresh(case).stage == Stage.WITHDRAWN
    assert RetiredPractitioner.objects.get().status == PractitionerStatus.WITHDRAWN
    driver.file()  # the person may be filed again


def test_the_yearly_follow_up_opens_is_signed_and_sets_the_next_one(driver: Any, rp_world: Any) -> None:
    w = rp_world
    entry = driver.on_file()
    due = entry.follow_up_due_on
    with time_machine.travel(due - dt.timedelta(days=40)):
        assert procedure_sweeps_run("retired_practitioners") == 0
    with time_machine.travel(due - dt.timedelta(days=20)):
        assert procedure_sweeps_run("retired_practitioners") == 1  # the follow-up task opens (home county)
        assert procedure_sweeps_run("retired_practitioners") == 0
        follow_up = PractitionerCase.objects.get(kind=CaseKind.FOLLOW_UP)
        assert follow_up.stage == Stage.FOLLOW_UP and follow_up.due_on == due
        assert "task.available" in kinds_for(w.officer)
        # The former facility is not part of the follow-up.
        assert driver.client(w.clerk).get(F.instance.reverse("process_detail", args=[follow_up.pk])).status_code == 404
        data = follow_up_data(entry, activity="private_practice", activity_note="Clinic on Elm St", pledge="")
        assert driver.act(w.officer, follow_up, F.follow_up, data).status_code == 200  # the renewed pledge is required
        data = follow_up_data(entry, activity="private_practice", activity_note="Clinic on Elm St")
        assert driver.act(w.officer, follow_up, F.follow_up, data).status_code == 302
        today = timezone.localdate()
    entry = RetiredPractitioner.objects.get(pk=entry.pk)
    assert entry.activity == Activity.PRIVATE_PRACTICE
    assert entry.follow_up_due_on == today + dt.timedelta(days=365)
    follow_up = driver.refresh(follow_up)
    assert follow_up.stage == Stage.FOLLOWED_UP and follow_up.documents.get().doc_type == "renewed_pledge"
    assert Signature.objects.get(object_id=str(follow_up.pk)).meaning == "followed_up"


def test_an_overdue_follow_up_escalates_to_the_bureau_director(driver: Any, rp_world: Any) -> None:
    w = rp_world
    entry = driver.on_file()
    due = entry.follow_up_due_on
    with time_machine.travel(due - dt.timedelta(days=10)):
        assert procedure_sweeps_run("retired_practitioners") == 1
    follow_up = PractitionerCase.objects.get(kind=CaseKind.FOLLOW_UP)
    with time_machine.travel(due + dt.timedelta(days=2)):
        assert fire_due_timers() == 1
        follow_up = driver.refresh(follow_up)
        assert follow_up.escalated_at is not None
        assert {"deadline.passed", "escalation.received"} <= set(kinds_for(w.chief))
        assert RetiredPractitioner.objects.get(pk=entry.pk).flagged
        task = driver.open_task(follow_up, F.escalate_follow_up)
        assert driver.claim(w.officer, task).status_code == 403
        assert driver.act(w.chief, follow_up, F.escalate_follow_up, follow_up_data(entry)).status_code == 302
    assert driver.refresh(follow_up).stage == Stage.FOLLOWED_UP
    assert "retired_practitioners.follow_up_escalate" in actions(follow_up)


def test_a_death_closes_the_filing(driver: Any, rp_world: Any) -> None:
    w = rp_world
    entry = driver.on_file()
    with time_machine.travel(entry.follow_up_due_on - dt.timedelta(days=5)):
        assert procedure_sweeps_run("retired_practitioners") == 1
    follow_up = PractitionerCase.objects.get(kind=CaseKind.FOLLOW_UP)
    assert driver.record_event(w.clerk, entry, kind="death").status_code == 403  # facility staff record no events
    assert driver.record_event(w.officer, entry, kind="death", password="wrong").status_code == 200
    assert not PractitionerCase.objects.filter(kind=CaseKind.DEATH).exists()
    assert driver.record_event(w.officer, entry, kind="death", explanation="Certificate seen").status_code == 302
    event = PractitionerCase.objects.get(kind=CaseKind.DEATH)
    entry = RetiredPractitioner.objects.get(pk=entry.pk)
    assert entry.status == PractitionerStatus.DECEASED and entry.closed_at and entry.follow_up_due_on is None
    assert event.stage == Stage.RECORDED and event.process_ptr.status == "DONE"
    assert Signature.objects.get(object_id=str(event.pk)).meaning == "event_recorded"
    assert "retired_practitioners.death" in actions(event)
    # The open follow-up ends with the filing: no task is left for the officer, no timer for the director.
    follow_up = driver.refresh(follow_up)
    assert follow_up.stage == Stage.CLOSED and follow_up.process_ptr.status == "CANCELED"
    assert driver.open_task(follow_up, F.follow_up) is None
    assert not follow_up.task_set.exclude(status__in=["DONE", "CANCELED"]).exists()
    assert "retired_practitioners.close" in actions(follow_up)
    # Closed: no more follow-ups, no more events.
    with time_machine.travel(timezone.now() + dt.timedelta(days=400)):
        assert procedure_sweeps_run("retired_practitioners") == 0
    assert driver.record_event(w.officer, entry, kind="reemployment", employer=str(w.hospital_a.pk)).status_code == 200


def test_a_move_hands_the_filing_to_the_receiving_county_and_both_see_the_handover(driver: Any, rp_world: Any) -> None:
    w = rp_world
    entry = driver.on_file()
    response = driver.record_event(w.officer, entry, kind="move", home_township=str(w.town_a.pk))
    assert response.status_code == 200 and "same county" in response.content.decode()
    assert driver.record_event(w.officer, entry, kind="move", home_township=str(w.town_b.pk)).status_code == 302
    move = PractitionerCase.objects.get(kind=CaseKind.MOVE)
    assert move.stage == Stage.HANDOVER and move.target_county == w.county_b
    assert "task.available" in kinds_for(w.officer_b)
    task = driver.open_task(move, F.take_over)
    assert driver.claim(w.officer, task).status_code in {403, 404}  # the receiving county's task
    assert driver.act(w.officer_b, move, F.take_over, {"address": "8 River Road, Town B1"}).status_code == 302
    entry = RetiredPractitioner.objects.get(pk=entry.pk)
    assert (entry.county, entry.home_township, entry.address) == (w.county_b, w.town_b, "8 River Road, Town B1")
    assert driver.refresh(move).stage == Stage.HANDED_OVER
    # Both counties' trails hold the handover.
    handovers = AuditEvent.objects.filter(action="retired_practitioners.handover", object_id=str(move.pk))
    assert set(handovers.values_list("county_id", flat=True)) == {w.county_a.pk, w.county_b.pk}
    for officer in (w.officer, w.officer_b):
        assert driver.client(officer).get(F.instance.reverse("process_detail", args=[move.pk])).status_code == 200
    # From now on county B follows the practitioner up, and county A's register no longer lists them.
    with time_machine.travel(timezone.now() + dt.timedelta(days=350)):
        assert procedure_sweeps_run("retired_practitioners") == 1
    assert PractitionerCase.objects.get(kind=CaseKind.FOLLOW_UP).county == w.county_b
    register = driver.client(w.officer).get(F.instance.reverse("register") + f"?county={w.county_a.pk}")
    assert entry.name not in register.content.decode()


def test_a_reemployment_at_a_facility_without_an_mch_licence_is_flagged_to_the_officer(
    driver: Any, rp_world: Any
) -> None:
    w = rp_world
    entry = driver.on_file()
    response = driver.record_event(w.officer, entry, kind="reemployment", employer=str(w.hospital_a.pk))
    assert response.status_code == 302  # hospital A holds an MCH licence: no finding
    assert not PractitionerCase.objects.filter(kind=CaseKind.CROSS_CHECK).exists()
    assert driver.record_event(w.officer, entry, kind="reemployment", employer=str(w.centre_a.pk)).status_code == 302
    check = PractitionerCase.objects.get(kind=CaseKind.CROSS_CHECK)
    assert check.details == {"finding": "undesignated_employer", "facility": w.centre_a.pk}
    assert RetiredPractitioner.objects.get(pk=entry.pk).flagged
    assert kinds_for(w.officer).count("task.available") >= 2  # the verification, then the finding
    assert driver.act(w.officer, check, F.review_cross_check, {"findings": ""}).status_code == 200
    assert driver.act(w.officer, check, F.review_cross_check, {"findings": "Told the clinic"}).status_code == 302
    assert driver.refresh(check).stage == Stage.CHECKED
    assert "retired_practitioners.cross_check_review" in actions(check)
