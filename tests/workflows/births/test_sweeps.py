"""The deadlines as sweeps, with time travel: a reminder on the 5th, the bureau told on the 10th, each once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import ReportNotice
from workflows.births.services import births_missing_reports_send, births_sign_reminders_send
from workflows.models import Notification
from workflows.sweeps import sweeps_run

from .test_paths import sign

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 9) -> dt.datetime:
    """Day ``day`` of next month, local time."""
    first = (timezone.localdate().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return timezone.make_aware(dt.datetime.combine(first.replace(day=day), dt.time(hour)))


def test_the_reminder_goes_to_each_unsigned_facility_on_the_5th_once(driver) -> None:
    w = driver.world
    with time_machine.travel(at(4), tick=False):
        assert births_sign_reminders_send() == 0
    this_month = timezone.localdate().replace(day=1)  # "last month" once the clock is in the next one
    with time_machine.travel(at(2), tick=False):
        sign(driver, this_month)  # Hospital A signs in time
    with time_machine.travel(at(5), tick=False):
        assert births_sign_reminders_send() == 2  # Centre A and Hospital B have not signed
        assert births_sign_reminders_send() == 0  # once
    with time_machine.travel(at(6), tick=False):
        assert births_sign_reminders_send() == 0
    reminded = set(ReportNotice.objects.filter(kind="sign_reminder").values_list("facility_id", flat=True))
    assert reminded == {w.centre_a.pk, w.hospital_b.pk}
    notices = Notification.objects.filter(kind="deadline.approaching")
    assert set(notices.values_list("recipient_id", flat=True)) == {w.centre_director.pk, w.director_b.pk}
    assert AuditEvent.objects.filter(action="births.sign_reminder").count() == 2


def test_the_bureau_hears_of_missing_reports_on_the_10th_once(driver) -> None:
    w = driver.world
    with time_machine.travel(at(9), tick=False):
        assert births_missing_reports_send() == 0
    with time_machine.travel(at(10), tick=False):
        assert births_missing_reports_send() == 3
        assert births_missing_reports_send() == 0
    with time_machine.travel(at(10, 18), tick=False):
        assert sweeps_run() >= 0 and births_missing_reports_send() == 0
    told = Notification.objects.filter(kind="deadline.passed")
    assert set(told.values_list("recipient_id", flat=True)) == {w.officer.pk, w.officer2.pk, w.officer_b.pk}
    assert told.filter(recipient=w.officer).count() == 2  # Hospital A and Centre A, county A
    assert not told.filter(recipient=w.chief).exists()
    assert all("birth" not in n.url or "register" in n.url for n in told)


def test_the_sweeps_are_registered(driver) -> None:
    from workflows.sweeps import _SWEEPS

    assert births_sign_reminders_send in _SWEEPS and births_missing_reports_send in _SWEEPS


def test_a_township_check_still_waiting_after_the_10th_is_reported_to_the_bureau_once(driver) -> None:
    from workflows.births.models import Stage
    from workflows.births.services import births_overdue_checks_send

    w = driver.world
    this_month = timezone.localdate().replace(day=1)
    with time_machine.travel(at(3), tick=False):
        report = sign(driver, this_month)  # waits for Centre A's director
    assert report.stage == Stage.TOWNSHIP_CHECK
    with time_machine.travel(at(10, 20), tick=False):
        assert births_overdue_checks_send() == 0  # the 10th is still in time
    with time_machine.travel(at(11), tick=False):
        assert births_overdue_checks_send() == 1
        assert births_overdue_checks_send() == 0  # once
        page = driver.client(w.officer).get(F.instance.reverse("process_detail", args=[report.pk]))
        assert "overdue: the county bureau has been told" in page.content.decode()
    told = Notification.objects.filter(kind="deadline.passed", object_id=str(report.pk))
    assert set(told.values_list("recipient_id", flat=True)) == {w.officer.pk, w.officer2.pk, w.centre_director.pk}
    event = AuditEvent.objects.get(action="births.check_overdue")
    assert event.object_id == str(report.pk) and event.actor is None
    # The check done, nothing more is sent about it, even for a later month's sweep.
    driver.act(w.centre_director, report, F.township_check, {"decision": "forward"})
    with time_machine.travel(at(20), tick=False):
        assert births_overdue_checks_send() == 0


def test_a_township_centre_without_a_director_does_not_hold_the_report_the_bureau_accepts_it(driver) -> None:
    from permissions.models import RoleAssignment
    from workflows.births.models import Stage

    w = driver.world
    RoleAssignment.objects.filter(user=w.centre_director, facility=w.centre_a).update(revoked_at=timezone.now())
    this_month = timezone.localdate().replace(day=1)
    with time_machine.travel(at(3), tick=False):
        report = sign(driver, this_month)
    assert report.checking_facility_id is None and report.stage == Stage.BUREAU_ACCEPT
    signed = AuditEvent.objects.get(action="births.sign", object_id=str(report.pk))
    assert signed.changes["stage"] == [Stage.SIGNING, Stage.BUREAU_ACCEPT]
