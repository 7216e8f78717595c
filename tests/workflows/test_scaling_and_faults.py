"""Several web processes and a Redis that fails: the deployment as it runs in production."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import logging
import os
import re
import signal
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from websockets.asyncio.client import connect

from workflows import consumers
from workflows.events import notify
from workflows.models import Notification

from .conftest import login_cookie, next_message, until_ready, ws_connect
from .servers import RedisServer, daphne, run_python, server_env, shared_database

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def ws_json(ws: Any, *, timeout: float = 10.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def ws_until_ready(ws: Any) -> dict:
    while True:
        message = await ws_json(ws)
        if message["type"] == "ready":
            return message


def post_mark_all_read(port: int, cookie: str) -> int:
    """Sign in by cookie, fetch the page for its CSRF token, and POST "mark all as read" to this process."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    session = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    listing = urllib.request.Request(f"{base}/notifications/", headers={"Cookie": session})  # noqa: S310 - loopback
    page = opener.open(listing, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)  # type: ignore[union-attr]
    csrf_cookie = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
    request = urllib.request.Request(  # noqa: S310 - a loopback URL we built
        f"{base}/notifications/read/",
        data=f"csrfmiddlewaretoken={token}".encode(),
        headers={"Cookie": f"{session}; {settings.CSRF_COOKIE_NAME}={csrf_cookie}"},
        method="POST",
    )
    with opener.open(request, timeout=10) as response:
        return response.status


def test_a_notification_caused_in_one_process_reaches_sockets_on_every_web_process(world: Any) -> None:
    """Two daphne processes share Redis: a service call in a third process reaches a socket on each,
    and an HTTP request to the first reaches the socket on the second."""
    redis_url = os.environ["REDIS_URL"]
    notify(recipients=[world.clerk], kind="process.returned", url="/case/1/")
    cookie = login_cookie(world.clerk)
    with shared_database() as database_url:
        env = server_env(database_url=database_url, redis_url=redis_url)
        with daphne(env=env, count=2) as (first, second):

            async def scenario() -> None:
                headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
                async with (
                    connect(
                        f"ws://127.0.0.1:{first}/ws/notifications/",
                        origin=f"http://127.0.0.1:{first}",
                        additional_headers=headers,
                    ) as on_first,
                    connect(
                        f"ws://127.0.0.1:{second}/ws/notifications/",
                        origin=f"http://127.0.0.1:{second}",
                        additional_headers=headers,
                    ) as on_second,
                ):
                    assert (await ws_until_ready(on_first))["unread"] == 1
                    assert (await ws_until_ready(on_second))["unread"] == 1
                    # A service call in another process (as a web or timer process would make it).
                    output = await asyncio.to_thread(
                        run_python,
                        "from django.db import transaction\n"
                        "from workflows.events import notify\n"
                        "with transaction.atomic():\n"
                        f"    rows = notify(recipients=[{world.clerk.pk}], kind='process.approved', url='/case/1/')\n"
                        "print(rows[0].pk)\n",
                        env=env,
                    )
                    pk = int(output.strip().splitlines()[-1])
                    for ws in (on_first, on_second):
                        message = await ws_json(ws)
                        assert (message["type"], message["id"], message["kind"]) == (
                            "notification",
                            pk,
                            "process.approved",
                        )
                    # An HTTP request to the first process changes what the socket on the second shows.
                    assert await asyncio.to_thread(post_mark_all_read, first, cookie) == 200
                    assert await ws_json(on_second) == {"type": "unread", "unread": 0}

            asyncio.run(scenario())


