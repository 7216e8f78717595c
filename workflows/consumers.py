"""The notification socket: authenticate, join the user's group, replay, forward.

Consumers only push. They never change state, and they read only the
connected user's own outbox rows, so isolation between users does not depend
on the channel layer routing correctly.

The socket at /ws/notifications/?last_id=N replays every notification of the
user with an id above N, in id order, then sends ``ready`` and forwards live
pushes. Without ``last_id`` it replays nothing (a freshly loaded page already
shows the current state). Messages to the client:

- ``{"type": "notification", "id", "kind", "url", "object_type", "object_id", "created_at", "replayed"}``
- ``{"type": "ready", "last_id", "unread", "replayed"}`` once, after the replay
- ``{"type": "unread", "unread"}`` when the unread count changed elsewhere

Redis down or hung: the handshake never waits for it. The socket is accepted
first and joins its group with a short timeout; if that fails it replays from
the outbox as usual, stays open, reads the outbox every OFFLINE_SWEEP_SECONDS
and tries to join again each time, and joins live delivery when Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db.models import Max
from django.utils.crypto import constant_time_compare

from core.sessions import SESSION_STARTED_KEY

from .events import CLOSE_LOGGED_OUT, notification_message, unread_count, user_group
from .models import Notification
from .outages import Outage

log = logging.getLogger("regflow.consumers")

# A socket re-checks its session (still there, same user, same password, user
# active, within the absolute lifetime) before forwarding a push, at most this
# often. Logout, deactivation and role changes close sockets at once through a
# group message; this check is the backstop for idle expiry and lost messages.
REVALIDATE_SECONDS = 30.0
# Every minute or so (jittered, so that sockets opened together do not sweep together) a
# socket re-checks its session and looks for outbox rows it has not sent: a push the layer
# dropped is otherwise noticed only when the user's next push arrives.
SWEEP_SECONDS = 60.0
# While the channel layer is unreachable, a socket reads its outbox (and tries to join again) this often.
OFFLINE_SWEEP_SECONDS = 10.0
REPLAY_BATCH = 500
LAYER_RETRY_SECONDS = 5.0
# A group_add or group_discard that Redis has not answered within this long is given up.
LAYER_TIMEOUT_SECONDS = 0.5
# One log line per outage for all the sockets of this process, not one per socket.
layer_outage = Outage(logger=log, what="channel layer (sockets)")


def session_still_valid(*, user_id: int, session_key: str | None) -> bool:
    """Whether the session the socket authenticated with would still authenticate an HTTP request."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    data = store.load()  # {} once the session was flushed (logout) or expired
    if (
        str(data.get(SESSION_KEY)) != str(user_id)
        or data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS
    ):
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return False
    started = data.get(SESSION_STARTED_KEY)
    return started is None or time.time() - float(started) <= settings.SESSION_ABSOLUTE_SECONDS


def last_notification_id(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id).aggregate(last=Max("id"))["last"] or 0


def notifications_after(*, user_id: int, after: int, upto: int | None = None, limit: int = REPLAY_BATCH) -> list[dict]:
    rows = Notification.objects.filter(recipient_id=user_id, id__gt=after).order_by("id")
    if upto is not None:
        rows = rows.filter(id__lte=upto)
    return [notification_message(row) for row in rows[:limit]]


