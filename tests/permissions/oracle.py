"""Who may take a task, restated from the rules (domain.md and the issue), independently of the code.

Each procedure's test scene restates its steps as CLAIM_RULES (step name -> StepRule) and may name
ENTERING_ACTIONS (audit actions that make someone an author of the record beyond submit, file and amend);
a procedure added to the registry brings its rules with it, and test_every_human_step_has_a_claim_rule
names a step that has none.

Used by the queue property test and by the authorization matrix. It reads
only data (role assignments, signatures, tasks, the case), never the node
classes' or permissions/access.py's decisions.

- review: the director of the submitting facility;
- give_opinion: an expert on the panel of the case's county (one seat each);
- decide: a bureau officer or bureau director of the case's county;
- escalate: the bureau director of the case's county;
- amend, record_procedure: a clerk or director of the submitting facility;
- four-eyes: nobody who signed another step of the case; nobody twice at a
  one-off step; approval steps never by whoever entered the case; bureau
  steps never by staff of the submitting facility.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from viewflow.workflow.status import STATUS

from audit.models import Signature
from permissions.models import RoleAssignment
from permissions.roles import Role


@dataclass(frozen=True)
class StepRule:
    scope: str  # "facility" (the submitting facility) or "county" (the case's county)
    roles: frozenset[str]
    signing_step: str | None  # None: the step signs nothing
    repeatable: bool = False
    approval: bool = True
    bureau: bool = False


FACILITY_STAFF_ROLES = frozenset({Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR})


def _rules() -> dict[str, tuple[dict[str, StepRule], tuple[str, ...]]]:
    """Each flow's claim rules and entering actions, by the flow class's name (node names repeat across
    procedures with other meanings), from the procedures' test scenes (CLAIM_RULES, ENTERING_ACTIONS)."""
    from tests.procedures import PROCEDURES

    return {p.flow_path.rsplit(".", 1)[1]: (p.claim_rules, p.entering_actions) for p in PROCEDURES}


def entered_by(case: Any) -> set[int]:
    """Whoever submitted or amended the case, read from the audit trail's actions on it."""
    from audit.models import AuditEvent
    from audit.services import object_ref

    object_type, object_id = object_ref(case)
    app = object_type.split(".")[0]
    _steps, entering = _rules()[case.flow_class.__name__]
    actors = AuditEvent.objects.filter(
        object_type=object_type,
        object_id=object_id,
        action__in=[f"{app}.submit", f"{app}.file", f"{app}.amend", *entering],
    ).values_list("actor_id", flat=True)
    return {a for a in actors if a is not None} | ({case.submitted_by_id} if case.submitted_by_id else set())


def may_claim(user: Any, task: Any) -> bool:
    """May ``user`` take ``task`` now, by the rules alone?"""
    if not user.is_active or task.status != STATUS.NEW or task.flow_task_type != "HUMAN":
        return False
    step = _rules()[task.flow_task.flow_class.__name__][0].get(task.flow_task.name)
    if step is None:
        raise AssertionError(f"the oracle has no rule for step {task.flow_task.name}: add one")
    case = task.process.coerced
    live = RoleAssignment.objects.filter(user=user, revoked_at__isnull=True, role__in=step.roles)
    if step.scope == "facility":
        live = live.filter(facility_id=case.facility_id)
    elif step.scope == "checking_centre":
        live = live.filter(facility_id=case.checking_facility_id)
    elif step.scope == "receiving_county":
        live = live.filter(jurisdiction_id=case.target_county_id)
    else:
        live = live.filter(jurisdiction_id=case.county_id)
    if not live.exists():
        return False
    from audit.services import object_ref

    object_type, object_id = object_ref(case)
    signed_steps = set(
        Signature.objects.filter(object_type=object_type, object_id=object_id, signer=user).values_list(
            "step", flat=True
        )
    )
    if step.signing_step is not None:
        if signed_steps - {step.signing_step}:
            return False
        if not step.repeatable and step.signing_step in signed_steps:
            return False
    holds_seat = (
        task.__class__._default_manager.filter(
            process_id=task.process_id,
            flow_task=task.flow_task,
            owner=user,
            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
        )
        .exclude(pk=task.pk)
        .exists()
    )
    if holds_seat:
        return False
    if step.approval and user.pk in entered_by(case):
        return False
    staff_of_facility = RoleAssignment.objects.filter(
        user=user, revoked_at__isnull=True, role__in=FACILITY_STAFF_ROLES, facility_id=case.facility_id
    ).exists()
    return not (step.bureau and staff_of_facility)
