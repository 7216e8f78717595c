"""Latency of live notifications: from the commit of the transaction that wrote the outbox
row to the moment the message leaves the consumer on the socket.

Figures, not a test. Everything runs in one process: the real ASGI application
(origin check, session authentication, consumer) behind channels'
WebsocketCommunicator, and ``notify`` called in a worker thread exactly as a
service would, inside a transaction. The clock starts in the first on-commit
hook (right after COMMIT returns) and stops when the consumer's frame reaches
the socket's output queue.

Scenarios, per layer:
- ``1 socket``: one connected user, one notification per round;
- ``500 sockets, one recipient``: 500 users connected, each round notifies one of them;
- ``500 sockets, fan-out``: each round notifies all 500 in one transaction (a task
  that every officer of a large bureau could take), latency measured per socket.

Usage (a throwaway test database is created and dropped; SQLite in memory by default):

    DEBUG=false SECRET_KEY=bench SECURE_SSL_REDIRECT=false \\
        .venv/bin/python benchmarks/notifications_latency.py --layer memory
    DEBUG=false SECRET_KEY=bench SECURE_SSL_REDIRECT=false REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python benchmarks/notifications_latency.py --layer redis

Add DATABASE_URL=postgres://... to run against PostgreSQL (the script uses test_<name>).
The Redis database given is flushed first: give the benchmark one of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django

django.setup()

from channels.db import database_sync_to_async  # noqa: E402
from channels.testing import WebsocketCommunicator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from project.asgi import application  # noqa: E402
from workflows.events import notify  # noqa: E402

BACKEND = "permissions.backends.ModelPermissionBackend"


def make_users(count: int) -> list[tuple[int, str]]:
    """Users with a signed-in session each; returns (user id, session key)."""
    User = get_user_model()
    unusable = "!"  # a password hash that matches no password
    users = User.objects.bulk_create([User(username=f"bench{i}", password=unusable) for i in range(count)])
    result = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = BACKEND
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        result.append((user.pk, str(store.session_key)))
    return result


class Socket:
    """A connected communicator and a reader that timestamps every frame as it arrives."""

    def __init__(self, session_key: str) -> None:
        headers = [
            (b"host", b"127.0.0.1"),
            (b"origin", b"http://127.0.0.1"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()),
        ]
        self.communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        self.arrivals: asyncio.Queue[float] = asyncio.Queue()

    async def open(self) -> None:
        connected, _ = await self.communicator.connect(timeout=60)
        assert connected, "socket refused"
        await self.communicator.receive_from(timeout=60)  # ready
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            output = await self.communicator.output_queue.get()
            if output.get("type") == "websocket.send":
                self.arrivals.put_nowait(time.perf_counter())

    async def close(self) -> None:
        self.reader.cancel()
        await self.communicator.disconnect(timeout=5)


@database_sync_to_async
def notify_and_time(user_ids: list[int]) -> float:
    committed: list[float] = []
    with transaction.atomic():
        # Registered before notify's own hook, so it runs first, right after COMMIT.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        notify(recipients=user_ids, kind="task.available", url="/bench/")
    return committed[0]


async def measure(sockets: dict[int, Socket], *, rounds: int, fan_out: bool) -> list[float]:
    samples = []
    ids = list(sockets)
    for _ in range(rounds):
        targets = ids if fan_out else [random.choice(ids)]  # noqa: S311 - not cryptographic
        started = await notify_and_time(targets)
        for user_id in targets:
            arrived = await asyncio.wait_for(sockets[user_id].arrivals.get(), 60)
            samples.append((arrived - started) * 1000)
    return samples


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[max(0, round(0.99 * len(ordered)) - 1)]
    return f"{name:<34} n={len(ordered):>6}  median={statistics.median(ordered):8.2f} ms  p99={p99:8.2f} ms"


async def run(args: argparse.Namespace) -> list[str]:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()  # groups left in Redis by earlier runs would receive copies too
    users = await database_sync_to_async(make_users)(max(args.sockets))
    lines = []
    for count in args.sockets:
        sockets = {user_id: Socket(key) for user_id, key in users[:count]}
        opened = time.perf_counter()
        for chunk_start in range(0, count, 50):  # connect in batches: each handshake reads the session
            await asyncio.gather(*(s.open() for s in list(sockets.values())[chunk_start : chunk_start + 50]))
        lines.append(f"{count} socket(s) connected in {time.perf_counter() - opened:.1f}s")
        await measure(sockets, rounds=5, fan_out=False)  # warm-up
        label = f"{count} socket(s), one recipient"
        lines.append(summary(label, await measure(sockets, rounds=args.rounds, fan_out=False)))
        if count > 1:
            rounds = max(1, args.fanout_rounds)
            lines.append(
                summary(f"{count} sockets, fan-out to all", await measure(sockets, rounds=rounds, fan_out=True))
            )
        await asyncio.gather(*(socket.close() for socket in sockets.values()))
        print("\n".join(lines[-3:]), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layer", choices=["memory", "redis"], required=True)
    parser.add_argument("--sockets", type=lambda s: [int(x) for x in s.split(",")], default=[1, 500])
    parser.add_argument("--rounds", type=int, default=200, help="rounds with one recipient (default 200)")
    parser.add_argument("--fanout-rounds", type=int, default=20, help="fan-out rounds (default 20)")
    args = parser.parse_args()

    if args.layer == "memory":
        layers: dict[str, Any] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        if not os.environ.get("REDIS_URL"):
            parser.error("--layer redis needs REDIS_URL")
        layers = settings.CHANNEL_LAYERS  # the production configuration (capacity, expiry) from project.settings

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        with override_settings(
            CHANNEL_LAYERS=layers, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ):
            print(
                f"layer={args.layer} database={connection.vendor} python={sys.version.split()[0]} cpus={os.cpu_count()}"
            )
            asyncio.run(run(args))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
