"""Who hears about what in a termination case. Ids, kinds and links only: never patient data."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, get_resolver

from permissions.models import RoleAssignment
from permissions.roles import Role
from workflows.events import notify
from workflows.nodes import open_tasks, task_announce, task_candidates, task_url

from .models import TerminationCase


def case_url(case: TerminationCase) -> str:
    from .flows import TerminationFlow

    get_resolver().url_patterns  # noqa: B018 - loads the URLconf in timer and command processes
    try:
        return str(TerminationFlow.instance.reverse("process_detail", args=[case.pk]))
    except NoReverseMatch:
        return ""


def bureau_directors(case: TerminationCase) -> list[Any]:
    ids = (
        RoleAssignment.objects.active()
        .filter(role=Role.BUREAU_DIRECTOR, jurisdiction_id=case.county_id)
        .values_list("user_id", flat=True)
    )
    return list(ids)


def notify_task_created(activation: Any) -> None:
    task_announce(task=activation.task)


def notify_submitter(*, case: TerminationCase, kind: str) -> None:
    notify(recipients=[case.submitted_by_id], kind=kind, url=case_url(case), obj=case)


def notify_deadline_approaching(*, case: TerminationCase) -> None:
    """The officer holding the decision, or every officer who could take it."""
    from .flows import TerminationFlow

    task = open_tasks(case).filter(flow_task=TerminationFlow.decide).exclude(status="SCHEDULED").first()
    if task is None:
        return
    recipients = [task.owner_id] if task.owner_id else task_candidates(task)
    notify(recipients=recipients, kind="deadline.approaching", url=task_url(task), obj=case)


def notify_escalation(*, case: TerminationCase) -> None:
    directors = bureau_directors(case)
    notify(recipients=directors, kind="deadline.passed", url=case_url(case), obj=case)
    notify(recipients=directors, kind="escalation.received", url=case_url(case), obj=case)
