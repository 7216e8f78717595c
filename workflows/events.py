"""Hand events to the channel layer, only after the transaction commits.

Services call ``notify``; nothing else writes notifications or talks to the
channel layer. The outbox row is the durable record: the push is a best-effort
nudge (the channel layer drops messages when Redis is down, over capacity or
after its expiry), and clients replay from the outbox when they reconnect.
No request waits for Redis: after commit, pushes go on a bounded queue that a
background thread drains with a short timeout per send (PushQueue below), and
a failing Redis is logged once per outage, not with a traceback per push.

Ordering: a client that saw id 10 must never miss 9, so one user's ids must
grow in commit order. ``notify`` therefore takes the audit chain lock (the one
lock every audited transaction already holds until commit) and then the
recipients' NotificationCursor rows. Sharing the audit lock, rather than
adding a second global lock, means a service may call ``notify`` before or
after ``audit_record`` without the two locks ever being taken in opposite
orders. Each push carries ``prev``, the id of that user's previous
notification; a consumer that last sent something older knows a push was lost
and reads the gap from the outbox.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import queue
import re
import threading
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from audit.services import audit_chain_lock
from permissions.signals import access_changed

from .models import Notification, NotificationCursor
from .outages import Outage

log = logging.getLogger("regflow.events")

# One human label per kind. The message on the wire carries only the kind; the
# page, the script and the e-mail copy turn it into words in the reader's language.
KIND_LABELS: dict[str, Any] = {
    "task.available": _("New task in your queue"),
    "task.assigned": _("A task was assigned to you"),
    "task.taken": _("A task you could take was taken by a colleague"),
    "process.returned": _("Your request was returned for changes"),
    "process.approved": _("Your request was approved"),
    "process.rejected": _("Your request was rejected"),
    "process.expired": _("Your request expired"),
    "deadline.approaching": _("A deadline is approaching"),
    "deadline.passed": _("A deadline has passed"),
    "escalation.received": _("An escalation reached you"),
}
DEFAULT_LABEL = _("New notification")
KIND_ICONS: dict[str, str] = {
    "task.available": "inbox",
    "task.assigned": "assignment_ind",
    "task.taken": "group",
    "process.returned": "undo",
    "process.approved": "check_circle",
    "process.rejected": "cancel",
    "process.expired": "timer_off",
    "deadline.approaching": "schedule",
    "deadline.passed": "alarm",
    "escalation.received": "priority_high",
}
KIND_PATTERN = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")

# Concurrent group_send calls per commit. redis-py refuses (MaxConnectionsError, at
# once) rather than waits when its connection pool is exhausted, so stay well below it.
PUSH_CONCURRENCY = 16
# A push that Redis has not taken within this long is given up (the outbox keeps the row).
PUSH_SEND_TIMEOUT = 2.0
# Batches of pushes waiting for the push thread; past this, new pushes are dropped (and counted).
PUSH_QUEUE_SIZE = 10_000
# How long a process that exits waits for its queued pushes (a management command, say).
PUSH_FLUSH_AT_EXIT = 5.0

# Close codes the consumer uses and the script understands (4000-4999 are ours).
CLOSE_LOGGED_OUT = 4001
CLOSE_ACCESS_CHANGED = 4003


def kind_label(kind: str) -> Any:
    return KIND_LABELS.get(kind, DEFAULT_LABEL)


def subject_template(object_type: str) -> str:
    """How a notification names its record, with ``%(id)s`` for the number: "Termination case #%(id)s".

    The record's model name and number only (never anything from its fields), and no query:
    the model comes from the app registry.
    """
    from django.apps import apps
    from django.utils.text import capfirst

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return ""
    return _("%(record)s #%(id)s") % {"record": capfirst(model._meta.verbose_name), "id": "%(id)s"}


def subject_label(object_type: str, object_id: str) -> str:
    """ "Termination case #12", or "" when the notification names no record."""
    template = subject_template(object_type) if object_type and object_id else ""
    return template.replace("%(id)s", object_id) if template else ""


def subject_templates() -> dict[str, str]:
    """The naming template of every process model, for the live script's toasts."""
    from django.apps import apps
    from viewflow.workflow.models import Process

    return {
        f"{model._meta.app_label}.{model._meta.model_name}": subject_template(model._meta.label_lower)
        for model in apps.get_models()
        if issubclass(model, Process) and model is not Process
    }


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


push_outage = Outage(logger=log, what="channel layer (pushes)")


