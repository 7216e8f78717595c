"""Who hears about what in any case. Ids, kinds and links only: never patient data."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, get_resolver

from permissions.models import RoleAssignment
from permissions.roles import Role

from ..events import notify
from ..nodes import open_tasks, task_announce, task_candidates, task_url


def case_url(case: Any) -> str:
    """The case's page, or "" where the URLconf has no procedure pages (a bare command)."""
    get_resolver().url_patterns  # noqa: B018 - loads the URLconf in timer and command processes
    try:
        return str(case.flow_class.instance.reverse("process_detail", args=[case.pk]))
    except NoReverseMatch:
        return ""


def notify_task_created(activation: Any) -> None:
    task_announce(task=activation.task)


def notify_submitter(*, case: Any, kind: str) -> None:
    notify(recipients=[case.submitted_by_id], kind=kind, url=case_url(case), obj=case)


def notify_deadline_approaching(*, case: Any, node: Any) -> None:
    """The person holding the decision task at ``node``, or everyone who could take it."""
    task = open_tasks(case).filter(flow_task=node).exclude(status="SCHEDULED").first()
    if task is None:
        return
    recipients = [task.owner_id] if task.owner_id else task_candidates(task)
    notify(recipients=recipients, kind="deadline.approaching", url=task_url(task), obj=case)


def notify_escalation_to_bureau_directors(*, case: Any) -> None:
    """The deadline passed: the bureau directors of the case's county take the decision over."""
    directors = list(
        RoleAssignment.objects.filter(
            role=Role.BUREAU_DIRECTOR, jurisdiction_id=case.county_id, revoked_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    notify(recipients=directors, kind="deadline.passed", url=case_url(case), obj=case)
    notify(recipients=directors, kind="escalation.received", url=case_url(case), obj=case)
