"""Real processes for the multi-process, Redis and browser tests: daphne, redis-server, a database they share.

Every process started here is stopped by the same context manager, by its own
handle; the shared Redis on 6379 is never touched beyond the test's own db.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def shared_database() -> Iterator[str]:
    """A DATABASE_URL other processes can open, holding what the test has committed so far.

    PostgreSQL: the test database itself (the test must use transaction=True).
    SQLite: pytest-django's test database lives in memory, so it is copied to a
    file; rows the test writes afterwards are not seen by the other processes.
    """
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        auth = quote(db["USER"] or "")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"])
        yield f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        return
    directory = tempfile.mkdtemp(prefix="regflow-live-")
    path = Path(directory) / "db.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    try:
        yield f"sqlite:///{path}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def server_env(*, database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="false",
        SECRET_KEY=settings.SECRET_KEY,  # the same key, so that the test's session cookies verify
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="tests.workflows.live_settings",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def wait_for_http(url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a loopback URL we built
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.2)


@contextlib.contextmanager
def daphne(*, env: dict[str, str], count: int = 1, ports: list[int] | None = None) -> Iterator[list[int]]:
    """Start ``count`` daphne processes on free loopback ports (or on ``ports``); yield the ports."""
    ports = ports or [free_port() for _ in range(count)]
    logs = [tempfile.TemporaryFile() for _ in ports]  # noqa: SIM115 - closed in the finally below
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        for port, process, log in zip(ports, processes, logs, strict=True):
            try:
                wait_for_http(f"http://127.0.0.1:{port}/accounts/login/")
            except TimeoutError:
                log.seek(0)
                raise RuntimeError(
                    f"daphne on {port} did not start (exit {process.poll()}):\n{log.read().decode()[-3000:]}"
                ) from None
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def run_python(code: str, *, env: dict[str, str], timeout: float = 60.0) -> str:
    """Run Django code in a separate process (set up with the given environment); return its output."""
    script = "import django\ndjango.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", script + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"subprocess failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


class RedisServer:
    """A private redis-server on its own port, which a test may stop and start again."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.directory = tempfile.mkdtemp(prefix="regflow-redis-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class TcpProxy:
    """A TCP proxy on a free loopback port, which a test can cut like a network partition.

    ``cut()`` aborts every proxied connection and refuses new ones (accepts, then
    resets them) until ``restore()``. It runs its own event loop in a thread, so
    that the test's code and the processes it starts see it as a server.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.refused = 0  # connections refused while cut
        self.is_cut = False
        self._transports: set[asyncio.BaseTransport] = set()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self._started.set()
        async with server:
            await self._stop.wait()
            self._abort_all()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, upstream_writer.transport}
        self._transports |= pair

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._transports -= pair

    def _abort_all(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    def cut(self) -> None:
        def cut() -> None:
            self.is_cut = True
            self._abort_all()

        self._loop.call_soon_threadsafe(cut)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self._loop).result(10)  # cut() has run

    def restore(self) -> None:
        def restore() -> None:
            self.is_cut = False

        self._loop.call_soon_threadsafe(restore)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self._loop).result(10)
