"""The monthly report: opened, signed (binding the list), checked by the township, accepted; amendments
and the four-eyes refusals; the figures it publishes for the bulletins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from audit.models import AuditEvent, Signature
from audit.services import signature_is_valid
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry, Stage, month_of, previous_month
from workflows.cases.statistics import birth_counts, report_statuses
from workflows.cases.views import case_detail_url

pytestmark = pytest.mark.django_db


def last_month() -> dt.date:
    return previous_month(month_of(timezone.localdate()))


def births(driver, month: dt.date, sexes: str, *, start: int = 100) -> None:
    """Enter one late birth per letter of ``sexes`` (m or f) on day 2 of ``month``."""
    for i, letter in enumerate(sexes):
        when = dt.datetime.combine(month + dt.timedelta(days=1), dt.time(6, i))
        response = driver.enter(
            serial=start + i,
            occurred_at=when.strftime("%Y-%m-%dT%H:%M"),
            sex="male" if letter == "m" else "female",
            late_reason="entered from the paper register",
        )
        assert response.status_code == 302, response.content.decode()[:1500]


def sign(driver, month: dt.date):
    assert driver.prepare(month).status_code == 302
    report = driver.report(month)
    assert driver.act(driver.world.director, report, F.sign_register, {"decision": "forward"}).status_code == 302
    return driver.refresh(report)


def through(driver, month: dt.date):
    report = sign(driver, month)
    w = driver.world
    assert driver.act(w.centre_director, report, F.township_check, {"decision": "forward"}).status_code == 302
    assert driver.act(w.officer, report, F.accept, {"decision": "approve"}).status_code == 302
    return driver.refresh(report)


def test_the_whole_path_counts_by_sex_and_outcome_and_audits_each_step(driver) -> None:
    month = last_month()
    births(driver, month, "mmf")
    report = sign(driver, month)
    assert report.stage == Stage.TOWNSHIP_CHECK and report.checking_facility_id == driver.world.centre_a.pk
    assert report.counts == {"births": 3, "live_birth:female": 1, "live_birth:male": 2}
    w = driver.world
    assert driver.act(w.centre_director, report, F.township_check, {"decision": "forward"}).status_code == 302
    assert driver.refresh(report).stage == Stage.BUREAU_ACCEPT
    assert driver.act(w.officer, report, F.accept, {"decision": "approve"}).status_code == 302
    report = driver.refresh(report)
    assert report.stage == Stage.ACCEPTED and report.accepted_at and report.ended_at
    actions = list(AuditEvent.objects.filter(object_id=str(report.pk)).values_list("action", flat=True))
    for action in ("births.prepare", "births.sign", "births.township_check", "births.accept"):
        assert action in actions
    assert {s.step for s in Signature.objects.filter(object_id=str(report.pk))} == {
        "sign_register", "township_check", "accept"
    }  # fmt: skip


def test_the_signature_binds_the_list_a_later_change_breaks_it(driver) -> None:
    month = last_month()
    births(driver, month, "mf")
    report = sign(driver, month)
    signature = Signature.objects.get(object_id=str(report.pk), step="sign_register")
    assert signature_is_valid(signature=signature, obj=report, content=report.signature_content())
    content = report.signature_content()
    assert sorted(row[0] for row in content["entries"]) == sorted(report.entries().values_list("pk", flat=True))
    # Anyone changing an entry's counted field behind the flow's back: the signature no longer verifies.
    entry = report.entries().first()
    BirthEntry.objects.filter(pk=entry.pk).update(sex="female" if entry.sex == "male" else "male")
    assert not signature_is_valid(signature=signature, obj=report, content=driver.refresh(report).signature_content())


def test_a_return_and_an_amendment_with_a_reason_make_a_new_revision_the_director_signs_again(driver) -> None:
    month = last_month()
    births(driver, month, "mm")
    report = sign(driver, month)
    w = driver.world
    returned = driver.act(w.centre_director, report, F.township_check, {"decision": "return", "reason": "check #2"})
    assert returned.status_code == 302
    report = driver.refresh(report)
    assert report.stage == Stage.RETURNED
    wrong = report.entries().order_by("pk").last()
    # No reason: refused, nothing changed.
    refused = driver.act(w.clerk, report, F.amend, {"entry": str(wrong.pk), "sex": "female"}, sign=False)
    assert refused.status_code == 200 and driver.refresh(report).revision == 1
    amend = {"entry": str(wrong.pk), "sex": "female", "reason": "the infant is a girl: typing error"}
    assert driver.act(w.clerk, report, F.amend, amend, sign=False).status_code == 302
    report = driver.refresh(report)
    assert report.stage == Stage.SIGNING and report.revision == 2
    wrong.refresh_from_db()
    assert wrong.replaced_at is not None and wrong.sex == "male"  # the signed entry is kept as it was
    replacement = BirthEntry.objects.get(replaces=wrong)
    assert replacement.sex == "female" and replacement.amendment_reason.startswith("the infant")
    old = Signature.objects.get(object_id=str(report.pk), step="sign_register")
    assert not signature_is_valid(signature=old, obj=report, content=report.signature_content())
    assert driver.act(w.director, report, F.sign_register, {"decision": "forward"}).status_code == 302
    report = driver.refresh(report)
    assert report.counts["live_birth:female"] == 1 and report.stage == Stage.TOWNSHIP_CHECK
    assert AuditEvent.objects.filter(action="births.amend", object_id=str(report.pk), actor=w.clerk).exists()


def test_four_eyes_the_signer_never_checks_nor_accepts(driver) -> None:
    month = last_month()
    births(driver, month, "m")
    report = sign(driver, month)
    task = driver.open_task(report, F.township_check)
    assert F.township_check.four_eyes_refusal(driver.world.director, task) == "signed_another_step"
    # The facility's own staff never take the bureau's step, nor does whoever opened the report.
    driver.act(driver.world.centre_director, report, F.township_check, {"decision": "forward"})
    accept = driver.open_task(driver.refresh(report), F.accept)
    assert F.accept.four_eyes_refusal(driver.world.director, accept) == "signed_another_step"
    assert F.accept.four_eyes_refusal(driver.world.clerk, accept) == "entered_the_case"
    assert F.accept.four_eyes_refusal(driver.world.centre_director, accept) == "signed_another_step"
    assert F.accept.four_eyes_refusal(driver.world.officer, accept) is None
    # Through the URL too: the director cannot claim the bureau's task.
    assert driver.claim(driver.world.director, accept).status_code == 403


def test_only_the_township_centre_director_checks(driver) -> None:
    month = last_month()
    births(driver, month, "f")
    report = sign(driver, month)
    task = driver.open_task(report, F.township_check)
    for user in (driver.world.officer, driver.world.clerk_other, driver.world.director_b):
        assert not F.township_check.can_assign(user, task)
    assert F.township_check.can_assign(driver.world.centre_director, task)


def test_the_township_centre_own_report_goes_straight_to_the_bureau(driver) -> None:
    month = last_month()
    w = driver.world
    assert driver.prepare(month, user=w.clerk_other, facility=w.centre_a).status_code == 302
    report = driver.report(month, facility=w.centre_a)
    assert report.checking_facility_id is None
    assert driver.act(w.centre_director, report, F.sign_register, {"decision": "forward"}).status_code == 302
    assert driver.refresh(report).stage == Stage.BUREAU_ACCEPT


def test_opening_a_report_leads_to_its_page_with_the_procedure_s_own_message(driver) -> None:
    """The kit's start page (CaseStartView): the new case's page next, announced in the procedure's words."""
    month = last_month()
    response = driver.prepare(month)
    report = driver.report(month)
    assert response.status_code == 302 and response["Location"] == case_detail_url(report)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"Report opened: #{report.pk}."]


