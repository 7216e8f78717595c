"""Races between cases, not only on one task: certificate numbers, withdrawal against decision, reminder sweeps.

PostgreSQL, real transactions, one connection per thread. The first party holds its transaction open
until the second is seen waiting on a lock in pg_stat_activity (or has finished without waiting), so
the interleaving that a missing row lock would get wrong happens on every run, with no sleep to tune.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from viewflow.workflow.models import Task

from audit.models import AuditEvent, Signature
from tests.factories import PASSWORD
from tests.pg import held_elsewhere, until_waiting_or_done
from workflows.cases.models import NumberSequence
from workflows.locks import SavepointSelectForUpdateLock
from workflows.models import Notification
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import CERTIFICATE_KIND, Stage, TerminationCase
from workflows.termination.services import certificate_issue, termination_deadline_reminders_send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def interleave(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run ``first`` in a transaction held open until ``second`` (started once ``first`` has done its work,
    before it commits) waits on a lock or finishes. Returns both results; re-raises their errors."""
    done_first, release, done_second = threading.Event(), threading.Event(), threading.Event()
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            with transaction.atomic():
                results["first"] = first()
                done_first.set()
                assert release.wait(timeout=60), "never released"
        except BaseException as error:
            errors.append(error)
            done_first.set()
        finally:
            connection.close()

    def run_second() -> None:
        try:
            assert done_first.wait(timeout=60)
            results["second"] = second()
        except BaseException as error:
            errors.append(error)
        finally:
            done_second.set()
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    try:
        assert done_first.wait(timeout=60)
        until_waiting_or_done(done_second)
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results.get("first"), results.get("second")


def bureau_case(driver: Any, world: Any) -> TerminationCase:
    case = driver.submit(pathway="divorced")
    assert driver.act(world.director, case, F.review, {"decision": "forward"}).status_code == 302
    return driver.refresh(case)


def test_two_cases_of_one_county_approved_at_once_get_consecutive_distinct_numbers(driver: Any, world: Any) -> None:
    one, two = bureau_case(driver, world), bureau_case(driver, world)
    year = timezone.localdate().year
    NumberSequence.objects.create(kind=CERTIFICATE_KIND, county=world.county_a, year=year, last_number=41)
    first, second = interleave(lambda: certificate_issue(case=one), lambda: certificate_issue(case=two))
    prefix = f"{world.county_a.code}-{year}-"
    assert {first.certificate_number, second.certificate_number} == {f"{prefix}000042", f"{prefix}000043"}
    assert NumberSequence.objects.get(kind=CERTIFICATE_KIND, county=world.county_a, year=year).last_number == 43


def test_the_first_two_certificates_of_a_county_year_race_to_create_the_sequence(driver: Any, world: Any) -> None:
    one, two = bureau_case(driver, world), bureau_case(driver, world)
    first, second = interleave(lambda: certificate_issue(case=one), lambda: certificate_issue(case=two))
    numbers = sorted([first.certificate_number, second.certificate_number])
    assert [n[-6:] for n in numbers] == ["000001", "000002"]


def test_two_reminder_sweeps_at_once_remind_once(driver: Any, world: Any) -> None:
    case = bureau_case(driver, world)
    with time_machine.travel(case.decision_due_at - dt.timedelta(hours=3)):
        first, second = interleave(termination_deadline_reminders_send, termination_deadline_reminders_send)
    assert first + second == 1
    assert AuditEvent.objects.filter(object_id=str(case.pk), action="termination.deadline_reminder").count() == 1
    recipients = Notification.objects.filter(kind="deadline.approaching").values_list("recipient_id", flat=True)
    assert sorted(recipients) == sorted({*recipients})  # nobody reminded twice


