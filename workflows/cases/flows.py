"""What a procedure's flow asks of its case (whose a task is, which way a gateway goes, when a timer fires), and
the handlers its nodes call into the kit's services.

viewflow hands a flow's callables the base ``Process`` (at task creation and in ``can_assign``) or an
activation; these find the procedure's case behind it through the flow's own process class (``Case.of``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this

from permissions.roles import ACT_FOR_BUREAU, DIRECT_BUREAU
from workflows.nodes import SigningView

from .notifications import notify_escalation_to_bureau_directors, notify_task_created
from .services import case_decision_open, case_escalate, case_expire


def case_of(process_or_activation: Any) -> Any:
    """The case behind a viewflow process or activation, as the flow's process class."""
    process = getattr(process_or_activation, "process", process_or_activation)
    return process.flow_class.process_class.of(process)


def case_attribute(name: str) -> Callable[[Any], Any]:
    """A task's ``Permission(obj=...)``: the case's ``name`` (its facility, county, ...); None before it is saved."""

    def read(process: Any) -> Any:
        return getattr(case_of(process), name) if process is not None and process.pk else None

    return read


case_facility = case_attribute("facility")
case_county = case_attribute("county")


def case_decided(decision: str) -> Callable[[Any], bool]:
    """A gateway's condition: the case's last decision was ``decision``."""
    return lambda activation: case_of(activation).last_decision == decision


def case_due(field: str) -> Callable[[Any], datetime]:
    """A timer's due time: the case's ``field``, which the step before the timer is armed has set."""

    def due(activation: Any) -> datetime:
        value = getattr(case_of(activation), field)
        assert value is not None  # set before the timer is armed (the decision clock, the certificate's validity)
        return value

    return due


def bureau_decision_steps(view_class: Any, *, then: Any) -> tuple[Any, Any]:
    """A flow's ``decide`` and ``escalate`` nodes: ``decide, escalate = bureau_decision_steps(...)``.

    A bureau officer of the case's county signs the decision (``view_class``'s form) before the case's
    ``decision_due_at``; when it passes, the step escalates to the county's bureau directors, who sign the same
    decision. Both go on to ``then`` (the flow's gateway on the decision). The handlers are CaseFlowMixin's.
    """
    decide = (
        SigningView(view_class.as_view(), step="bureau_decision", bureau=True, repeatable=True)
        .Annotation(title=_("Bureau decision"))
        .Permission(ACT_FOR_BUREAU, obj=case_county)
        .onCreate(this.on_decision_created)
        .OnTimeout(case_due("decision_due_at"), this.escalate, title=_("Decision deadline"))
        .Next(then)
    )
    escalate = (
        SigningView(view_class.as_view(), step="bureau_decision", bureau=True, repeatable=True)
        .Annotation(title=_("Escalated decision"))
        .Permission(DIRECT_BUREAU, obj=case_county)
        .onCreate(this.on_escalated)
        .Next(then)
    )
    return decide, escalate


# viewflow's administrative task actions (undo a finished step, revive a failed one, cancel an open one) change a
# case outside its procedure's services: no audit event, no signature, no notice, no lock of ours. Only the flow's
# manage permission opens them, which no role holds; Regflow does not serve them at all (CaseFlowMixin._get_urls).
# A case ends by its services: withdrawal, decision, escalation, expiry.
ADMIN_TASK_VIEWS = ("undo_view_class", "revive_view_class", "cancel_view_class")


class CaseFlowMixin:
    """The handlers a case flow's nodes name (``.onCreate(this.on_task_created)``...), written once; a procedure's
    flow lists it before ``flow.Flow``. The audit actions are the procedure's: ``<app_label>.escalate``, ...

    A bureau decision under a deadline: the flow says how many days the bureau has
    (``decision_deadline_days(case)``, from the county's rules); ``on_decision_created`` starts the clock
    when the decision task appears, ``on_escalated`` (the escalation's task, once the timer fired) hands the
    case to the county's bureau directors. ``do_expire`` ends a case whose certificate's validity ran out.
    """

    def _get_urls(self) -> list[Any]:
        """viewflow's URLs for the flow and its nodes, without the administrative task actions (ADMIN_TASK_VIEWS)."""
        for node in self.nodes():  # type: ignore[attr-defined]
            for attribute in ADMIN_TASK_VIEWS:
                setattr(node, attribute, None)
        return super()._get_urls()  # type: ignore[misc, no-any-return]

    def on_task_created(self, activation: Any) -> None:
        notify_task_created(activation)

    def decision_deadline_days(self, case: Any) -> int:
        raise NotImplementedError

    def on_decision_created(self, activation: Any) -> None:
        case = case_of(activation)
        case_decision_open(case=case, due_at=timezone.now() + timedelta(days=self.decision_deadline_days(case)))
        notify_task_created(activation)

    def on_escalated(self, activation: Any) -> None:
        case = case_of(activation)
        action = f"{case._meta.app_label}.escalate"
        case_escalate(case=case, action=action, notify=notify_escalation_to_bureau_directors)
        notify_task_created(activation)

    def do_expire(self, activation: Any) -> None:
        case = case_of(activation)
        case_expire(case=case, action=f"{case._meta.app_label}.expire")
