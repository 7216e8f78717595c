"""Webhooks: a facility's systems hear of status changes of its own records, from the notification outbox.

Every ``workflows.events.notify`` about a record calls ``webhook_events_record`` in the same transaction
(the outbox pattern: the event commits with the change, or not at all), which queues one delivery per live
subscription of the record's facility. The timer dispatcher's sweep (``manage.py run_timers``, the process
that already runs every sweep) sends what is due; nothing is sent from a request thread.

A payload carries ids and statuses only, never personal data. It is signed with HMAC-SHA256 over
``<timestamp>.<body>`` with the subscription's secret: header ``Regflow-Signature: t=<unix time>,v1=<hex>``.
A delivery that fails (no answer, or not a 2xx) is retried with exponential back-off (30 s, 1 min, 2 min,
... capped at 6 h) until WEBHOOK_MAX_ATTEMPTS, then given up; the director's delivery log shows each.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import WebhookDelivery, WebhookSubscription

log = logging.getLogger("regflow.webhooks")

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
# While one sweep sends a delivery, another sweep leaves it alone this long.
LEASE = timedelta(minutes=2)
BATCH = 50
SIGNATURE_HEADER = "Regflow-Signature"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, 4 min ... at most 6 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def payload_of(*, kind: str, obj: Any, event_id: str) -> dict[str, Any]:
    """Ids and statuses only: what changed, which record, its stage now. Never a name or an ID number."""
    return {
        "id": event_id,
        "type": kind,
        "object_type": f"{obj._meta.app_label}.{obj._meta.model_name}",
        "object_id": str(obj.pk),
        "facility": getattr(obj, "facility_id", None),
        "stage": str(getattr(obj, "stage", "") or getattr(obj, "status", "")),
        "occurred_at": timezone.now().isoformat(),
    }


def webhook_events_record(*, kind: str, obj: Any) -> int:
    """Queue the event for every live subscription of the record's facility (inside the caller's transaction)."""
    facility_id = getattr(obj, "facility_id", None)
    if facility_id is None:
        return 0
    subscriptions = list(WebhookSubscription.objects.filter(facility_id=facility_id, revoked_at__isnull=True))
    if not subscriptions:
        return 0
    event_id = uuid.uuid4().hex
    payload = payload_of(kind=kind, obj=obj, event_id=event_id)
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=s, event_id=event_id, payload=payload, next_attempt_at=now)
            for s in subscriptions
        ]
    )
    return len(subscriptions)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _attempt(delivery: WebhookDelivery, now: datetime) -> None:
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Regflow-Webhooks/1",
        "Regflow-Event-Id": delivery.event_id,
        SIGNATURE_HEADER: signature(secret=subscription.secret, timestamp=timestamp, body=body),
    }
    status, error = None, ""
    try:
        status = _post(subscription.url, body, headers)
    except Exception as exc:  # an unreachable receiver is a failed attempt, never a failed sweep
        error = type(exc).__name__
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error[:200]
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, now
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
    )


def webhook_deliveries_send() -> int:
    """A sweep: send every due delivery once. Safe from two dispatchers at once (rows are leased)."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .select_related("subscription")
            .order_by("next_attempt_at", "pk")[:BATCH]
        )
        for delivery in due:
            if delivery.subscription.revoked_at is not None:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.last_error = "subscription removed"
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=now + LEASE)
        WebhookDelivery.objects.bulk_update(
            [d for d in due if d.status == WebhookDelivery.Status.FAILED], ["status", "last_error"]
        )
    sent = 0
    for delivery in due:
        if delivery.status == WebhookDelivery.Status.PENDING:
            _attempt(delivery, now)
            sent += 1
    return sent
