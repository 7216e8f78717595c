"""Synchronising on PostgreSQL's own view of locks, instead of sleeping and hoping."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


def lock_waiters() -> int:
    """Other connections to this test database that are waiting for a row, table or advisory lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def until_waiting_or_done(done: threading.Event, *, timeout: float = 60.0) -> bool:
    """Block until another connection waits on a lock (True) or ``done`` is set first (False).

    It polls the server's state, so it returns as soon as the wait is observable, however busy the
    machine; the timeout only turns a hang into a failure.
    """
    deadline = time.monotonic() + timeout
    while not done.is_set():
        if lock_waiters():
            return True
        if time.monotonic() > deadline:
            raise AssertionError("nobody waited on a lock, and the other party did not finish")
        done.wait(timeout=0.01)
    return False


@contextmanager
def held_elsewhere(flow_class: Any, case_pk: int) -> Iterator[None]:
    """Hold the case's flow lock from another connection (a thread), as a request in the middle of a step does.

    A barrier says it is held, leaving the block releases it; a failure to take it fails the test.
    """
    held, release = threading.Barrier(2), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with flow_class.lock(case_pk):
                held.wait(timeout=30)
                release.wait(timeout=60)
        except BaseException as error:
            failure.append(error)
            held.abort()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        held.wait(timeout=30)
        yield
    finally:
        release.set()
        thread.join(timeout=60)
    assert not failure, failure