async def _group_send_all(layer: Any, messages: list[tuple[int, dict[str, Any]]]) -> list[bool]:
    """Send every message concurrently; one that fails at once is tried once more.

    One round of concurrent Redis calls per commit, however many recipients: a task
    announced to 500 officers costs one round, not 500 sequential ones. The retry is
    for a Redis restart, after which the first command on each pooled connection
    fails; a send that times out (a hung Redis) is not retried. Failures are logged
    once per outage (push_outage), not with a traceback per push: the rows stay in
    the outbox and clients replay them.
    """

    limit = asyncio.Semaphore(PUSH_CONCURRENCY)

    async def send(user_id: int, message: dict[str, Any]) -> bool:
        async with limit:
            for attempt in (1, 2):
                try:
                    await asyncio.wait_for(layer.group_send(user_group(user_id), message), PUSH_SEND_TIMEOUT)
                except TimeoutError as exc:
                    push_outage.failed(exc)
                    return False
                except Exception as exc:  # Redis down: never fail the caller, whose transaction has committed
                    if attempt == 2:
                        push_outage.failed(exc)
                else:
                    push_outage.succeeded()
                    return True
            return False

    return list(await asyncio.gather(*(send(user_id, message) for user_id, message in messages)))


class PushQueue:
    """Hands pushes to one background thread, so that no request waits for Redis.

    A request (after its commit) only puts a batch on a bounded queue; the
    thread sends it on an event loop of its own. When Redis hangs the queue fills
    and further pushes are dropped with one log line and a count: delivery does
    not depend on them, the outbox and the clients' replay guarantee it.
    """

    def __init__(self, *, maxsize: int) -> None:
        self.maxsize = maxsize
        self._queue: queue.Queue[tuple[Any, list[tuple[int, dict[str, Any]]]]] = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.dropped = 0
        self._overflowing = False

    def put(self, layer: Any, messages: list[tuple[int, dict[str, Any]]]) -> bool:
        self._start()
        try:
            self._queue.put_nowait((layer, messages))
        except queue.Full:
            with self._lock:
                self.dropped += len(messages)
                first = not self._overflowing
                self._overflowing = True
            if first:
                log.error("push queue full: dropping pushes until it drains; clients replay them from the outbox")
            return False
        return True

    def flush(self, timeout: float) -> bool:
        """Wait until every queued push was sent or given up; whether that happened in time."""
        with self._queue.all_tasks_done:
            return self._queue.all_tasks_done.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="regflow-push", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            layer, messages = self._queue.get()
            try:
                loop.run_until_complete(_group_send_all(layer, messages))
            except Exception:  # never let the thread die: the next batch may succeed
                log.exception("push thread: a batch failed")
            finally:
                self._queue.task_done()
            if self._overflowing and self._queue.qsize() < self.maxsize // 2:
                with self._lock:
                    dropped, self.dropped, self._overflowing = self.dropped, 0, False
                log.warning("push queue drained; %d push(es) were dropped meanwhile", dropped)


pushes = PushQueue(maxsize=PUSH_QUEUE_SIZE)
atexit.register(pushes.flush, PUSH_FLUSH_AT_EXIT)


def _group_send(messages: list[tuple[int, dict[str, Any]]]) -> None:
    """Hand messages to the channel layer without waiting for it.

    The in-memory layer (one process, the embedded set-up) cannot hang and its
    queues belong to the server's event loop, so it is sent to at once; a layer
    that talks to a server goes through the push thread.
    """
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(_group_send_all)(layer, messages)
    else:
        pushes.put(layer, messages)


def push_after_commit(notifications: list[Notification], previous: dict[int, int]) -> None:
    """Push each row to its recipient's group once the transaction commits.

    ``previous`` maps each row id to the recipient's notification id before it.
    A failed push is logged (once per outage) and otherwise ignored: the row stays for replay.
    """

    def push() -> None:
        messages = [
            (
                notification.recipient_id,
                {
                    "type": "notification.push",
                    "notification": notification_message(notification),
                    "prev": previous[notification.pk],
                },
            )
            for notification in notifications
        ]
        _group_send(messages)
        if settings.NOTIFICATION_EMAILS:
            notification_emails_send(notifications=notifications)

    transaction.on_commit(push)


# Listeners that hear of every event written to the outbox, in the same transaction (the api app's webhooks):
# listener(kind=..., obj=...) with the record the event is about. Registered from above.
_OUTBOX_LISTENERS: list[Any] = []


def register_outbox_listener(listener: Any) -> None:
    if listener not in _OUTBOX_LISTENERS:
        _OUTBOX_LISTENERS.append(listener)


