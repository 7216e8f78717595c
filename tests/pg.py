"""Synchronising on PostgreSQL's own view of locks, instead of sleeping and hoping."""

from __future__ import annotations

import threading
import time

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
