"""Hand events to the channel layer, only after the transaction commits.

Services call ``notify``; nothing else writes notifications or talks to the
channel layer. The outbox row is the durable record: the push is a best-effort
nudge, and clients replay from the outbox when they reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import models, transaction

from .models import Notification

log = logging.getLogger("regflow.events")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notification_message(notification: Notification) -> dict[str, Any]:
    """The wire format. Ids, kinds and links only."""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "url": notification.url,
        "object_type": notification.object_type,
        "object_id": notification.object_id,
        "created_at": notification.created_at.isoformat(),
    }


def push_after_commit(notifications: list[Notification]) -> None:
    def push() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for notification in notifications:
            try:
                async_to_sync(layer.group_send)(
                    user_group(notification.recipient_id),
                    {"type": "notification.push", "notification": notification_message(notification)},
                )
            except Exception:  # Redis down or over capacity: the outbox row stays for replay
                log.exception("push failed for notification %s; the client will replay it", notification.pk)

    transaction.on_commit(push)


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    url: str = "",
    obj: models.Model | None = None,
) -> list[Notification]:
    """Write one outbox row per recipient and push them after commit."""
    object_type, object_id = "", ""
    if obj is not None:
        object_type, object_id = f"{obj._meta.app_label}.{obj._meta.model_name}", str(obj.pk)
    seen: set[int] = set()
    rows = []
    for user in recipients:
        user_id = getattr(user, "pk", user)
        if user_id in seen:
            continue
        seen.add(user_id)
        rows.append(
            Notification(recipient_id=user_id, kind=kind, url=url, object_type=object_type, object_id=object_id)
        )
    created = Notification.objects.bulk_create(rows)  # ids come back on PostgreSQL and SQLite alike
    push_after_commit(created)
    return created
