"""Marking notifications as read; handing a claimed task back (audited, like claiming it).

Marking as read is not audited: a notification is a copy of an event that is itself audited
(the approval, the assignment), and whether its recipient has read the copy
is not a regulated record. Auditing every click would bury the trail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record

from .events import unread_push_after_commit
from .models import Notification
from .nodes import task_announce


@transaction.atomic
def notification_mark_read(*, user: Any, notification: Notification) -> None:
    """Mark one of the user's notifications as read; tell the user's other tabs."""
    if notification.recipient_id != user.pk:
        raise ValueError("a notification can only be marked read by its recipient")
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    if updated:
        unread_push_after_commit(user_id=user.pk)


@transaction.atomic
def notification_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user as read. Returns how many changed."""
    updated = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
    if updated:
        unread_push_after_commit(user_id=user.pk)
    return updated


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
