"""The notification socket, driven through the real ASGI stack with WebsocketCommunicator.

These run with real transactions: the consumer reads the database from its own
thread, which would not see rows inside a test's wrapping transaction.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction

from permissions.models import RoleAssignment
from permissions.services import role_revoke
from workflows import consumers
from workflows.events import CLOSE_ACCESS_CHANGED, CLOSE_LOGGED_OUT, notify, user_group
from workflows.models import Notification

from .conftest import logged_in_client, login_cookie, next_message, until_ready, ws_connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_consumer_connections")]

cookie_for = sync_to_async(login_cookie)


@database_sync_to_async
def notify_now(recipients: list[Any], kind: str = "task.available", url: str = "/queue/") -> list[int]:
    with transaction.atomic():
        return [row.pk for row in notify(recipients=recipients, kind=kind, url=url)]


@database_sync_to_async
def notify_without_push(recipient: Any, kind: str = "task.available") -> int:
    """A notification whose push the channel layer lost (committed, never delivered)."""
    from unittest import mock

    with mock.patch("workflows.events.push_after_commit"), transaction.atomic():
        return notify(recipients=[recipient], kind=kind, url="/lost/")[0].pk


async def closed_with(communicator: Any) -> int:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output.get("code")


# --- Handshake -------------------------------------------------------------------


async def test_anonymous_socket_is_refused(world: Any, memory_layer: Any) -> None:
    communicator, connected, _ = await ws_connect(None)
    assert not connected
    await communicator.disconnect()


async def test_socket_without_origin_is_refused(world: Any, memory_layer: Any) -> None:
    cookie = await cookie_for(world.clerk)
    communicator, connected, _ = await ws_connect(cookie, origin=None)
    assert not connected
    await communicator.disconnect()


async def test_socket_from_foreign_origin_is_refused(world: Any, memory_layer: Any) -> None:
    cookie = await cookie_for(world.clerk)
    communicator, connected, _ = await ws_connect(cookie, origin="https://evil.example")
    assert not connected
    await communicator.disconnect()


@pytest.mark.parametrize(
    "origin", ["https://127.0.0.1", "http://127.0.0.1:8443", "ws://127.0.0.1", "http://127.0.0.1.evil"]
)
async def test_socket_from_an_allowed_host_with_another_scheme_or_port_is_refused(
    world: Any, memory_layer: Any, origin: str
) -> None:
    cookie = await cookie_for(world.clerk)
    communicator, connected, _ = await ws_connect(cookie, origin=origin)
    assert not connected
    await communicator.disconnect()


def scope_with(*, origin: str, host: str = "regflow.example.org", scheme: str = "ws", **headers: str) -> dict:
    raw = [(b"host", host.encode()), (b"origin", origin.encode())]
    raw += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (scope_with(origin="https://regflow.example.org", scheme="wss"), True),
        (scope_with(origin="http://regflow.example.org", scheme="wss"), False),
        (scope_with(origin="https://regflow.example.org", scheme="ws"), False),
        (scope_with(origin="https://regflow.example.org:8443", scheme="wss"), False),
        (scope_with(origin="https://regflow.example.org:8443", host="regflow.example.org:8443", scheme="wss"), True),
        # Behind a TLS-terminating proxy: secure per SECURE_PROXY_SSL_HEADER, as for HTTP.
        (scope_with(origin="https://regflow.example.org", x_forwarded_proto="https"), True),
        (scope_with(origin="http://regflow.example.org", x_forwarded_proto="https"), False),
        # A Host header outside ALLOWED_HOSTS is no own origin.
        (scope_with(origin="https://evil.example", host="evil.example", scheme="wss"), False),
        # CSRF_TRUSTED_ORIGINS: exact, and subdomains of a wildcard entry, scheme and all.
        (scope_with(origin="https://portal.example.net", scheme="wss"), True),
        (scope_with(origin="http://portal.example.net", scheme="wss"), False),
        (scope_with(origin="https://a.county.example.com", scheme="wss"), True),
        (scope_with(origin="http://a.county.example.com", scheme="wss"), False),
        (scope_with(origin="https://county.example.com.evil", scheme="wss"), False),
        (scope_with(origin="null", scheme="wss"), False),
    ],
)
def test_the_origin_check_compares_scheme_host_and_port(settings: Any, scope: dict, allowed: bool) -> None:
    from project.middleware import origin_allowed

    settings.ALLOWED_HOSTS = ["regflow.example.org", "regflow.example.org:8443"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://portal.example.net", "https://*.county.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(scope) is allowed


async def test_socket_with_forged_session_cookie_is_refused(world: Any, memory_layer: Any) -> None:
    communicator, connected, _ = await ws_connect("not-a-real-session-key")
    assert not connected
    await communicator.disconnect()


async def test_signed_in_user_connects_and_gets_ready_with_unread_count(world: Any, memory_layer: Any) -> None:
    await notify_now([world.clerk], kind="process.approved", url="/case/1/")
    cookie = await cookie_for(world.clerk)
    communicator, connected, _ = await ws_connect(cookie)
    assert connected
    replayed, ready = await until_ready(communicator)
    assert replayed == []  # no last_id: the freshly loaded page already shows the current state
    assert ready["unread"] == 1
    assert (
        ready["last_id"] == await database_sync_to_async(lambda: Notification.objects.get(recipient=world.clerk).pk)()
    )
    await communicator.disconnect()


# --- Delivery and isolation --------------------------------------------------------


async def test_user_receives_own_notification_with_ids_kind_and_link_only(world: Any, memory_layer: Any) -> None:
    communicator, connected, _ = await ws_connect(await cookie_for(world.officer))
    assert connected
    await until_ready(communicator)
    [pk] = await notify_now([world.officer], kind="task.available", url="/termination/queue/")
    message = await next_message(communicator)
    assert message["type"] == "notification"
    assert message["id"] == pk
    assert message["kind"] == "task.available"
    assert message["url"] == "/termination/queue/"
    assert set(message) == {"type", "id", "kind", "url", "object_type", "object_id", "created_at", "replayed"}
    assert message["replayed"] is False
    await communicator.disconnect()


async def test_user_never_receives_another_users_notification(world: Any, memory_layer: Any) -> None:
    officer, _, _ = await ws_connect(await cookie_for(world.officer))
    outsider, _, _ = await ws_connect(await cookie_for(world.officer_b))
    await until_ready(officer)
    await until_ready(outsider)
    await notify_now([world.officer])
    assert (await next_message(officer))["type"] == "notification"
    # Synchronise on an event, not a time window: the outsider's own next notification is the next thing
    # it receives, so the officer's was never sent to it (a channel delivers in order).
    [own] = await notify_now([world.officer_b])
    assert (await next_message(outsider))["id"] == own
    await officer.disconnect()
    await outsider.disconnect()


# --- Replay, order, duplicates -------------------------------------------------------------


async def test_reconnect_replays_every_missed_notification_in_order(world: Any, memory_layer: Any) -> None:
    communicator, _, _ = await ws_connect(await cookie_for(world.clerk))
    _, ready = await until_ready(communicator)
    [first] = await notify_now([world.clerk], kind="process.returned")
    assert (await next_message(communicator))["id"] == first
    await communicator.disconnect()

    missed = []
    for kind in ("process.approved", "deadline.approaching", "deadline.passed"):
        missed += await notify_now([world.clerk], kind=kind)
    await notify_now([world.officer])  # someone else's: never replayed to the clerk

    again, connected, _ = await ws_connect(await cookie_for(world.clerk), last_id=first)
    assert connected
    replayed, ready = await until_ready(again)
    assert [m["id"] for m in replayed] == missed
    assert [m["kind"] for m in replayed] == ["process.approved", "deadline.approaching", "deadline.passed"]
    assert all(m["replayed"] for m in replayed)
    assert ready["last_id"] == missed[-1] and ready["replayed"] == 3
    await again.disconnect()


async def test_replay_then_live_push_of_the_same_id_is_not_sent_twice(world: Any, memory_layer: Any) -> None:
    communicator, _, _ = await ws_connect(await cookie_for(world.clerk), last_id=0)
    await until_ready(communicator)
    [pk] = await notify_now([world.clerk])
    assert (await next_message(communicator))["id"] == pk
    # The channel layer delivers the same push again (at-least-once behaviour of a retrying sender).
    await memory_layer.group_send(
        user_group(world.clerk.pk),
        {"type": "notification.push", "notification": {"id": pk, "kind": "task.available"}, "prev": 0},
    )
    [later] = await notify_now([world.clerk])
    assert (await next_message(communicator))["id"] == later  # not the duplicate first
    await communicator.disconnect()


async def test_a_lost_push_is_recovered_in_order_when_the_next_one_arrives(world: Any, memory_layer: Any) -> None:
    communicator, _, _ = await ws_connect(await cookie_for(world.clerk))
    await until_ready(communicator)
    lost = await notify_without_push(world.clerk, kind="process.returned")
    [delivered] = await notify_now([world.clerk], kind="process.approved")
    first, second = await next_message(communicator), await next_message(communicator)
    assert (first["id"], first["kind"]) == (lost, "process.returned")
    assert (second["id"], second["kind"]) == (delivered, "process.approved")
    [later] = await notify_now([world.clerk])
    assert (await next_message(communicator))["id"] == later  # nothing sent twice in between
    await communicator.disconnect()


async def test_a_lost_push_with_no_later_push_arrives_at_the_next_sweep(
    world: Any, memory_layer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(consumers, "SWEEP_SECONDS", 0.3)
    communicator, _, _ = await ws_connect(await cookie_for(world.clerk))
    await until_ready(communicator)
    lost = await notify_without_push(world.clerk, kind="process.approved")
    message = await next_message(communicator)
    assert (message["id"], message["kind"], message["replayed"]) == (lost, "process.approved", False)
    # Two more sweeps, then a live push: the push is the next message, so the sweeps sent nothing again.
    for _ in range(2):
        await memory_layer.group_send(user_group(world.clerk.pk), {"type": "outbox.sweep"})
    [later] = await notify_now([world.clerk])
    assert (await next_message(communicator))["id"] == later
    await communicator.disconnect()


async def test_replay_with_a_cursor_ahead_of_the_outbox_sends_nothing_and_resets_it(
    world: Any, memory_layer: Any
) -> None:
    [pk] = await notify_now([world.clerk])
    communicator, _, _ = await ws_connect(await cookie_for(world.clerk), last_id=pk + 1000)
    replayed, ready = await until_ready(communicator)
    assert replayed == [] and ready["last_id"] == pk
    await communicator.disconnect()


# --- Closing ------------------------------------------------------------------------------


async def test_logout_closes_the_users_sockets_and_the_session_no_longer_connects(
    world: Any, memory_layer: Any
) -> None:
    cookie = await cookie_for(world.clerk)
    communicator, _, _ = await ws_connect(cookie)
    await until_ready(communicator)
    response = await sync_to_async(logged_in_client(cookie).post)("/accounts/logout/")
    assert response.status_code in (302, 303)
    assert await closed_with(communicator) == CLOSE_LOGGED_OUT
    _, connected, _ = await ws_connect(cookie)
    assert not connected


async def test_deactivation_closes_the_users_sockets(world: Any, memory_layer: Any) -> None:
    cookie = await cookie_for(world.officer)
    communicator, _, _ = await ws_connect(cookie)
    await until_ready(communicator)

    @database_sync_to_async
    def deactivate() -> None:
        user = get_user_model().objects.get(pk=world.officer.pk)
        user.is_active = False
        user.save()

    await deactivate()
    assert await closed_with(communicator) == CLOSE_ACCESS_CHANGED
    _, connected, _ = await ws_connect(cookie)
    assert not connected


async def test_losing_a_role_closes_sockets_and_a_new_socket_gets_only_the_users_own_rows(
    world: Any, memory_layer: Any
) -> None:
    [mine] = await notify_now([world.officer], kind="task.assigned")
    cookie = await cookie_for(world.officer)
    communicator, _, _ = await ws_connect(cookie, last_id=0)
    replayed, _ = await until_ready(communicator)
    assert [m["id"] for m in replayed] == [mine]

    @database_sync_to_async
    def revoke() -> None:
        assignment = RoleAssignment.objects.get(user=world.officer, revoked_at__isnull=True)
        role_revoke(actor=None, assignment=assignment, reason="moved to another bureau")

    await revoke()
    assert await closed_with(communicator) == CLOSE_ACCESS_CHANGED
    await notify_now([world.officer2])  # work for the officer's former colleagues
    again, connected, _ = await ws_connect(cookie, last_id=0)
    assert connected  # still signed in; the outbox rows addressed to the officer remain theirs
    replayed, _ = await until_ready(again)
    assert [m["id"] for m in replayed] == [mine]
    await again.disconnect()


async def test_a_socket_whose_session_expired_closes_instead_of_forwarding(
    world: Any, memory_layer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(consumers, "REVALIDATE_SECONDS", 0.0)
    cookie = await cookie_for(world.clerk)
    communicator, _, _ = await ws_connect(cookie)
    await until_ready(communicator)
    await database_sync_to_async(lambda: Session.objects.filter(session_key=cookie).delete())()
    await notify_now([world.clerk])
    assert await closed_with(communicator) == CLOSE_LOGGED_OUT


async def test_with_the_channel_layer_down_a_socket_replays_stays_open_and_reads_its_outbox(
    world: Any, settings: Any, monkeypatch: Any
) -> None:
    [missed] = await notify_now([world.clerk])  # in-memory layer of the default settings, or Redis in CI
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    monkeypatch.setattr(consumers, "OFFLINE_SWEEP_SECONDS", 0.3, raising=False)
    communicator, connected, _ = await ws_connect(await cookie_for(world.clerk), last_id=0)
    assert connected
    replayed, _ = await until_ready(communicator)
    assert [m["id"] for m in replayed] == [missed]
    # No "retry later" close: the socket stays useful, delivering from the outbox.
    [later] = await notify_now([world.clerk])
    message = await next_message(communicator)
    assert (message["type"], message["id"], message["replayed"]) == ("notification", later, False)
    await communicator.disconnect()
