"""Marking notifications as read.

Not audited: a notification is a copy of an event that is itself audited
(the approval, the assignment), and whether its recipient has read the copy
is not a regulated record. Auditing every click would bury the trail.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from .events import unread_push_after_commit
from .models import Notification


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
