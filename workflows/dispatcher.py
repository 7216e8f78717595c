"""The timer dispatcher: fire due timers and run the sweeps, every few seconds, through outages.

``manage.py run_timers`` runs ``Dispatcher.run``. Each sweep fires viewflow's
due timers, start timers and conditions, then the procedures' sweeps, and
records a heartbeat row that /healthz reads. When the database fails (an
OperationalError or InterfaceError, from a restart, a failover or a network
cut) the dispatcher closes its broken connection, logs once, retries with
capped, jittered back-off, and logs again when a sweep succeeds: it never
exits on an outage, so timers that fell due meanwhile fire on the first sweep
after it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone
from viewflow.workflow.timers import fire_due_conditions, fire_due_start_timers, fire_due_timers

from .models import DispatcherHeartbeat
from .outages import Backoff, Outage
from .sweeps import sweeps_run

log = logging.getLogger("regflow.dispatcher")

HEARTBEAT_NAME = "timers"
# /healthz calls the dispatcher late when its last sweep is older than its interval plus this.
HEARTBEAT_GRACE_SECONDS = 60.0
# Retries after a failure start at one second and never wait longer than this.
RETRY_CAP_SECONDS = 60.0
CONNECTION_ERRORS = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class SweepResult:
    fired: int
    started: int
    conditions: int
    swept: int

    def __bool__(self) -> bool:
        return bool(self.fired or self.started or self.conditions or self.swept)

    def __str__(self) -> str:
        return (
            f"{self.fired} timer(s) fired, {self.started} process(es) started, "
            f"{self.conditions} condition(s), {self.swept} record(s) swept"
        )


def dispatcher_heartbeat_record(*, interval: float, name: str = HEARTBEAT_NAME) -> None:
    """Say that a sweep just finished (not audited: it is the dispatcher's pulse, not a regulated record)."""
    DispatcherHeartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now(), "interval_seconds": interval}
    )


def dispatcher_sweep(*, interval: float) -> SweepResult:
    result = SweepResult(fire_due_timers(), fire_due_start_timers(), fire_due_conditions(), sweeps_run())
    dispatcher_heartbeat_record(interval=interval)
    return result


def _discard_connection() -> None:
    """Drop the broken connection, so that the next attempt opens (or takes from the pool) a fresh one."""
    with contextlib.suppress(DatabaseError):  # closing a dead connection may itself fail; it is gone either way
        connection.close()


class Dispatcher:
    def __init__(
        self,
        *,
        interval: float,
        report: Callable[[str], None],
        sleep: Callable[[float], bool],
    ) -> None:
        """``sleep(seconds)`` waits and returns False once the process should stop."""
        self.interval = interval
        self.report = report
        self.sleep = sleep
        self.outage = Outage(logger=log, what="database (timer dispatcher)")
        self.backoff = Backoff(base=min(1.0, interval), cap=max(RETRY_CAP_SECONDS, interval))

    def sweep_once(self) -> SweepResult:
        """One sweep; a connection failure closes the connection and is raised (logged once per outage)."""
        try:
            close_old_connections()
            result = dispatcher_sweep(interval=self.interval)
        except CONNECTION_ERRORS as exc:
            _discard_connection()
            self.outage.failed(exc)
            raise
        if self.outage.succeeded():
            self.backoff.reset()
        return result

    def run(self) -> None:
        while True:
            try:
                result = self.sweep_once()
            except CONNECTION_ERRORS:
                wait = self.backoff.next_delay()
            except Exception:  # a bug in one sweep must not stop the timers of every procedure
                log.exception("timer sweep failed; retrying")
                _discard_connection()
                wait = self.backoff.next_delay()
            else:
                if result:
                    self.report(str(result))
                wait = self.interval
            if not self.sleep(wait):
                return


def interruptible_sleep(stopping: Callable[[], bool]) -> Callable[[float], bool]:
    def sleep(seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not stopping() and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        return not stopping()

    return sleep