def parse_last_id(query_string: bytes) -> int | None:
    values = parse_qs(query_string.decode("latin-1")).get("last_id", [])
    try:
        value = int(values[0])
    except (IndexError, ValueError):
        return None
    return value if value >= 0 else None


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    user_id: int
    last_sent: int = 0
    checked_at: float = 0.0
    accepted = False
    joined = False  # in the user's group (to leave on disconnect)
    live = False  # and the channel layer still answers
    closing = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """AsyncConsumer.__call__ with a channel-layer receive that survives Redis being down.

        channels-redis raises from receive() when Redis is unreachable, which
        would kill the consumer before it could replay. Here the failure becomes
        a ``layer.failed`` message: the socket replays from the outbox, then
        closes with "retry later" so the client comes back with its last id.
        """
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        self.channel_name = await self.channel_layer.new_channel()
        layer_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        failures = 0

        async def channel_receive() -> dict[str, Any]:
            nonlocal failures
            if failures:
                await asyncio.sleep(LAYER_RETRY_SECONDS)
            for attempt in (1, 2):  # twice, as in connect()
                try:
                    message = await layer_receive()
                except Exception as exc:
                    if attempt == 2:
                        failures += 1
                        return {"type": "layer.failed", "error": repr(exc)}
                else:
                    failures = 0
                    return message
            raise AssertionError("unreachable")

        async def sweep_tick() -> dict[str, Any]:
            # Re-read self.live while waiting: a socket that loses the layer sweeps sooner.
            started, jitter = time.monotonic(), random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not secrecy
            while True:
                every = (SWEEP_SECONDS if self.live else OFFLINE_SWEEP_SECONDS) * jitter
                remaining = started + every - time.monotonic()
                if remaining <= 0:
                    return {"type": "outbox.sweep"}
                await asyncio.sleep(min(remaining, min(SWEEP_SECONDS, OFFLINE_SWEEP_SECONDS) * jitter))

        with contextlib.suppress(StopConsumer):
            await await_many_dispatch([receive, channel_receive, sweep_tick], self.dispatch)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """AsyncConsumer.dispatch without its close_old_connections() thread hop per message.

        That hop runs in the one thread all consumers share for database work, so
        a push to 500 sockets queued 500 hops behind each other. Every query here
        goes through database_sync_to_async, which closes old connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()  # before accept: the handshake is refused with 403
            return
        self.user_id = user.pk
        self.session_key = self.scope["session"].session_key
        self.checked_at = time.monotonic()
        await self.accept()  # before anything that talks to Redis: a hung Redis never holds the handshake
        self.accepted = True
        await self._join()  # before the replay, so that nothing committed meanwhile falls between the two
        requested = parse_last_id(self.scope.get("query_string", b""))
        newest = await database_sync_to_async(last_notification_id)(user_id=self.user_id)
        self.last_sent = newest if requested is None else min(requested, newest)
        replayed = 0
        while True:
            batch = await database_sync_to_async(notifications_after)(user_id=self.user_id, after=self.last_sent)
            for message in batch:
                await self._forward(message, replayed=True)
            replayed += len(batch)
            if len(batch) < REPLAY_BATCH:
                break
        unread = await database_sync_to_async(unread_count)(self.user_id)
        await self.send_json({"type": "ready", "last_id": self.last_sent, "unread": unread, "replayed": replayed})

    async def _join(self) -> bool:
        """Join the user's group, twice at most (after a Redis restart the first command on a pooled
        connection fails), each within LAYER_TIMEOUT_SECONDS. Whether the socket is live."""
        for attempt in (1, 2):
            try:
                await asyncio.wait_for(
                    self.channel_layer.group_add(user_group(self.user_id), self.channel_name), LAYER_TIMEOUT_SECONDS
                )
            except TimeoutError:
                break  # hung: a second try would only wait as long again
            except Exception:
                if attempt == 2:
                    break
            else:
                self.joined = self.live = True
                layer_outage.succeeded()
                return True
        layer_outage.failed(ConnectionError("the channel layer did not take a group_add"))
        self.live = False
        return False

    async def disconnect(self, code: int) -> None:
        if self.joined:
            try:
                await asyncio.wait_for(
                    self.channel_layer.group_discard(user_group(self.user_id), self.channel_name),
                    LAYER_TIMEOUT_SECONDS,
                )
            except Exception:
                log.warning("could not leave group of user %s; channels-redis expires it", self.user_id)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # The base class leaves self.groups; we joined ours by hand.
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The client has nothing to say: its cursor travels in the URL."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Ignore whatever the client sends; a consumer never acts on it."""

    # --- Channel layer messages -------------------------------------------------

    async def notification_push(self, event: dict[str, Any]) -> None:
        if not self.accepted or self.closing:
            return
        message = event["notification"]
        if message["id"] <= self.last_sent:
            return  # already replayed, or a duplicate delivery
        if not await self._still_valid():
            return
        if event.get("prev", 0) <= self.last_sent:
            batch = [message]
        else:
            # A push between the last one we sent and this one was lost: read the gap from the outbox.
            batch = await database_sync_to_async(notifications_after)(
                user_id=self.user_id, after=self.last_sent, upto=message["id"], limit=10_000
            )
            if not batch or batch[-1]["id"] != message["id"]:
                batch.append(message)
        for item in batch:
            await self._forward(item, replayed=False)

    async def outbox_sweep(self, event: dict[str, Any]) -> None:
        if not self.accepted or self.closing:
            return
        self.checked_at = 0.0  # a full session check on every sweep
        if not await self._still_valid():
            return
        if not self.live:
            await self._join()  # before reading the outbox, as in connect()
        newest = await database_sync_to_async(last_notification_id)(user_id=self.user_id)
        if newest > self.last_sent:
            batch = await database_sync_to_async(notifications_after)(
                user_id=self.user_id, after=self.last_sent, upto=newest, limit=10_000
            )
            for item in batch:
                await self._forward(item, replayed=False)

    async def unread_push(self, event: dict[str, Any]) -> None:
        if self.accepted and not self.closing and await self._still_valid():
            await self.send_json({"type": "unread", "unread": event["unread"]})

    async def sockets_close(self, event: dict[str, Any]) -> None:
        await self._close(event.get("code", 1000))

    async def layer_failed(self, event: dict[str, Any]) -> None:
        """Redis went away under an open socket: keep it open, reading the outbox, until it is back."""
        if self.live:
            layer_outage.failed(ConnectionError(event.get("error", "receive failed")))
            self.live = False

    # --- Helpers -------------------------------------------------------------------

    async def _forward(self, message: dict[str, Any], *, replayed: bool) -> None:
        await self.send_json({"type": "notification", **message, "replayed": replayed})
        self.last_sent = message["id"]

    async def _still_valid(self) -> bool:
        if time.monotonic() - self.checked_at < REVALIDATE_SECONDS:
            return True
        valid = await database_sync_to_async(session_still_valid)(user_id=self.user_id, session_key=self.session_key)
        if not valid:
            await self._close(CLOSE_LOGGED_OUT)
            return False
        self.checked_at = time.monotonic()
        return True

    async def _close(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)
