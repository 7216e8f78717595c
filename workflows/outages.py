"""Living through an outage of PostgreSQL or Redis: back off, and say so once.

A dependency that is down fails every attempt, and an attempt per second that
logs a traceback each time buries the one line an operator needs. ``Outage``
logs the first failure and the recovery, and counts what failed in between;
``Backoff`` spaces the retries (exponential, capped, with jitter so that
processes that failed together do not retry together).
"""

from __future__ import annotations

import logging
import random
import threading
import time


class Backoff:
    """Delays of base, 2·base, 4·base … up to cap, each drawn from its upper half."""

    def __init__(self, *, base: float, cap: float) -> None:
        self.base, self.cap = base, max(base, cap)
        self.attempts = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempts)
        self.attempts += 1
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not secrecy

    def reset(self) -> None:
        self.attempts = 0


class Outage:
    """One log line when something starts failing, one when it works again.

    Thread-safe: pushes fail in a worker thread while requests succeed in others.
    """

    def __init__(self, *, logger: logging.Logger, what: str) -> None:
        self.logger, self.what = logger, what
        self.since: float | None = None
        self.failures = 0
        self._lock = threading.Lock()

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException) -> bool:
        """Record a failure; log it if it is the first of an outage. Returns whether it was."""
        with self._lock:
            self.failures += 1
            if self.since is not None:
                return False
            self.since = time.monotonic()
        self.logger.error("%s unavailable: %s (logged once until it recovers)", self.what, _describe(error))
        return True

    def succeeded(self) -> bool:
        """Record a success; log the recovery if an outage was going on. Returns whether one was."""
        if self.since is None:  # the common case, without the lock
            return False
        with self._lock:
            if self.since is None:
                return False
            lasted, failures = time.monotonic() - self.since, self.failures
            self.since, self.failures = None, 0
        self.logger.warning("%s available again after %.1fs (%d failed attempt(s))", self.what, lasted, failures)
        return True


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())  # psycopg's messages span several lines
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


# SQLSTATE classes and codes that mean "no usable connection", not "this statement failed":
# 08 connection exception; 57P01-57P03 the server is shutting down, crashed or not yet accepting.
_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def is_connection_failure(error: BaseException | None) -> bool:
    """Whether a database error means the database cannot be reached (not a lock, a timeout or a bug).

    psycopg raises errors without a SQLSTATE when the server refuses or drops
    the connection, and the pool raises PoolTimeout when none came in time.
    A lock timeout (55P03) or a deadlock (40P01) is not a connection failure.
    """
    from django.db import InterfaceError, OperationalError

    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return str(sqlstate).startswith(_CONNECTION_SQLSTATES)
    return cause is None or type(cause).__module__.startswith("psycopg")


class ConnectionFailureLogFilter(logging.Filter):
    """Keep django.request from logging a traceback per request while the database is down.

    The first failure of an outage is logged once by project.middleware instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and is_connection_failure(record.exc_info[1]))
