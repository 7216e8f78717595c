"""Who hears about what in an ultrasound case. Ids, kinds and links only: never an operator's name."""

from __future__ import annotations

from typing import Any

from permissions.models import RoleAssignment
from permissions.roles import Role
from workflows.cases.notifications import case_url
from workflows.events import notify
from workflows.nodes import task_url

from .models import UltrasoundCase


def bureau_directors(county_id: int) -> list[int]:
    return list(
        RoleAssignment.objects.filter(
            role=Role.BUREAU_DIRECTOR, jurisdiction_id=county_id, revoked_at__isnull=True
        ).values_list("user_id", flat=True)
    )


def notify_assignee(activation: Any) -> None:
    """A task given to one person (the supervisor sent to check): only they hear of it, the facility does not."""
    task = activation.task
    if task.owner_id:
        notify(recipients=[task.owner_id], kind="task.assigned", url=task_url(task), obj=task.process)


def notify_renewal_overdue(*, case: UltrasoundCase) -> None:
    notify(recipients=bureau_directors(case.county_id), kind="escalation.received", url=case_url(case), obj=case)