@transaction.atomic
def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    url: str = "",
    obj: models.Model | None = None,
) -> list[Notification]:
    """Write one outbox row per active recipient and push them after commit.

    ``recipients`` are users or user ids, computed by the caller from the
    task's permission and jurisdiction. ``url`` must be a path on this site.
    """
    if not KIND_PATTERN.match(kind):
        raise ValueError(f"notification kind must look like 'entity.event', got {kind!r}")
    if url and (not url.startswith("/") or url.startswith("//")):
        raise ValueError(f"notification links must be paths on this site, got {url!r}")
    object_type, object_id = "", ""
    if obj is not None:
        object_type, object_id = f"{obj._meta.app_label}.{obj._meta.model_name}", str(obj.pk)
        for listener in _OUTBOX_LISTENERS:  # whoever the recipients are: the record's status changed
            listener(kind=kind, obj=obj)
    wanted = {int(getattr(user, "pk", user)) for user in recipients}
    if not wanted:
        return []
    people = get_user_model().objects.filter(pk__in=wanted, is_active=True).exclude(profile__is_service_account=True)
    user_ids = sorted(people.values_list("pk", flat=True))
    if not user_ids:
        return []
    audit_chain_lock()  # see the module docstring: commit order, and no lock-order inversion with audit_record
    NotificationCursor.objects.bulk_create(
        [NotificationCursor(user_id=user_id) for user_id in user_ids], ignore_conflicts=True
    )
    cursors = list(NotificationCursor.objects.select_for_update().filter(user_id__in=user_ids).order_by("user_id"))
    rows = [
        Notification(recipient_id=user_id, kind=kind, url=url, object_type=object_type, object_id=object_id)
        for user_id in user_ids
    ]
    created = Notification.objects.bulk_create(rows)  # ids come back on PostgreSQL and SQLite alike
    by_user = {notification.recipient_id: notification for notification in created}
    previous: dict[int, int] = {}
    for cursor in cursors:
        notification = by_user[cursor.user_id]
        previous[notification.pk] = cursor.last_id
        cursor.last_id = notification.pk
    NotificationCursor.objects.bulk_update(cursors, ["last_id"])
    push_after_commit(created, previous)
    return created


def unread_count(user_id: int) -> int:
    """The number on the bell: the toolbar, the notification list and the socket all read it here."""
    return Notification.objects.filter(recipient_id=user_id).unread().count()


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """``unread_count`` of several users, in one query (0 for a user with nothing unread)."""
    ids = sorted(set(user_ids))
    unread = Notification.objects.filter(recipient_id__in=ids).unread().order_by().values("recipient_id")
    found = dict(unread.annotate(n=models.Count("pk")).values_list("recipient_id", "n"))
    return {user_id: found.get(user_id, 0) for user_id in ids}


def unread_push_after_commit(*, user_ids: Iterable[int]) -> None:
    """Tell the users' other tabs their unread count changed (marking as read in one tab; a closed task's
    notifications marked read for every officer told of it): after the commit, one query and one send for all."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def push() -> None:
        counts = unread_counts(ids)
        _group_send([(user_id, {"type": "unread.push", "unread": n}) for user_id, n in counts.items()])

    transaction.on_commit(push)


def sockets_close(*, user_id: int, code: int) -> None:
    """Make every open websocket of this user close.

    Clients whose session is still valid reconnect at once, authenticate
    afresh and replay; the others are refused. If Redis is down the message is
    lost, but then so are the pushes, and each consumer re-checks its session
    on its own (see consumers.REVALIDATE_SECONDS).
    """
    _group_send([(user_id, {"type": "sockets.close", "code": code})])


@receiver(user_logged_out, dispatch_uid="workflows.close_sockets_on_logout")
def _close_sockets_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        sockets_close(user_id=user.pk, code=CLOSE_LOGGED_OUT)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="workflows.close_sockets_on_deactivation")
def _close_sockets_on_deactivation(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        user_id = instance.pk
        transaction.on_commit(lambda: sockets_close(user_id=user_id, code=CLOSE_ACCESS_CHANGED))


@receiver(access_changed, dispatch_uid="workflows.close_sockets_on_access_change")
def _close_sockets_on_access_change(sender: Any, user_id: int, **kwargs: Any) -> None:
    sockets_close(user_id=user_id, code=CLOSE_ACCESS_CHANGED)


# --- E-mail copies -----------------------------------------------------------

EMAIL_LANGUAGES = ("en", "zh-hans")


def _absolute(url: str) -> str:
    # The first trusted origin is the site's public address in production (see .env.example).
    origins = settings.CSRF_TRUSTED_ORIGINS
    return f"{origins[0].rstrip('/')}{url}" if origins and url else url


def notification_email_render(*, notification: Notification) -> tuple[str, str]:
    """Subject and body, in every interface language, with no personal data: a label and a link."""
    labels, paragraphs = [], []
    link = _absolute(notification.url)
    for language in EMAIL_LANGUAGES:
        with translation.override(language):
            label = str(kind_label(notification.kind))
            subject = subject_label(notification.object_type, notification.object_id)
            label = f"{label} · {subject}" if subject else label
            labels.append(label)
            lines = [label]
            if link:
                lines.append(link)
            lines.append(str(_("Sign in to Regflow to see the details. This message contains no personal data.")))
            paragraphs.append("\n".join(lines))
    return f"[{settings.SITE_NAME}] " + " / ".join(labels), "\n\n".join(paragraphs) + "\n"


def notification_emails_send(*, notifications: list[Notification]) -> None:
    """Send the optional e-mail copies. Runs after commit; a failure is logged, never raised."""
    addresses = dict(
        get_user_model()
        .objects.filter(pk__in={n.recipient_id for n in notifications}, is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
    )
    messages = []
    for notification in notifications:
        address = addresses.get(notification.recipient_id)
        if address:
            subject, body = notification_email_render(notification=notification)
            messages.append(EmailMessage(subject=subject, body=body, to=[address]))
    if not messages:
        return
    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except Exception:
        log.exception("e-mail copies of %d notification(s) failed", len(messages))