@pytest.fixture
def no_back_off(monkeypatch: Any) -> None:
    monkeypatch.setattr(SavepointSelectForUpdateLock, "pause", lambda self, attempt: None)


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.usefixtures("no_back_off")
def test_withdrawal_and_approval_at_once_leave_exactly_one_outcome(driver: Any, world: Any, attempt: int) -> None:
    case = bureau_case(driver, world)
    task = driver.open_task(case, F.decide)
    assert driver.claim(world.officer, task).status_code == 302
    decide_url = F.decide.reverse("execute", args=[case.pk, task.pk])
    withdraw_url = F.instance.reverse("withdraw", args=[case.pk])
    officer, clerk = driver.client(world.officer), driver.client(world.clerk)
    barrier = threading.Barrier(2)
    codes: dict[str, int] = {}

    def post(name: str, client: Any, url: str, data: dict) -> None:
        try:
            barrier.wait(timeout=30)
            codes[name] = client.post(url, data).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=post, args=("decide", officer, decide_url, {"decision": "approve", "password": PASSWORD})
        ),
        threading.Thread(target=post, args=("withdraw", clerk, withdraw_url, {"reason": "Changed her mind"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert set(codes.values()) <= {200, 302, 403}, codes  # never a 500
    case = driver.refresh(case)
    approved = Signature.objects.filter(object_id=str(case.pk), meaning="approved").count()
    withdrawn = AuditEvent.objects.filter(object_id=str(case.pk), action="termination.withdraw").count()
    if case.stage == Stage.WITHDRAWN:
        assert (approved, case.certificate_number) == (0, None)
        assert withdrawn == 1 and not Task.objects.filter(process_id=case.pk, flow_task=F.record_procedure).exists()
    else:
        assert case.stage == Stage.APPROVED and case.certificate_number, case.stage
        assert (approved, withdrawn) == (1, 0)
    open_tasks = Task.objects.filter(process_id=case.pk, status__in=["NEW", "ASSIGNED"])
    assert [t.flow_task for t in open_tasks] == ([F.record_procedure] if case.stage == Stage.APPROVED else [])


@pytest.mark.parametrize("existing", [False, True])
def test_the_sequence_row_is_only_ever_read_under_a_row_lock(driver: Any, world: Any, existing: bool) -> None:
    """Both reads, also the one after another approval created the county's row first (a three-way race that
    no two-thread test produces on demand): a number read without the lock can be handed out twice."""
    from django.test.utils import CaptureQueriesContext

    case = bureau_case(driver, world)
    year = timezone.localdate().year
    if existing:
        NumberSequence.objects.create(kind=CERTIFICATE_KIND, county=world.county_a, year=year)
    real_create = NumberSequence.objects.create

    def created_meanwhile(**kwargs: Any) -> Any:
        def other_approval() -> None:  # commits the county's row from its own connection, before ours
            try:
                real_create(**kwargs)
            finally:
                connection.close()

        thread = threading.Thread(target=other_approval)
        thread.start()
        thread.join(timeout=60)
        return real_create(**kwargs)  # ours now fails on the unique constraint, as in production

    with CaptureQueriesContext(connection) as queries:
        if existing:
            certificate_issue(case=case)
        else:
            from unittest import mock

            with mock.patch.object(NumberSequence.objects, "create", created_meanwhile):
                certificate_issue(case=case)
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "numbersequence" in q["sql"]]
    assert len(reads) == (1 if existing else 2)
    assert all(sql.rstrip().endswith("FOR UPDATE") for sql in reads), reads
    assert driver.refresh(case).certificate_number.endswith("000001")


@pytest.mark.usefixtures("no_back_off")
def test_a_decision_while_another_request_holds_the_case_answers_busy_and_signs_nothing(
    driver: Any, world: Any
) -> None:
    """The flow lock, for real: another connection holds the case's row lock, as a request mid-step does."""
    case = bureau_case(driver, world)
    task = driver.open_task(case, F.decide)
    assert driver.claim(world.officer, task).status_code == 302
    url = F.decide.reverse("execute", args=[case.pk, task.pk])
    data = {"decision": "approve", "password": PASSWORD}
    with held_elsewhere(F, case.pk):
        response = driver.client(world.officer).post(url, data, follow=True)
        assert "Someone else is working on this case right now" in response.content.decode()
        assert driver.refresh(case).stage == Stage.BUREAU_REVIEW
        assert not Signature.objects.filter(object_id=str(case.pk), meaning="approved").exists()
    assert driver.client(world.officer).post(url, data).status_code == 302  # once it is free
    assert driver.refresh(case).stage == Stage.APPROVED