def test_a_month_is_opened_once_and_only_when_over(driver) -> None:
    month = last_month()
    assert driver.prepare(month).status_code == 302
    again = driver.prepare(month)
    assert again.status_code == 200 and "already open" in again.content.decode()
    this_month = driver.prepare(month_of(timezone.localdate()))
    assert this_month.status_code == 200  # not offered: the month is not over


def test_the_providers_publish_accepted_live_births_and_every_facility_status(driver) -> None:
    month = last_month()
    earlier = previous_month(month)
    births(driver, earlier, "mmf", start=200)
    through(driver, earlier)
    births(driver, month, "ff", start=300)
    sign(driver, month)  # signed, not accepted: not counted
    w = driver.world
    counts = birth_counts(county=w.county_a, start=earlier, end=month_of(timezone.localdate()))
    ours = [c for c in counts if c.facility_id == w.hospital_a.pk]
    assert [(c.month, c.boys, c.girls, c.township_id) for c in ours] == [(earlier, 2, 1, w.town_a.pk)]
    statuses = {row.facility_id: row for row in report_statuses(county=w.county_a, month=month)}
    assert statuses[w.hospital_a.pk].status == Stage.TOWNSHIP_CHECK
    assert statuses[w.centre_a.pk].status == "missing"
    assert w.hospital_b.pk not in statuses  # another county
    assert statuses[w.hospital_a.pk].signed_at is not None
    due = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=5)
    assert statuses[w.hospital_a.pk].late is (timezone.localdate(statuses[w.hospital_a.pk].signed_at) > due)
    assert statuses[w.centre_a.pk].late is (timezone.localdate() > due)
