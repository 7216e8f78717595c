"""Corrections after acceptance: a report of its own that takes the month's steps again, never an edit.
The accepted figures stand until the correction is accepted; the corrected report keeps what it signed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent, Signature
from audit.services import signature_is_valid
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry, MonthlyBirthReport, Stage
from workflows.cases.statistics import birth_counts, report_statuses

from .test_paths import births, last_month, through

pytestmark = pytest.mark.django_db


def correct_url(report: MonthlyBirthReport) -> str:
    return f"{F.correct.reverse('execute')}?report={report.pk}"


def open_correction(driver, report, *, user=None, **data):
    return driver.client(user or driver.world.clerk).post(correct_url(report), {"report": str(report.pk), **data})


def correction_of(report: MonthlyBirthReport) -> MonthlyBirthReport:
    return MonthlyBirthReport.objects.get(corrects=report)


def boys_and_girls(driver, month: dt.date) -> tuple[int, int]:
    w = driver.world
    counts = [c for c in birth_counts(county=w.county_a, start=month, end=month + dt.timedelta(days=32))
              if c.facility_id == w.hospital_a.pk and c.month == month]  # fmt: skip
    assert len(counts) == 1, counts  # one facility-month counts once, whatever its corrections
    return counts[0].boys, counts[0].girls


def test_a_correction_goes_through_every_step_and_only_then_replaces_the_figures(driver) -> None:
    month = last_month()
    births(driver, month, "mmf")
    report = through(driver, month)
    signature = Signature.objects.get(object_id=str(report.pk), step="accept")
    assert boys_and_girls(driver, month) == (2, 1)
    page = driver.client(driver.world.clerk).get(driver_detail(report))
    assert correct_url(report) in page.content.decode()

    wrong = report.entries().filter(sex="male").order_by("pk").last()
    response = open_correction(driver, report, entry=str(wrong.pk), sex="female", reason="a girl: typing error")
    assert response.status_code == 302, response.content.decode()[:2000]
    correction = correction_of(report)
    assert (correction.stage, correction.revision, correction.month) == (Stage.SIGNING, 2, month)
    assert correction.checking_facility_id == driver.world.centre_a.pk
    # Not accepted yet: the accepted figures stand, and the accepted report still says what it signed.
    assert boys_and_girls(driver, month) == (2, 1)
    report = driver.refresh(report)
    assert report.is_current and wrong.pk in report.signed_entries
    assert signature_is_valid(signature=signature, obj=report, content=report.signature_content())

    w = driver.world
    assert driver.act(w.director, correction, F.sign_register, {"decision": "forward"}).status_code == 302
    assert driver.refresh(correction).counts["live_birth:female"] == 2
    assert driver.act(w.centre_director, correction, F.township_check, {"decision": "forward"}).status_code == 302
    assert boys_and_girls(driver, month) == (2, 1)  # checked, not accepted: still the old figures
    assert driver.act(w.officer, correction, F.accept, {"decision": "approve"}).status_code == 302

    correction, report = driver.refresh(correction), driver.refresh(report)
    assert correction.is_current and report.superseded_at is not None and not report.is_current
    assert boys_and_girls(driver, month) == (1, 2)
    # The superseded report keeps its signed register: every signature on it still verifies.
    for old in Signature.objects.filter(object_id=str(report.pk)):
        assert signature_is_valid(signature=old, obj=report, content=report.signature_content()), old.step
    assert AuditEvent.objects.filter(action="births.correct", object_id=str(correction.pk), actor=w.clerk).exists()
    assert AuditEvent.objects.filter(action="births.supersede", object_id=str(report.pk), actor=w.officer).exists()
    # The month's status is the original report's (on time or late once), never counted twice.
    statuses = [r for r in report_statuses(county=w.county_a, month=month) if r.facility_id == w.hospital_a.pk]
    assert len(statuses) == 1 and statuses[0].status == Stage.ACCEPTED


def driver_detail(report: MonthlyBirthReport) -> str:
    return F.instance.reverse("process_detail", args=[report.pk])


def test_a_birth_found_after_acceptance_is_entered_into_an_open_correction_only(driver) -> None:
    month = last_month()
    births(driver, month, "mf")
    report = through(driver, month)
    when = dt.datetime.combine(month + dt.timedelta(days=3), dt.time(9, 0)).strftime("%Y-%m-%dT%H:%M")
    refused = driver.enter(serial=900, occurred_at=when, late_reason="found in the paper register")
    assert refused.status_code == 200 and "open a correction" in refused.content.decode()
    assert not BirthEntry.objects.filter(occurred_at__date=month + dt.timedelta(days=3)).exists()

    assert open_correction(driver, report, reason="a birth missed in the register").status_code == 302
    assert driver.enter(serial=900, occurred_at=when, late_reason="found in the paper register").status_code == 302
    correction = correction_of(report)
    w = driver.world
    driver.act(w.director, correction, F.sign_register, {"decision": "forward"})
    assert driver.refresh(correction).counts["births"] == 3
    assert driver.refresh(report).counts["births"] == 2 and len(driver.refresh(report).signed_entries) == 2


def test_a_correction_needs_a_reason_and_nothing_is_saved_without_one(driver) -> None:
    month = last_month()
    births(driver, month, "m")
    report = through(driver, month)
    entry = report.entries().get()
    response = open_correction(driver, report, entry=str(entry.pk), sex="female", reason="")
    assert response.status_code == 200
    assert not MonthlyBirthReport.objects.filter(corrects=report).exists()
    assert BirthEntry.objects.get(pk=entry.pk).replaced_at is None
    assert BirthEntry.objects.filter(replaces=entry).count() == 0


def test_one_correction_at_a_time_and_only_of_the_current_accepted_report(driver) -> None:
    month = last_month()
    births(driver, month, "mf")
    report = through(driver, month)
    assert open_correction(driver, report, reason="first").status_code == 302
    again = open_correction(driver, report, reason="second")
    assert again.status_code == 200 and "already in progress" in again.content.decode()
    assert MonthlyBirthReport.objects.filter(month=month, facility=driver.world.hospital_a).count() == 2
    # The correction is not accepted: it cannot itself be corrected, nor can an unaccepted report.
    refused = open_correction(driver, correction_of(report), reason="third")
    assert refused.status_code == 200 and MonthlyBirthReport.objects.filter(month=month).count() == 2


def test_a_report_not_yet_accepted_offers_no_correction(driver) -> None:
    month = last_month()
    births(driver, month, "m")
    assert driver.prepare(month).status_code == 302
    report = driver.report(month)
    page = driver.client(driver.world.clerk).get(driver_detail(report)).content.decode()
    assert correct_url(report) not in page
    assert open_correction(driver, report, reason="too early").status_code == 200
    assert not MonthlyBirthReport.objects.filter(corrects=report).exists()


@pytest.mark.parametrize("persona", ["clerk_other", "director_b", "officer", "inspector", "centre_director"])
def test_only_the_facility_own_staff_open_a_correction(driver, persona) -> None:
    month = last_month()
    births(driver, month, "m")
    report = through(driver, month)
    user = driver.world.users[persona]
    status = {driver.client(user).get(correct_url(report)).status_code,
              open_correction(driver, report, user=user, reason="not mine").status_code}  # fmt: skip
    assert status <= {403, 404}, status
    assert not MonthlyBirthReport.objects.filter(corrects=report).exists()
    assert correct_url(report) not in driver.client(user).get(driver_detail(report)).content.decode()


def test_a_bad_report_number_is_a_404_never_a_500(driver) -> None:
    client = driver.client(driver.world.clerk)
    for value in ("", "abc", "999999", "-1", "1e9"):
        assert client.get(f"{F.correct.reverse('execute')}?report={value}").status_code == 404, value


def test_a_correction_has_no_deadline_of_its_own(driver) -> None:
    from workflows.births.selectors import overdue_checks

    month = last_month()
    births(driver, month, "mf")
    report = through(driver, month)
    assert open_correction(driver, report, reason="a birth was missed").status_code == 302
    correction = correction_of(report)
    assert correction.first_signed_at is None and not correction.is_late
    driver.act(driver.world.director, correction, F.sign_register, {"decision": "forward"})
    correction = driver.refresh(correction)
    assert correction.stage == Stage.TOWNSHIP_CHECK and not correction.is_late
    # Months later, waiting for its check: not an overdue check (the month's own report was checked).
    far = timezone.localdate() + dt.timedelta(days=70)
    assert not overdue_checks(today=far).filter(pk=correction.pk).exists()
    page = driver.client(driver.world.clerk).get(driver_detail(correction)).content.decode()
    assert "signed late" not in page and "Signature due by" not in page
