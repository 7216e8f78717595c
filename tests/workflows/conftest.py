"""Helpers for the live-notification tests: a fresh channel layer, session cookies, sockets.

Nothing here is autouse, so the procedure tests beside these are unaffected.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

# Imported once, at collection: building the ASGI app runs django.setup(), which reconfigures
# logging and would drop pytest's capture handler if it first happened inside a test.
from project.asgi import application

ORIGIN = "http://127.0.0.1"
SOCKET = "/ws/notifications/"


@pytest.fixture
def memory_layer(settings: Any) -> Any:
    """A new in-memory channel layer for this test (channels drops its cache when the setting changes)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


@pytest.fixture
async def close_consumer_connections() -> Any:
    """Close the database connection of the thread consumers run their queries in.

    channels' database_sync_to_async keeps it open (CONN_MAX_AGE), and on PostgreSQL an open
    connection stops pytest-django from dropping the test database at the end.
    """
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()


def login_cookie(user: Any) -> str:
    """The session cookie a browser would hold after signing in as ``user``."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def logged_in_client(cookie: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    return client


async def ws_connect(
    cookie: str | None = None, *, origin: str | None = ORIGIN, last_id: int | None = None
) -> tuple[WebsocketCommunicator, bool, Any]:
    """Open /ws/notifications/ through the real ASGI stack (origin check, session auth)."""
    headers = [(b"host", b"127.0.0.1")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    path = SOCKET if last_id is None else f"{SOCKET}?last_id={last_id}"
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, detail = await communicator.connect(timeout=5)
    return communicator, connected, detail


async def until_ready(communicator: WebsocketCommunicator) -> tuple[list[dict], dict]:
    """Messages up to and including ``ready``: the replay, then the ready message."""
    replayed = []
    while True:
        message = json.loads(await communicator.receive_from(timeout=5))
        if message["type"] == "ready":
            return replayed, message
        replayed.append(message)


async def next_message(communicator: WebsocketCommunicator) -> dict:
    return json.loads(await communicator.receive_from(timeout=5))
