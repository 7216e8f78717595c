"""The kit's decision, decision-clock and withdrawal services, called directly on termination cases.

The flow tests (termination/test_paths.py) go through these services by their pages; these pin what each one
records: the decision and its audit event, the reason rules and their messages, the clock's boundaries, the
reminder sent once, the escalation, and what a withdrawal leaves behind (docs/mutation.md, target `kit`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils import translation
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from audit.models import AuditEvent, Signature
from tests.pg import held_elsewhere
from tests.scenes import fake_request
from tests.workflows.termination.scene import case_review, case_start
from workflows.cases.models import Decision
from workflows.cases.services import (
    DEADLINE_REMINDER_LEAD,
    case_cancel,
    case_deadline_reminders_send,
    case_decide,
    case_decision_open,
    case_escalate,
    case_withdraw,
    decision_reason_check,
    withdrawal_reason_check,
)
from workflows.locks import SavepointSelectForUpdateLock
from workflows.models import Notification
from workflows.services import task_complete
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import Stage, TerminationCase

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def started(world: Any, serial: int = 1) -> TerminationCase:
    return case_start(user=world.clerk, facility=world.hospital_a, pathway="divorced", name="Kit Case", serial=serial)


def at_bureau(world: Any, serial: int = 1) -> TerminationCase:
    case = started(world, serial)
    case_review(case, world.director)
    return TerminationCase.objects.get(pk=case.pk)


def a_request(user: Any, request_id: str = "req-kit-1") -> Any:
    request = fake_request(user)
    request.request_id = request_id
    request.META["REMOTE_ADDR"] = "192.0.2.17"
    return request


def decide(case: TerminationCase, user: Any, decision: str, reason: str = "", **kwargs: Any) -> TerminationCase:
    """The bureau's decision through the kit's case_decide, as termination_decide calls it."""
    request = kwargs.pop("request", None) or a_request(user)
    result: list[TerminationCase] = []
    task_complete(
        process=case,
        node=F.decide,
        user=user,
        request=request,
        perform=lambda activation: result.append(
            case_decide(
                activation=activation,
                user=user,
                decision=decision,
                reason=reason,
                allowed=kwargs.pop("allowed", {Decision.APPROVE, Decision.RETURN, Decision.REJECT}),
                action="termination.decide",
                next_stage=Stage.APPROVED,
                request=request,
                **kwargs,
            )
        ),
    )
    return result[0]


def events(case: TerminationCase, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=str(case.pk), action=action).order_by("sequence"))


def messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


# --- The reason rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", [Decision.RETURN, Decision.REJECT])
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_return_or_rejection_without_a_reason_is_refused_with_the_rule_named(decision: str, reason: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        decision_reason_check(decision, reason)
    assert messages(refused.value) == {"reason": ["A reason is required to return or reject a request."]}


@pytest.mark.parametrize("decision", [Decision.APPROVE, Decision.FORWARD])
def test_approving_or_forwarding_needs_no_reason_and_a_reasoned_decision_with_one_passes(decision: str) -> None:
    decision_reason_check(decision, "")
    decision_reason_check(decision, None)  # type: ignore[arg-type]
    decision_reason_check(Decision.RETURN, " Missing page 2 ")
    decision_reason_check(Decision.REJECT, "Outside the rules")


@pytest.mark.parametrize("reason", ["", "  \n ", None])
def test_a_withdrawal_without_a_reason_is_refused_with_the_rule_named(reason: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        withdrawal_reason_check(reason)
    assert messages(refused.value) == {"reason": ["A reason is required to withdraw a request."]}


def test_a_withdrawal_reason_comes_back_stripped() -> None:
    assert withdrawal_reason_check("  The patient changed her mind \n") == "The patient changed her mind"


# --- The decision ------------------------------------------------------------------------------------


def test_a_decision_not_offered_at_the_step_is_refused_and_nothing_is_signed_or_moved(world: Any) -> None:
    case = at_bureau(world)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        decide(case, world.officer, Decision.FORWARD)
    assert messages(refused.value) == {"decision": ["Choose one of the decisions offered."]}
    case.refresh_from_db()
    assert case.stage == Stage.BUREAU_REVIEW and case.last_decision == Decision.FORWARD
    assert not events(case, "termination.decide")
    assert list(Signature.objects.filter(object_id=str(case.pk)).values_list("meaning", flat=True)) == ["reviewed"]


@pytest.mark.parametrize("decision", [Decision.RETURN, Decision.REJECT])
def test_the_decision_itself_refuses_a_return_or_rejection_without_a_reason(world: Any, decision: str) -> None:
    """Not only the form: a service called without one (the API, a script) is refused before anything is signed."""
    case = at_bureau(world)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        decide(case, world.officer, decision, "  ")
    assert messages(refused.value) == {"reason": ["A reason is required to return or reject a request."]}
    assert TerminationCase.objects.get(pk=case.pk).stage == Stage.BUREAU_REVIEW
    assert not Signature.objects.filter(object_id=str(case.pk), meaning__in=["returned", "rejected"]).exists()


def test_an_approval_is_signed_recorded_audited_with_its_request_and_moves_to_the_next_stage(world: Any) -> None:
    case = at_bureau(world)
    decided = decide(case, world.officer, Decision.APPROVE, "In order", request=a_request(world.officer, "req-42"))
    case.refresh_from_db()
    assert decided.pk == case.pk
    assert (case.stage, case.last_decision, case.last_reason) == (Stage.APPROVED, Decision.APPROVE, "In order")
    assert case.ended_at is None
    signature = Signature.objects.get(object_id=str(case.pk), meaning=Signature.Meaning.APPROVED)
    assert signature.signer_id == world.officer.pk and signature.reason == "In order"
    (event,) = events(case, "termination.decide")
    assert event.actor_id == world.officer.pk and event.reason == "In order"
    assert event.changes == {
        "decision": "approve",
        "stage": [Stage.BUREAU_REVIEW, Stage.APPROVED],
        "signature_id": signature.pk,
    }
    assert (event.request_id, event.client_address) == ("req-42", "192.0.2.17")
    (signed,) = events(case, "signature.approved")
    assert (signed.request_id, signed.client_address, signed.reason) == ("req-42", "192.0.2.17", "In order")
    # The submitter hears of an approval from the certificate, not from the decision.
    assert not Notification.objects.filter(recipient=world.clerk, kind__in=["process.returned", "process.rejected"])
    assert not Task.objects.filter(process_id=case.pk, flow_task=F.decide, status__in=["NEW", "ASSIGNED"]).exists()


def test_a_return_sends_the_case_back_with_its_reason_and_tells_the_submitter(world: Any) -> None:
    case = at_bureau(world)
    decide(case, world.officer, Decision.RETURN, "Page 2 is missing")
    case.refresh_from_db()
    assert (case.stage, case.last_decision, case.last_reason) == (Stage.RETURNED, "return", "Page 2 is missing")
    assert case.ended_at is None
    (event,) = events(case, "termination.decide")
    assert event.changes["stage"] == [Stage.BUREAU_REVIEW, Stage.RETURNED] and event.reason == "Page 2 is missing"
    assert Signature.objects.filter(object_id=str(case.pk), meaning=Signature.Meaning.RETURNED).count() == 1
    kinds = list(
        Notification.objects.filter(recipient=world.clerk, object_id=str(case.pk)).values_list("kind", flat=True)
    )
    assert kinds.count("process.returned") == 1 and "process.rejected" not in kinds


def test_a_rejection_ends_the_case_at_its_rejected_stage_and_tells_the_submitter(world: Any) -> None:
    case = at_bureau(world)
    with time_machine.travel(NOW, tick=False):
        decide(case, world.officer, Decision.REJECT, "Outside the rules")
    case.refresh_from_db()
    assert (case.stage, case.last_decision, case.ended_at) == (Stage.REJECTED, "reject", NOW)
    (event,) = events(case, "termination.decide")
    assert event.changes["stage"] == [Stage.BUREAU_REVIEW, Stage.REJECTED]
    assert Signature.objects.filter(object_id=str(case.pk), meaning=Signature.Meaning.REJECTED).count() == 1
    kinds = list(
        Notification.objects.filter(recipient=world.clerk, object_id=str(case.pk)).values_list("kind", flat=True)
    )
    assert kinds.count("process.rejected") == 1 and "process.returned" not in kinds


def test_a_step_may_sign_a_decision_with_a_meaning_of_its_own(world: Any) -> None:
    case = at_bureau(world)
    decide(case, world.officer, Decision.APPROVE, meanings={Decision.APPROVE: Signature.Meaning.ESCALATED})
    meanings = list(Signature.objects.filter(object_id=str(case.pk)).order_by("pk").values_list("meaning", flat=True))
    assert meanings == ["reviewed", "escalated"]


# --- The decision clock ------------------------------------------------------------------------------


def test_opening_the_clock_sets_the_deadline_rearms_the_reminder_and_moves_to_the_decision_stage(world: Any) -> None:
    case = started(world)
    TerminationCase.objects.filter(pk=case.pk).update(decision_reminded_at=NOW - dt.timedelta(days=1))
    case.refresh_from_db()
    due = NOW + dt.timedelta(days=5)
    returned = case_decision_open(case=case, due_at=due)
    assert returned is case
    case = TerminationCase.objects.get(pk=case.pk)
    assert (case.stage, case.decision_due_at, case.decision_reminded_at) == (Stage.BUREAU_REVIEW, due, None)


def clock(case: TerminationCase, **fields: Any) -> None:
    TerminationCase.objects.filter(pk=case.pk).update(**fields)


class Told:
    """A notify callable that remembers the cases it was given."""

    def __init__(self) -> None:
        self.cases: list[int] = []

    def __call__(self, *, case: Any) -> None:
        assert isinstance(case, TerminationCase)
        self.cases.append(case.pk)


def sweep(notify: Told, **kwargs: Any) -> int:
    return case_deadline_reminders_send(
        model=TerminationCase, action="termination.deadline_reminder", notify=notify, **kwargs
    )


def test_the_reminder_goes_out_once_for_each_clock_due_within_the_lead_and_no_other(world: Any) -> None:
    lead = DEADLINE_REMINDER_LEAD
    assert lead == dt.timedelta(hours=24)
    # The cases not to remind come first (lower ids): a re-read that lost its case's id would take one of them.
    cases = {
        name: at_bureau(world, serial)
        for serial, name in enumerate(
            ["beyond", "due_now", "overdue", "escalated", "reminded", "elsewhere", "at_lead", "inside"], start=1
        )
    }
    clock(cases["at_lead"], decision_due_at=NOW + lead)
    clock(cases["inside"], decision_due_at=NOW + dt.timedelta(minutes=1))
    clock(cases["beyond"], decision_due_at=NOW + lead + dt.timedelta(microseconds=1))
    clock(cases["due_now"], decision_due_at=NOW)
    clock(cases["overdue"], decision_due_at=NOW - dt.timedelta(hours=1))
    clock(cases["escalated"], decision_due_at=NOW + dt.timedelta(hours=1), escalated_at=NOW - dt.timedelta(hours=1))
    clock(
        cases["reminded"], decision_due_at=NOW + dt.timedelta(hours=1), decision_reminded_at=NOW - dt.timedelta(hours=2)
    )
    clock(cases["elsewhere"], decision_due_at=NOW + dt.timedelta(hours=1), stage=Stage.PANEL)
    told = Told()
    with time_machine.travel(NOW, tick=False):
        assert sweep(told) == 2
        assert sweep(told) == 0  # once per clock
    assert sorted(told.cases) == sorted([cases["at_lead"].pk, cases["inside"].pk])
    for name, case in cases.items():
        case.refresh_from_db()
        expected = {"at_lead": NOW, "inside": NOW, "reminded": NOW - dt.timedelta(hours=2)}.get(name)
        assert case.decision_reminded_at == expected, name
        reminders = events(case, "termination.deadline_reminder")
        if name in {"at_lead", "inside"}:
            (event,) = reminders
            assert event.actor_id is None and event.actor_name == ""
            assert event.changes == {"decision_due_at": case.decision_due_at.isoformat(timespec="microseconds")}
        else:
            assert not reminders, name


def test_a_case_already_reminded_is_neither_read_again_nor_locked_by_later_sweeps(
    world: Any, django_assert_num_queries: Any
) -> None:
    """The sweep runs every minute: a case reminded once stays out of its list, so that it is not locked (and a
    decision on it kept waiting) every minute until its deadline."""
    case = at_bureau(world)
    clock(case, decision_due_at=NOW + dt.timedelta(hours=2), decision_reminded_at=NOW - dt.timedelta(hours=1))
    told = Told()
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(1):
        assert sweep(told) == 0
    assert told.cases == []


def test_a_longer_lead_reaches_further_and_counts_every_case_it_reminds(world: Any) -> None:
    first, second = at_bureau(world, 1), at_bureau(world, 2)
    clock(first, decision_due_at=NOW + dt.timedelta(hours=30))
    clock(second, decision_due_at=NOW + dt.timedelta(hours=47))
    told = Told()
    with time_machine.travel(NOW, tick=False):
        assert sweep(told) == 0
        assert sweep(told, lead=dt.timedelta(hours=48)) == 2
    assert sorted(told.cases) == sorted([first.pk, second.pk])


def test_a_case_reminded_between_the_sweeps_read_and_its_lock_is_skipped_not_reminded_again(
    world: Any, monkeypatch: Any
) -> None:
    """The sweep lists the cases near their deadline, then re-reads each under its row lock: a case another
    sweep reminded in between is passed over, and the next one is still reminded."""
    cases = [at_bureau(world, 1), at_bureau(world, 2)]
    for case in cases:
        clock(case, decision_due_at=NOW + dt.timedelta(hours=2))
    listed: list[int] = []
    values_list = QuerySet.values_list

    def listed_then_first_reminded_elsewhere(self: QuerySet, *fields: Any, **kwargs: Any) -> Any:
        rows = values_list(self, *fields, **kwargs)
        if self.model is TerminationCase and not listed:
            listed.extend(row[0] if isinstance(row, tuple) else row for row in rows)  # ids, however listed
            clock(TerminationCase(pk=listed[0]), decision_reminded_at=NOW - dt.timedelta(minutes=1))
        return rows

    monkeypatch.setattr(QuerySet, "values_list", listed_then_first_reminded_elsewhere)
    told = Told()
    with time_machine.travel(NOW, tick=False):
        assert sweep(told) == 1
    assert sorted(listed) == sorted(c.pk for c in cases)
    assert told.cases == [listed[1]]
    assert not AuditEvent.objects.filter(object_id=str(listed[0]), action="termination.deadline_reminder").exists()
    assert TerminationCase.objects.get(pk=listed[1]).decision_reminded_at == NOW


def test_escalation_stamps_the_time_audits_the_clock_and_tells_whom_the_procedure_names(world: Any) -> None:
    case = at_bureau(world)
    due = NOW - dt.timedelta(hours=1)
    clock(case, decision_due_at=due)
    case.refresh_from_db()
    told = Told()
    with time_machine.travel(NOW, tick=False):
        returned = case_escalate(case=case, action="termination.escalate", notify=told)
    assert returned is case and told.cases == [case.pk]
    assert TerminationCase.objects.get(pk=case.pk).escalated_at == NOW
    (event,) = events(case, "termination.escalate")
    assert event.actor_id is None
    assert event.changes == {
        "decision_due_at": due.isoformat(timespec="microseconds"),
        "escalated_at": NOW.isoformat(timespec="microseconds"),
    }


# --- Withdrawal --------------------------------------------------------------------------------------


def open_tasks(case: TerminationCase) -> list[str]:
    return sorted(
        Task.objects.filter(process_id=case.pk)
        .exclude(status__in=["DONE", "CANCELED"])
        .values_list("status", flat=True)
    )


def test_a_withdrawal_cancels_the_open_tasks_keeps_the_finished_ones_and_audits_the_stage(world: Any) -> None:
    case = at_bureau(world)
    done = {t.pk: t.finished for t in Task.objects.filter(process_id=case.pk, status="DONE")}
    assert done and open_tasks(case)
    with time_machine.travel(NOW, tick=False):
        returned = case_withdraw(
            case=case,
            user=world.clerk,
            reason="The patient changed her mind",
            action="termination.withdraw",
            request=a_request(world.clerk, "req-withdraw"),
        )
    assert returned.stage == Stage.WITHDRAWN
    case = TerminationCase.objects.get(pk=case.pk)
    assert (case.stage, case.ended_at, case.status, case.finished) == (Stage.WITHDRAWN, NOW, "CANCELED", NOW)
    assert open_tasks(case) == []
    # What was already done stays done, with its own time.
    assert {t.pk: t.finished for t in Task.objects.filter(process_id=case.pk, status="DONE")} == done
    cancelled = Task.objects.filter(process_id=case.pk, status="CANCELED")
    assert cancelled.exists() and all(t.finished == NOW for t in cancelled)
    (event,) = events(case, "termination.withdraw")
    assert event.actor_id == world.clerk.pk and event.reason == "The patient changed her mind"
    assert event.changes == {"stage": [Stage.BUREAU_REVIEW, Stage.WITHDRAWN]}
    assert (event.request_id, event.client_address) == ("req-withdraw", "192.0.2.17")


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_withdrawal_without_a_reason_changes_nothing(world: Any, reason: str) -> None:
    case = at_bureau(world)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        case_withdraw(case=case, user=world.clerk, reason=reason, action="termination.withdraw")
    assert messages(refused.value) == {"reason": ["A reason is required to withdraw a request."]}
    assert TerminationCase.objects.get(pk=case.pk).stage == Stage.BUREAU_REVIEW and open_tasks(case)


def test_only_a_case_in_a_withdrawable_stage_can_be_withdrawn(world: Any) -> None:
    case = at_bureau(world)
    decide(case, world.officer, Decision.REJECT, "No")
    stale = TerminationCase.objects.get(pk=case.pk)
    stale.stage = Stage.BUREAU_REVIEW  # what a page read before the decision still shows: the lock re-reads
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        case_withdraw(case=stale, user=world.clerk, reason="Late", action="termination.withdraw")
    assert refused.value.messages == ["Only a request the bureau has not decided yet can be withdrawn."]
    assert TerminationCase.objects.get(pk=case.pk).stage == Stage.REJECTED
    assert not events(case, "termination.withdraw")


def test_cancelling_marks_a_task_without_a_cancel_of_its_own_cancelled_too(world: Any) -> None:
    case = at_bureau(world)
    # A task the node's activation cannot cancel (a step already started: viewflow cancels only NEW, ASSIGNED,
    # SCHEDULED) is closed by hand with its time.
    task = Task.objects.get(process_id=case.pk, flow_task=F.decide, status="NEW")
    Task.objects.filter(pk=task.pk).update(status="STARTED")
    # A task viewflow revived (replaced by a new one) is already closed, as a done one is: left as it is.
    revived = Task.objects.get(process_id=case.pk, flow_task=F.review, status="DONE")
    Task.objects.filter(pk=revived.pk).update(status="REVIVED")
    with time_machine.travel(NOW, tick=False):
        case_cancel(case=case, stage=Stage.WITHDRAWN)
    task.refresh_from_db()
    assert (task.status, task.finished) == ("CANCELED", NOW)
    assert Task.objects.values_list("status", "finished").get(pk=revived.pk) == ("REVIVED", revived.finished)
    case = TerminationCase.objects.get(pk=case.pk)
    assert (case.stage, case.status, case.ended_at, case.finished) == (Stage.WITHDRAWN, "CANCELED", NOW, NOW)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_while_another_request_holds_the_case_answers_busy_and_changes_nothing(
    world: Any, monkeypatch: Any
) -> None:
    """The withdrawal takes the flow lock (NOWAIT, retried) before anything else: while a decision holds the case
    it gives up with FlowLockFailed (the page's "busy, try again") instead of queueing behind the decision."""
    monkeypatch.setattr(SavepointSelectForUpdateLock, "pause", lambda self, attempt: None)
    case = at_bureau(world)
    with held_elsewhere(F, case.pk):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a lock that waited instead would fail here, not hang
        try:
            with pytest.raises(FlowLockFailed):
                case_withdraw(case=case, user=world.clerk, reason="Changed her mind", action="termination.withdraw")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    assert TerminationCase.objects.get(pk=case.pk).stage == Stage.BUREAU_REVIEW
    assert not events(case, "termination.withdraw")
    case_withdraw(case=case, user=world.clerk, reason="Changed her mind", action="termination.withdraw")
    assert TerminationCase.objects.get(pk=case.pk).stage == Stage.WITHDRAWN  # once it is free


def test_cancelling_leaves_a_task_cancelled_earlier_with_its_own_end(world: Any) -> None:
    case = at_bureau(world)
    earlier = NOW - dt.timedelta(days=2)
    task = Task.objects.get(process_id=case.pk, flow_task=F.decide, status="NEW")
    Task.objects.filter(pk=task.pk).update(status="CANCELED", finished=earlier)
    with time_machine.travel(NOW, tick=False):
        case_cancel(case=case, stage=Stage.WITHDRAWN)
    assert Task.objects.values_list("status", "finished").get(pk=task.pk) == ("CANCELED", earlier)


def test_escalation_writes_its_stamp_only_not_what_a_stale_copy_of_the_case_holds(world: Any) -> None:
    case = at_bureau(world)
    clock(case, decision_due_at=NOW - dt.timedelta(hours=1))
    stale = TerminationCase.objects.get(pk=case.pk)
    TerminationCase.objects.filter(pk=case.pk).update(flagged_for_inspection=True)  # written since it was read
    with time_machine.travel(NOW, tick=False):
        case_escalate(case=stale, action="termination.escalate", notify=Told())
    assert TerminationCase.objects.values_list("escalated_at", "flagged_for_inspection").get(pk=case.pk) == (
        NOW,
        True,
    )


def test_opening_the_clock_and_cancelling_write_their_own_columns_not_a_stale_copys(world: Any) -> None:
    case = at_bureau(world)
    for service in (
        lambda stale: case_decision_open(case=stale, due_at=NOW + dt.timedelta(days=3)),
        lambda stale: case_cancel(case=stale, stage=Stage.WITHDRAWN),
    ):
        stale = TerminationCase.objects.get(pk=case.pk)
        TerminationCase.objects.filter(pk=case.pk).update(flagged_for_inspection=True)  # written since it was read
        with time_machine.travel(NOW, tick=False):
            service(stale)
        assert TerminationCase.objects.get(pk=case.pk).flagged_for_inspection
        TerminationCase.objects.filter(pk=case.pk).update(flagged_for_inspection=False)
