"""Marking notifications as read; handing a claimed task back (audited, like claiming it).

Marking as read is not audited: a notification is a copy of an event that is itself audited
(the approval, the assignment), and whether its recipient has read the copy
is not a regulated record. Auditing every click would bury the trail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_resolver
from django.utils import timezone
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import STATUS

from audit.services import audit_record

from .events import unread_push_after_commit
from .models import Notification
from .nodes import task_announce


def task_complete(*, process: Any, node: Any, user: Any, perform: Any, request: Any = None) -> None:
    """Claim the node's open task on the process for ``user`` (unless it is theirs already) and complete it
    with ``perform(activation)``, as the node's view would: for demo seeding and test scenes, without HTTP."""
    task = process.task_set.filter(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("pk").first()
    if task is None:
        raise ValueError(f"process {process.pk} has no open {node.name} task")
    with task.activation() as activation:
        if task.owner_id is None:
            activation.assign(user)
        activation.start(request)
        perform(activation)


@transaction.atomic
def notification_mark_read(*, user: Any, notification: Notification) -> None:
    """Mark one of the user's notifications as read; tell the user's other tabs."""
    if notification.recipient_id != user.pk:
        raise ValueError("a notification can only be marked read by its recipient")
    updated = Notification.objects.filter(pk=notification.pk).unread().update(read_at=timezone.now())
    if updated:
        unread_push_after_commit(user_ids=[user.pk])


@transaction.atomic
def notification_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user as read. Returns how many changed."""
    updated = Notification.objects.filter(recipient_id=user.pk).unread().update(read_at=timezone.now())
    if updated:
        unread_push_after_commit(user_ids=[user.pk])
    return updated


@transaction.atomic
def notifications_of_closed_tasks_mark_read(*, process: Any) -> int:
    """A notification that leads to a task loses its point once the task is done or cancelled: mark it read.

    Task notifications link to the task's own page (nodes.task_url); those of a
    process whose task is closed are marked read for every recipient, whose
    other tabs then hear the new unread count. Returns how many changed.
    """
    from .nodes import task_url

    get_resolver().url_patterns  # noqa: B018 - timer and command processes build task links too
    closed = process.task_set.filter(status__in=[STATUS.DONE, STATUS.CANCELED], flow_task_type="HUMAN")
    urls = set()
    for task in closed:
        try:
            urls.add(task_url(task))
        except NoReverseMatch:  # a node without pages of its own
            continue
    if not urls:
        return 0
    rows = Notification.objects.filter(object_id=str(process.pk), url__in=urls).unread()
    recipients = set(rows.values_list("recipient_id", flat=True))
    updated = rows.update(read_at=timezone.now())
    unread_push_after_commit(user_ids=recipients)
    return updated


@receiver(task_finished, dispatch_uid="workflows.mark_read_when_task_finished")
def _mark_read_when_task_finished(sender: Any, process: Any, task: Any, **kwargs: Any) -> None:
    # viewflow sends this inside the flow's transaction: the marks commit with the step, or not at all.
    if task.flow_task_type == "HUMAN":
        notifications_of_closed_tasks_mark_read(process=process)


@transaction.atomic
def task_release(*, activation: Any, user: Any, request: Any = None) -> None:
    """Hand a claimed task back to the queue; whoever could take it hears it is there again.

    The caller holds the flow lock (a task view's POST, or ``task.activation()``).
    Only the holder releases, and only before finishing it; viewflow's own
    transition check refuses anything else.
    """
    task = activation.task
    if task.owner_id != user.pk:
        raise PermissionDenied
    activation.unassign()
    audit_record(
        actor=user,
        action="task.release",
        obj=task.process.coerced,
        changes={"task": task.pk, "step": task.flow_task.name},
        request=request,
    )
    task_announce(task=task)