async def test_with_redis_down_approvals_succeed_and_open_sockets_deliver_from_the_outbox_until_it_returns(
    world: Any, settings: Any, caplog: Any, close_consumer_connections: None, monkeypatch: Any
) -> None:
    redis = RedisServer()
    await sync_to_async(redis.start)()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis.url]}}
    }
    monkeypatch.setattr(consumers, "OFFLINE_SWEEP_SECONDS", 0.3, raising=False)

    @database_sync_to_async
    def approve() -> int:
        """Stands for an approval service: its change and its notification commit together."""
        with transaction.atomic():
            return notify(recipients=[world.clerk], kind="process.approved", url="/case/1/")[0].pk

    try:
        cookie = await sync_to_async(login_cookie)(world.clerk)
        communicator, connected, _ = await ws_connect(cookie)
        assert connected
        await until_ready(communicator)
        seen = await approve()
        assert (await next_message(communicator))["id"] == seen  # live through Redis

        await sync_to_async(redis.stop)()
        caplog.set_level(logging.WARNING, logger="regflow.events")
        missed = await approve()  # no exception: the approval stands
        assert await database_sync_to_async(Notification.objects.filter(pk=missed).exists)()
        # The open socket is not closed: it reads the outbox while the layer is down.
        message = await next_message(communicator)
        assert (message["type"], message["id"]) == ("notification", missed)

        # A client connecting while Redis is still down gets what it missed and stays connected.
        second, connected, _ = await ws_connect(cookie, last_id=seen)
        assert connected
        replayed, _ = await until_ready(second)
        assert [m["id"] for m in replayed] == [missed]
        assert await second.receive_nothing(timeout=1)  # no "retry later" close
        await second.disconnect()

        await sync_to_async(redis.start)()
        again = await approve()
        assert (await next_message(communicator))["id"] == again  # delivered again (rejoined, or from the outbox)
        assert await communicator.receive_nothing(timeout=1)  # nothing twice
        await communicator.disconnect()
    finally:
        await sync_to_async(redis.close)()


def post_with_csrf(port: int, cookie: str, path: str) -> float:
    """POST to ``path`` as the session's user with a valid CSRF token; the seconds the POST took."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    session = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    listing = urllib.request.Request(f"{base}/notifications/", headers={"Cookie": session})  # noqa: S310 - loopback
    page = opener.open(listing, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)  # type: ignore[union-attr]
    csrf_cookie = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
    request = urllib.request.Request(  # noqa: S310 - a loopback URL we built
        f"{base}{path}",
        data=f"csrfmiddlewaretoken={token}".encode(),
        headers={"Cookie": f"{session}; {settings.CSRF_COOKIE_NAME}={csrf_cookie}"},
        method="POST",
    )
    no_redirects = urllib.request.build_opener(NoRedirect)
    started = time.monotonic()
    try:
        with no_redirects.open(request, timeout=60) as response:
            assert response.status in {200, 302, 303}
    except urllib.error.HTTPError as redirect:
        assert redirect.code in {302, 303}
    return time.monotonic() - started


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.postgres
def test_with_redis_hung_requests_that_push_take_no_longer_and_sockets_still_replay(world: Any) -> None:
    """A SIGSTOPped Redis (a partition: no refusal, no answer) must not hold a request or a handshake.

    Each request that pushes (marking read tells the user's other tabs; logout closes the
    user's sockets) is timed with Redis healthy and hung, in the same run on the same server:
    hung may cost at most 0.5 s more.
    """
    redis = RedisServer()
    redis.start()
    try:
        with shared_database() as database_url:
            env = server_env(database_url=database_url, redis_url=redis.url)
            with daphne(env=env) as (port,):

                def mark_read() -> float:
                    notify_committed(world.clerk)  # something unread, so that marking read pushes the new count
                    return post_with_csrf(port, login_cookie(world.clerk), "/notifications/read/")

                def timings() -> dict[str, float]:
                    read = [mark_read() for _ in range(3)]
                    out = [post_with_csrf(port, login_cookie(world.clerk), "/accounts/logout/") for _ in range(3)]
                    return {"mark read": sorted(read)[1], "logout": sorted(out)[1]}  # medians

                healthy = timings()
                assert redis.process is not None
                os.kill(redis.process.pid, signal.SIGSTOP)
                try:
                    hung = timings()
                    for name in healthy:
                        assert hung[name] - healthy[name] < 0.5, (name, healthy, hung)

                    [missed] = notify_committed(world.clerk)
                    cookie = login_cookie(world.clerk)

                    async def replay_while_hung() -> None:
                        async with connect(
                            f"ws://127.0.0.1:{port}/ws/notifications/?last_id={missed - 1}",
                            origin=f"http://127.0.0.1:{port}",
                            additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
                        ) as ws:
                            message = await ws_json(ws)
                            assert (message["type"], message["id"]) == ("notification", missed)
                            assert (await ws_json(ws))["type"] == "ready"

                    asyncio.run(replay_while_hung())
                finally:
                    os.kill(redis.process.pid, signal.SIGCONT)
    finally:
        redis.close()


def notify_committed(user: Any) -> list[int]:
    with transaction.atomic():
        return [row.pk for row in notify(recipients=[user], kind="process.approved", url="/case/1/")]
